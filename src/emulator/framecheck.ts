// What the display differ (newframe.ts) is given, checked and cleaned before it writes anything: the shape of a
// snapshot (sizes within emulator/limits.ts, row lengths), cell and title text without control characters, and
// numbers clamped to their range. A snapshot may come from the network (a restored session, a peer's diff
// applied by our framebuffer), so nothing in it reaches the terminal unchecked. Not the differ itself.
import { MAX_CELLS, MAX_COLS, MAX_ROWS } from './limits';
import type { Snapshot } from './snapshot';
import { type PlainRow, Row } from './row';

const bad = (what: string): never => {
  throw new TypeError(`newFrame: malformed snapshot (${what})`);
};

function checkFrame(s: Snapshot): void {
  if (s === null || typeof s !== 'object') bad('not an object');
  const { cols, rows, lines } = s;
  if (!Number.isInteger(cols) || cols < 1 || cols > MAX_COLS) bad('cols');
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS || cols * rows > MAX_CELLS) bad('rows');
  if (!Array.isArray(lines) || lines.length !== rows) bad('lines');
  if (s.cursor === null || typeof s.cursor !== 'object') bad('cursor');
  if (s.modes === null || typeof s.modes !== 'object') bad('modes');
}

/** Throws a TypeError unless `s` has the shape of a Snapshot (sizes, rows of the width). */
export function checkSnapshotShape(s: Snapshot): void {
  checkFrame(s);
  const { cols, lines } = s;
  for (let y = 0; y < lines.length; y++) {
    const r = lines[y];
    if (!(r instanceof Row) || r.cols !== cols) bad(`row ${y}`);
  }
}

/**
 * A snapshot from plain data (a saved session read back: its rows as Row.toJSON wrote them), checked for shape
 * (TypeError if malformed) with its rows packed again.
 */
export function reviveSnapshot(s: Snapshot): Snapshot {
  checkFrame(s);
  const cols = s.cols;
  const lines = (s.lines as readonly unknown[]).map((v, y): Row => {
    if (v instanceof Row) return v.cols === cols ? v : bad(`row ${y}`);
    const r = v as PlainRow;
    if (r === null || typeof r !== 'object') bad(`row ${y}`);
    if (!Array.isArray(r.text) || r.text.length !== cols) bad(`row ${y} text`);
    if (!Array.isArray(r.style) || r.style.length !== cols) bad(`row ${y} style`);
    if (r.widths !== null && (typeof r.widths !== 'string' || r.widths.length !== cols)) bad(`row ${y} widths`);
    return Row.fromPlain(r);
  });
  return { ...s, lines };
}

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/** Cell text that cannot carry a control character to the terminal. */
export function safeText(t: unknown): string {
  if (typeof t !== 'string') return '\ufffd';
  if (t.length === 1) {
    const c = t.charCodeAt(0);
    return c >= 0x20 && c !== 0x7f && (c < 0x80 || c >= 0xa0) ? t : '\ufffd';
  }
  CONTROLS.lastIndex = 0;
  return CONTROLS.test(t) ? t.replace(CONTROLS, '\ufffd') : t;
}

/** Title text without controls (they could end the OSC early and start something else). */
export function safeTitle(t: unknown): string {
  return typeof t === 'string' ? t.replace(CONTROLS, '') : '';
}

/** `v` as an integer within [lo, hi] (lo when it is not a finite number). */
export function clampInt(v: unknown, lo: number, hi: number): number {
  const n = typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : lo;
  return n < lo ? lo : n > hi ? hi : n;
}
