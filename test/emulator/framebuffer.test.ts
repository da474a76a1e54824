// The client's framebuffer against the server's emulator (xterm): for what a mosh server sends, both must show
// the same cells, wrap flags, cursor, pen, modes and titles. Checked on the differ's own output between random
// screens (from a repaint and, as the client does it, straight from a snapshot), on random streams of the mosh
// vocabulary, and on hostile bytes (nothing thrown, sizes kept).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blankSnapshot,
  Emulator,
  Framebuffer,
  newFrame,
  type Snapshot,
  type Vocabulary,
} from '../../src/emulator/index';
import { hostile } from './support/fuzzinput';
import { assertClean, assertSameScreen, int, moshView, pick, randomChunk, rng, type Rand } from './support/generators';

const SIZES: [number, number][] = [
  [80, 24],
  [20, 6],
  [7, 3],
  [41, 10],
  [2, 2],
];

function session(seed: number, cols: number, rows: number, steps: number): Snapshot[] {
  const r = rng(seed);
  const em = new Emulator(cols, rows);
  const snaps: Snapshot[] = [em.snapshot()];
  for (let i = 0; i < steps; i++) {
    const n = 1 + int(r, 6);
    for (let j = 0; j < n; j++) em.write(randomChunk(r, cols, rows));
    snaps.push(em.snapshot());
  }
  em.dispose();
  return snaps;
}

const enc = (s: string) => Buffer.from(s, 'utf8');

function roundTrips(vocabulary: Vocabulary, seeds: number, steps: number): number {
  const view = vocabulary === 'mosh' ? moshView : (s: Snapshot) => s;
  let pairs = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const [cols, rows] = SIZES[seed % SIZES.length];
    const snaps = session(seed * 104729 + (vocabulary === 'mosh' ? 1 : 0), cols, rows, steps);
    const r = rng(seed);
    // One framebuffer along the whole session, as a client applies consecutive diffs ...
    const fb = Framebuffer.from(blankSnapshot(cols, rows));
    fb.write(enc(newFrame(false, null, snaps[0], { vocabulary })));
    for (let i = 1; i < snaps.length; i++) {
      const diff = newFrame(true, snaps[i - 1], snaps[i], { vocabulary });
      assertClean(diff, `seed ${seed} step ${i}`);
      fb.write(enc(diff));
      assertSameScreen(fb.snapshot(), view(snaps[i]), `${vocabulary} seed ${seed} step ${i}`);
      pairs++;
      // ... and, every few steps, a diff from an older state applied to that state's own snapshot (the client
      // keeps its received states as snapshots and applies a diff to whichever one it is based on).
      if (i % 3 === 0) {
        const j = int(r, i);
        const base = Framebuffer.from(blankSnapshot(cols, rows));
        base.write(enc(newFrame(false, null, snaps[j], { vocabulary })));
        const from = Framebuffer.from(base.snapshot());
        from.write(enc(newFrame(true, snaps[j], snaps[i], { vocabulary })));
        assertSameScreen(from.snapshot(), view(snaps[i]), `${vocabulary} seed ${seed} ${j}->${i} from a snapshot`);
        pairs++;
      }
    }
  }
  return pairs;
}

test("applying the differ's output between random screens shows what the server's emulator showed (mosh vocabulary)", () => {
  assert.ok(roundTrips('mosh', Number(process.env.ROUNDTRIP_SEEDS ?? 30), 40) > 1000);
});

test('the same with the xterm vocabulary (alternate screen, keypad, cursor style, extended underlines)', () => {
  assert.ok(roundTrips('xterm', Number(process.env.ROUNDTRIP_SEEDS ?? 30), 40) > 1000);
});

/** Random bytes of the mosh vocabulary (mosh-protocol.md 8.2 plus what our differ adds), including odd parameters. */
function vocabularyChunk(r: Rand, cols: number, rows: number): string {
  const k = r();
  const text = () =>
    pick(r, ['a', 'hello', ' ', 'ü', '中', '文字', '😀', 'e\u0301', '│', 'x'.repeat(int(r, cols + 3)), 'ｗ', 'Ω']);
  if (k < 0.3) return text();
  if (k < 0.4) {
    const parts: string[] = [];
    for (let i = 0, n = 1 + int(r, 4); i < n; i++) {
      const q = r();
      if (q < 0.5)
        parts.push(
          pick(r, [
            '0',
            '1',
            '2',
            '3',
            '4',
            '5',
            '7',
            '8',
            '9',
            '22',
            '23',
            '24',
            '27',
            '39',
            '49',
            '31',
            '42',
            '93',
            '104',
            '',
          ]),
        );
      else if (q < 0.7) parts.push(`38;5;${int(r, 256)}`);
      else if (q < 0.85) parts.push(`48;2;${int(r, 256)};${int(r, 256)};${int(r, 256)}`);
      else
        parts.push(pick(r, ['38:5:17', '48:2::1:2:3', '38:2:4:5:6', '4:3', '4:0', '58;5;3', '59', '21', '53', '55']));
    }
    return `\x1b[${parts.join(';')}m`;
  }
  if (k < 0.5) return pick(r, ['\r', '\n', '\r\n', '\b', '\b\b\b', '\t', '\x07', '\x0b', '\x0c']);
  if (k < 0.62) {
    const y = int(r, rows + 3);
    const x = int(r, cols + 3);
    return pick(r, [`\x1b[${y};${x}H`, `\x1b[${y}H`, `\x1b[;${x}H`, '\x1b[H', `\x1b[${y};${x}f`]);
  }
  if (k < 0.68) return `\x1b[${pick(r, ['', '0', '1', String(int(r, cols + 5))])}${pick(r, ['C', 'X', 'C', 'X'])}`;
  // (ED 1 is left out: no mosh server sends it, and xterm clears the wrong line's wrap flag there once a line
  // has scrolled into its scrollback.)
  if (k < 0.76) return pick(r, ['\x1b[K', '\x1b[0K', '\x1b[1K', '\x1b[2K', '\x1b[J', '\x1b[0J', '\x1b[2J']);
  if (k < 0.82) {
    const top = int(r, rows + 2);
    const bottom = int(r, rows + 2);
    return (
      pick(r, [`\x1b[${top};${bottom}r`, '\x1b[r', `\x1b[${top}r`]) +
      (r() < 0.7 ? `\x1b[${1 + int(r, rows)};1H${'\n'.repeat(int(r, 4))}` : '')
    );
  }
  if (k < 0.88) {
    const m = pick(r, [
      '5',
      '25',
      '2004',
      '9',
      '1000',
      '1001',
      '1002',
      '1003',
      '1004',
      '1005',
      '1006',
      '1015',
      '1016',
      '1',
      '1049',
      '66',
    ]);
    return `\x1b[?${m}${r() < 0.5 ? 'h' : 'l'}`;
  }
  if (k < 0.91) return pick(r, ['\x1b=', '\x1b>', `\x1b[${int(r, 7)} q`]);
  if (k < 0.95)
    return `\x1b]${pick(r, ['0', '1', '2'])};${pick(r, ['vim', 'a title', '中文', ''])}${pick(r, ['\x07', '\x1b\\'])}`;
  if (k < 0.97) return `\x1b]52;c;${Buffer.from(pick(r, ['x', 'copied', ''])).toString('base64')}\x07`;
  // a wide or narrow character at the last column, then more text: the deferred wrap
  return `\x1b[${1 + int(r, rows)};${cols}H${text()}${text()}`;
}

test('random streams of the mosh vocabulary leave the framebuffer and xterm showing the same', () => {
  const seeds = Number(process.env.FB_SEEDS ?? 60);
  for (let seed = 1; seed <= seeds; seed++) {
    const [cols, rows] = SIZES[seed % SIZES.length];
    const r = rng(seed * 31337);
    const em = new Emulator(cols, rows);
    const fb = Framebuffer.from(em.snapshot());
    for (let i = 0; i < 300; i++) {
      let chunk = '';
      for (let j = 0, n = 1 + int(r, 5); j < n; j++) chunk += vocabularyChunk(r, cols, rows);
      em.write(chunk);
      fb.write(enc(chunk));
      assertSameScreen(fb.snapshot(), em.snapshot(), `seed ${seed} chunk ${i} ${JSON.stringify(chunk)}`);
      // Now and then continue from a snapshot (the client starts each diff from a saved state).
      if (i % 50 === 49) {
        const next = Framebuffer.from(fb.snapshot());
        assertSameScreen(next.snapshot(), em.snapshot(), `seed ${seed} chunk ${i}: reopened`);
      }
    }
    em.dispose();
  }
});

test('a stream cut anywhere (down to single bytes, inside sequences and characters) gives the same screen', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const [cols, rows] = SIZES[seed % SIZES.length];
    const r = rng(seed * 7919);
    const blank = Framebuffer.from(new Emulator(cols, rows).snapshot()).snapshot();
    let stream = '';
    for (let i = 0; i < 200; i++) stream += vocabularyChunk(r, cols, rows);
    const bytes = enc(stream);
    const whole = Framebuffer.from(blank);
    whole.write(bytes);
    const cut = Framebuffer.from(blank);
    for (let at = 0; at < bytes.length;) {
      const n = r() < 0.3 ? 1 : 1 + int(r, 40);
      cut.write(bytes.subarray(at, at + n));
      at += n;
    }
    assertSameScreen(cut.snapshot(), whole.snapshot(), `seed ${seed}`);
  }
});

test('hostile bytes never throw, keep the size, and leave a well-formed snapshot; earlier snapshots never change', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const [cols, rows] = SIZES[seed % SIZES.length];
    const r = rng(seed);
    const fb = Framebuffer.from(blankSnapshot(cols, rows));
    const before = fb.snapshot();
    const frozen = JSON.stringify(before);
    for (let i = 0; i < 200; i++) {
      fb.write(hostile(r, cols, rows));
      const s = fb.snapshot();
      assert.equal(s.cols, cols);
      assert.equal(s.rows, rows);
      assert.equal(s.lines.length, rows);
      for (const row of s.lines) {
        assert.equal(row.text.length, cols);
        assert.equal(row.style.length, cols);
        if (row.widths !== null) assert.equal(row.widths.length, cols);
      }
      assert.ok(s.cursor.x >= 0 && s.cursor.x < cols && s.cursor.y >= 0 && s.cursor.y < rows);
    }
    assert.equal(JSON.stringify(before), frozen, 'a snapshot handed out is never changed afterwards');
  }
});

test('a diff touching one row shares every other row with the base snapshot', () => {
  const em = new Emulator(80, 24);
  for (let y = 0; y < 24; y++) em.write(`line ${y}\r\n`);
  const base = Framebuffer.from(em.snapshot()).snapshot();
  const fb = Framebuffer.from(base);
  fb.write(enc('\x1b[5;1Hchanged'));
  const next = fb.snapshot();
  let shared = 0;
  for (let y = 0; y < 24; y++) if (next.lines[y] === base.lines[y]) shared++;
  assert.equal(shared, 23);
  assert.equal(next.lines[4].text.slice(0, 7).join(''), 'changed');
  assert.equal(base.lines[4].text.slice(0, 4).join(''), 'line');
});
