// `npm run bench -- emulator`: timing of snapshots and diffs on a 200x50 screen: a full-screen change, a one-line
// change, a one-line scroll, a full repaint, and the bytes each diff costs. One JSON line. (No stock counterpart:
// mosh's emulator is not a library; the end-to-end comparison is `npm run bench -- throughput`.)
import { Emulator, newFrame } from '../src/emulator/index';

const COLS = 200;
const ROWS = 50;

function screen(seed: number): string {
  let s = '';
  for (let y = 0; y < ROWS; y++) {
    s += `\x1b[${y + 1};1H`;
    for (let x = 0; x < COLS; x += 10) s += `\x1b[3${(x + y + seed) % 8}m` + `w${seed}x${y}abcdefgh`.slice(0, 10);
  }
  return s;
}

function msPer(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(20, n); i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

function main(): void {
  const em = new Emulator(COLS, ROWS);
  const screens = [screen(1), screen(2)];
  em.write(screens[0]);
  em.snapshot();
  const writeFull = msPer(100, (i) => em.write(screens[i & 1]));
  const snapFull =
    msPer(100, (i) => {
      em.write(screens[i & 1]);
      em.snapshot();
    }) - writeFull;
  const oneLine = (i: number) => `\x1b[10;1H\x1b[32mline ${i}`;
  const writeLine = msPer(1000, (i) => em.write(oneLine(i)));
  const snapLine =
    msPer(1000, (i) => {
      em.write(oneLine(i));
      em.snapshot();
    }) - writeLine;
  em.write(screens[0]);
  const a = em.snapshot();
  em.write(screens[1]);
  const b = em.snapshot();
  em.write(oneLine(-1));
  const c = em.snapshot();
  em.write(`\x1b[${ROWS};1H\n\x1b[33mnew bottom line`);
  const d = em.snapshot();
  const diffFull = msPer(200, () => newFrame(true, a, b));
  const diffLine = msPer(2000, () => newFrame(true, b, c));
  const diffScroll = msPer(2000, () => newFrame(true, c, d));
  const repaint = msPer(200, () => newFrame(false, null, b));
  const bytes = {
    full: newFrame(true, a, b).length,
    line: newFrame(true, b, c).length,
    scroll: newFrame(true, c, d).length,
  };
  const figures = {
    'write, full screen': writeFull,
    'snapshot after a full-screen change': snapFull,
    'snapshot after a one-line change': snapLine,
    'newFrame, full-screen change': diffFull,
    'newFrame, one-line change': diffLine,
    'newFrame, one-line scroll': diffScroll,
    'newFrame, full repaint': repaint,
  };
  const ms: Record<string, number> = {};
  for (const [k, v] of Object.entries(figures)) ms[k] = Number(v.toFixed(4));
  console.log(JSON.stringify({ bench: 'emulator', size: `${COLS}x${ROWS}`, ms, diff_bytes: bytes }));
  em.dispose();
}

main();
