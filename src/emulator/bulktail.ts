// The byte-level side of Emulator.writeBulk: the scan that tells whether a large write is plain text (and where
// it is not quite: odd bytes, long lines), and what one bulk write's lines tell of the screen at the next. When a
// flood of plain text goes on, the rows above the cursor at a bulk write are the last lines of the previous one
// (T, see writeBulk) plus the new write's first line, each on a row of its own; given as their text, they need not
// be read from the screen (a copy of each row's cells kept for the history, for every 64 KiB of output). Functions
// over bytes (a few module variables serve as scratch, documented where they are); the Emulator decides when they
// apply (nothing else written since, the default rendition, ASCII, the normal screen). Not a terminal.

/** What Emulator.writeBulk's scan of its data found (positions in the data; -1: none). */
export interface BulkScan {
  lineFeeds: number;
  /** The first line feed without a CR before it (data.length: none). */
  bareLf: number;
  /** The last byte that is not printable ASCII, a CR before an LF, or an LF after a CR. */
  odd: number;
  /** The last line feed that ends a line of more than a row (`cols` characters before its CR LF). */
  long: number;
}

// The last scan's findings but the line feed count (module variables: stores after the scan's loop that need no
// type feedback, so V8's on-stack-replaced code for the loop is not deoptimized there at every call).
let lastBareLf = 0;
let lastOdd = -1;
let lastLong = -1;

/**
 * Scans data[from..] for Emulator.writeBulk: false if it holds what plain text does not (a control other than TAB,
 * CR and LF, a C1 control, or a lead byte at the end that may begin one); else true, with `scan` filled in.
 */
export function scanBulk(data: Uint8Array, from: number, cols: number, scan: BulkScan): boolean {
  const lineFeeds = scanLoop(data, from, cols);
  if (lineFeeds < 0) return false;
  scan.lineFeeds = lineFeeds;
  scan.bareLf = lastBareLf;
  scan.odd = lastOdd;
  scan.long = lastLong;
  return true;
}

/** scanBulk's loop: the number of line feeds, or -1 for data that is not plain text. */
function scanLoop(data: Uint8Array, from: number, cols: number): number {
  let lineFeeds = 0;
  let bareLf = data.length;
  let odd = -1;
  let long = -1;
  let lineStart = from;
  for (let i = from; i < data.length; i++) {
    const b = data[i];
    if (b >= 0x20 && b < 0x7f) continue;
    if (b === 0x0a) {
      lineFeeds++;
      if (data[i - 1] !== 0x0d) {
        if (bareLf === data.length) bareLf = i;
        odd = i;
      }
      if (i - lineStart > cols + 1) long = i;
      lineStart = i + 1;
    } else if (b < 0x20) {
      if (b !== 0x09 && b !== 0x0d) return -1; // ESC and the other controls
      if (b === 0x09 || data[i + 1] !== 0x0a) odd = i;
    } else {
      // DEL and UTF-8; a C1 control (U+0080-U+009F as UTF-8) is not plain text
      if (b === 0xc2 && (i + 1 === data.length || (data[i + 1] >= 0x80 && data[i + 1] <= 0x9f))) return -1;
      odd = i;
    }
  }
  lastBareLf = bareLf;
  lastOdd = odd;
  lastLong = long;
  return lineFeeds;
}

/** The (rows + 1)-th line feed from the end of data (writeBulk's cut), or -1. */
export function bulkCut(data: Uint8Array, rows: number): number {
  let cut = data.length;
  for (let k = 0; k <= rows && cut > 0; k++) cut = data.lastIndexOf(0x0a, cut - 1);
  return cut;
}

/**
 * T (data after `cut`): `rows` lines that end in CR LF, then an unfinished one, printed from the bottom-left of a
 * blank screen. After the next line feed the rows above the cursor hold T's lines but the first two (scrolled
 * off) and the unfinished one: returns those bytes (a copy), or null when one of them is not printable ASCII
 * within a row (as `scan` tells).
 */
export function plainTailOf(
  data: Uint8Array,
  cut: number,
  rows: number,
  cols: number,
  scan: BulkScan,
): Uint8Array | null {
  if (rows < 3) return null;
  let from = data.indexOf(0x0a, cut + 1);
  from = from < 0 ? -1 : data.indexOf(0x0a, from + 1);
  // (`from` itself may end a long line: T's second, which the next line feed scrolls off in any case)
  if (from < 0 || scan.odd >= from || scan.long > from) return null;
  if (data.length - (data.lastIndexOf(0x0a) + 1) > cols) return null;
  return Buffer.from(data.subarray(from + 1));
}

/**
 * The rows above the cursor as lines ending in CR LF: `tail` (plainTailOf) with this write's first line (data up
 * to `firstLf`, which ends in CR LF) going on from its unfinished line, valid until the next call; null if that
 * line is not printable ASCII or does not fit a row.
 */
export function rowsAboveAsText(tail: Uint8Array, data: Uint8Array, firstLf: number, cols: number): Uint8Array | null {
  const unfinished = tail.length - (tail.lastIndexOf(0x0a) + 1);
  if (firstLf < 1 || data[firstLf - 1] !== 0x0d || unfinished + firstLf - 1 > cols) return null;
  for (let i = 0; i < firstLf - 1; i++) if (data[i] < 0x20 || data[i] > 0x7e) return null;
  const n = tail.length + firstLf + 1;
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
  scratch.set(tail, 0);
  scratch.set(data.subarray(0, firstLf + 1), tail.length);
  return scratch.subarray(0, n);
}

/** Where rowsAboveAsText writes (a history sink copies what it keeps during its call). */
let scratch = new Uint8Array(0);
