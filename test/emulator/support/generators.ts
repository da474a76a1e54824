// Test support for the emulator tests: a seeded PRNG, random but realistic terminal output (text, colours,
// cursor moves, erases, scrolls, wide characters, combining marks, modes, titles), and the round-trip check
// "newFrame(A, B) applied to a terminal showing A gives B". Not a test by itself.
import assert from 'node:assert/strict';
import {
  Emulator,
  moshStyle,
  newFrame,
  rowText,
  Row,
  type Snapshot,
  type Vocabulary,
} from '../../../src/emulator/index';
import { mulberry32 } from '../../support/relay';
import { findForbiddenSequence } from '../../support/vocabulary';

/** mulberry32: small, fast, deterministic (the relay's). */
export const rng = mulberry32;

export type Rand = () => number;
export const int = (r: Rand, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const WORDS = [
  'ls',
  'cd',
  'echo',
  'hello',
  'world',
  'src',
  'build',
  'node_modules',
  'README.md',
  '$',
  '#',
  '>',
  'a',
  'xyz',
  '0123',
  '--color',
];
const WIDE = ['中', '文', '字', '日本', '한국어', '😀', '🎉', 'ｗ', '👍'];
const COMBINING = ['\u0301', '\u0308', '\u0323', '\u20dd', '\ufe0f'];
const LATIN = ['é', 'ü', 'ß', 'ø', '€', '—', '│', '─', '┌', '█', '░', '→'];
const SGR = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '4:3',
  '4:2',
  '5',
  '7',
  '8',
  '9',
  '53',
  '21',
  '22',
  '23',
  '24',
  '25',
  '27',
  '28',
  '29',
  '55',
  '30',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '39',
  '40',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '47',
  '49',
  '90',
  '91',
  '97',
  '100',
  '101',
  '107',
];

function sgr(r: Rand): string {
  const parts: string[] = [];
  const n = 1 + int(r, 3);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.6) parts.push(pick(r, SGR));
    else if (k < 0.75) parts.push(`38;5;${int(r, 256)}`);
    else if (k < 0.85) parts.push(`48;5;${int(r, 256)}`);
    else if (k < 0.92) parts.push(`38;2;${int(r, 256)};${int(r, 256)};${int(r, 256)}`);
    else if (k < 0.97) parts.push(`48;2;${int(r, 256)};${int(r, 256)};${int(r, 256)}`);
    else parts.push(r() < 0.5 ? `58;5;${int(r, 256)}` : `58;2;${int(r, 256)};${int(r, 256)};${int(r, 256)}`);
  }
  return `\x1b[${parts.join(';')}m`;
}

/**
 * One random chunk of terminal output for a cols x rows screen. `loneMarks: false` leaves out combining marks
 * that do not follow a base character (xterm and mosh keep those differently).
 */
export function randomChunk(r: Rand, cols: number, rows: number, loneMarks = true): string {
  const k = r();
  if (k < 0.3) {
    let s = '';
    const n = 1 + int(r, 6);
    for (let i = 0; i < n; i++) {
      const q = r();
      if (q < 0.6) s += pick(r, WORDS);
      else if (q < 0.75) s += pick(r, WIDE);
      else if (q < 0.85) s += pick(r, LATIN);
      else if (q < 0.92) s += 'e' + pick(r, COMBINING);
      else s += ' '.repeat(1 + int(r, 8));
      if (r() < 0.5) s += ' ';
    }
    return s;
  }
  if (k < 0.42) return sgr(r);
  if (k < 0.52) return pick(r, ['\r\n', '\n', '\r', '\b', '\t', '\r\n\r\n']);
  if (k < 0.62) return `\x1b[${1 + int(r, rows + 1)};${1 + int(r, cols + 2)}H`;
  if (k < 0.67) return `\x1b[${int(r, 5)}${pick(r, ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'd', '`'])}`;
  if (k < 0.75) return `\x1b[${pick(r, ['', '0', '1', '2'])}${pick(r, ['K', 'J', 'K', 'K'])}`;
  if (k < 0.8) return `\x1b[${int(r, 12)}${pick(r, ['X', '@', 'P', 'L', 'M', 'S', 'T'])}`;
  if (k < 0.84) {
    // Scroll within a region, or the whole screen.
    const top = 1 + int(r, Math.max(1, rows - 1));
    const bottom = top + 1 + int(r, Math.max(1, rows - top));
    return `\x1b[${top};${bottom}r\x1b[${bottom};1H${'\n'.repeat(1 + int(r, 3))}\x1b[r${r() < 0.5 ? '\x1bM' : ''}`;
  }
  if (k < 0.87) {
    // A wide or combining character at the last column, or text running past it.
    const tail = pick(r, [...WIDE, 'x', 'xy' + pick(r, COMBINING), loneMarks ? pick(r, COMBINING) : 'z', 'abc']);
    return `\x1b[${1 + int(r, rows)};${cols}H${tail}`;
  }
  if (k < 0.89) return loneMarks ? pick(r, COMBINING) : 'q'; // possibly a lone mark after an escape sequence
  if (k < 0.93) {
    const mode = pick(r, [
      '1',
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
      '1049',
      '1047',
      '7',
      '4',
    ]);
    return mode === '4' ? `\x1b[4${r() < 0.5 ? 'h' : 'l'}` : `\x1b[?${mode}${r() < 0.5 ? 'h' : 'l'}`;
  }
  if (k < 0.95)
    return pick(r, [
      '\x1b=',
      '\x1b>',
      '\x1b7',
      '\x1b8',
      '\x1bD',
      '\x1bE',
      '\x1b(0',
      '\x1b(B',
      '\x07',
      `\x1b[${int(r, 7)} q`,
    ]);
  if (k < 0.97) {
    const ps = pick(r, ['0', '1', '2']);
    return `\x1b]${ps};${pick(r, ['vim', 'bash — ~/src', 'top', 'ÿ title 中', ''])}\x07`;
  }
  if (k < 0.98) return `\x1b]52;c;${Buffer.from(pick(r, ['copied', 'x', ''])).toString('base64')}\x07`;
  let s = '';
  const n = int(r, cols * 2);
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x21 + int(r, 94));
  return s;
}

export function randomStream(r: Rand, cols: number, rows: number, chunks: number): string {
  let s = '';
  for (let i = 0; i < chunks; i++) s += randomChunk(r, cols, rows);
  return s;
}

/** What a target driven with the 'mosh' vocabulary can show of `s`: styles mapped, xterm-only modes off. */
export function moshView(s: Snapshot): Snapshot {
  const lines: Row[] = s.lines.map((row) => Row.fromCells(row.text, row.style.map(moshStyle), row.widths, row.wraps));
  return {
    ...s,
    lines,
    pen: moshStyle(s.pen),
    modes: { ...s.modes, altScreen: false, applicationCursorKeys: false, applicationKeypad: false, cursorStyle: 0 },
  };
}

function cellDesc(row: Row, x: number): string {
  return JSON.stringify({ t: row.text[x], s: row.style[x], w: row.widths === null ? 1 : Number(row.widths[x]) });
}

/** Asserts `actual` shows `expected` (cells, wrap flags, cursor, pen, modes, titles), with a precise message. */
export function assertSameScreen(actual: Snapshot, expected: Snapshot, context: string): void {
  assert.equal(actual.cols, expected.cols, `${context}: cols`);
  assert.equal(actual.rows, expected.rows, `${context}: rows`);
  for (let y = 0; y < expected.rows; y++) {
    const a = actual.lines[y];
    const e = expected.lines[y];
    for (let x = 0; x < expected.cols; x++) {
      const aw = a.widths === null ? 1 : Number(a.widths[x]);
      const ew = e.widths === null ? 1 : Number(e.widths[x]);
      if (a.text[x] !== e.text[x] || a.style[x] !== e.style[x] || aw !== ew) {
        assert.fail(
          `${context}: cell (${y},${x}) is ${cellDesc(a, x)}, want ${cellDesc(e, x)}\n` +
            `  row got:  ${JSON.stringify(rowText(actual, y))}\n  row want: ${JSON.stringify(rowText(expected, y))}`,
        );
      }
    }
    if (y < expected.rows - 1 && a.wraps !== e.wraps)
      assert.fail(`${context}: row ${y} wraps=${a.wraps}, want ${e.wraps}`);
  }
  assert.deepEqual(actual.cursor, expected.cursor, `${context}: cursor`);
  assert.equal(actual.pen, expected.pen, `${context}: pen`);
  assert.deepEqual({ ...actual.modes }, { ...expected.modes }, `${context}: modes`);
  if (expected.titleSet) {
    assert.equal(actual.title, expected.title, `${context}: title`);
    assert.equal(actual.iconName, expected.iconName, `${context}: icon name`);
  }
  // A clipboard cannot be unset: only a set one must arrive.
  if (expected.clipboard !== null) assert.equal(actual.clipboard, expected.clipboard, `${context}: clipboard`);
}

/** Asserts the differ output is in vocabulary. */
export function assertClean(out: string, context: string): void {
  const bad = findForbiddenSequence(out);
  if (bad !== null) assert.fail(`${context}: differ emitted ${bad}`);
}

/** A terminal showing `a`, built the way a client would: a fresh emulator fed the full repaint of `a`. */
export function terminalShowing(a: Snapshot, vocabulary: Vocabulary): Emulator {
  const t = new Emulator(a.cols, a.rows);
  const out = newFrame(false, null, a, { vocabulary });
  assertClean(out, 'repaint');
  t.write(out);
  return t;
}

/**
 * The round-trip property: newFrame(null, A) into a fresh terminal shows A; then newFrame(A, B) makes it show B.
 * Returns the number of bytes of the incremental diff.
 */
export function checkRoundTrip(a: Snapshot, b: Snapshot, vocabulary: Vocabulary, context: string): number {
  const view = vocabulary === 'mosh' ? moshView : (s: Snapshot) => s;
  const t = terminalShowing(a, vocabulary);
  assertSameScreen(t.snapshot(), view(a), `${context}: repaint of A`);
  const diff = newFrame(true, a, b, { vocabulary });
  assertClean(diff, context);
  t.write(diff);
  const got = t.snapshot();
  assertSameScreen(got, view(b), `${context}: A->B`);
  if (b.bellCount > a.bellCount) assert.equal(got.bellCount, 1, `${context}: one bell`);
  t.dispose();
  return diff.length;
}
