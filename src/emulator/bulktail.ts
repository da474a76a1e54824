// What Emulator.writeBulk needs of one bulk write's lines at the next: when a flood of plain text goes on, the
// rows above the cursor at a bulk write are the last lines of the previous one (T, see writeBulk) plus the new
// write's first line, each on a row of its own. Given as their text, they need not be read from the screen
// (a copy of each row's cells kept for the history, for every 64 KiB of output). Pure functions over bytes; the
// Emulator decides when they apply (nothing else written since, the default rendition, ASCII, the normal screen).

/** A byte that is not printable ASCII, a CR not before an LF, or an LF not after a CR (in latin1 text). */
const NOT_PLAIN = /[^\x20-\x7e\r\n]|\r(?!\n)|(?<!\r)\n/;

/**
 * T: `rows` lines that end in CR LF, then an unfinished one, printed from the bottom-left of a blank screen.
 * After the next line feed the rows above the cursor hold T's lines but the first two (scrolled off) and the
 * unfinished one: returns those bytes (a copy), or null when one of them is not printable ASCII within a row.
 */
export function plainTailOf(t: Uint8Array, rows: number, cols: number): Uint8Array | null {
  if (rows < 3) return null;
  // As latin1 text, checked with native string searches (this runs once per bulk write: rarely optimized code).
  const s = Buffer.from(t.buffer, t.byteOffset, t.length).toString('latin1');
  if (NOT_PLAIN.test(s)) return null;
  let from = s.indexOf('\n');
  from = from < 0 ? -1 : s.indexOf('\n', from + 1);
  if (from < 0) return null;
  // Each line after `from` within a row: at most `cols` characters before its CR LF, and in the unfinished one.
  let at = from + 1;
  for (let lf = s.indexOf('\n', at); lf >= 0; lf = s.indexOf('\n', at)) {
    if (lf - at > cols + 1) return null;
    at = lf + 1;
  }
  if (s.length - at > cols) return null;
  return Buffer.from(t.subarray(from + 1));
}

/**
 * The rows above the cursor as lines ending in CR LF: `tail` (plainTailOf) with this write's first line (data up
 * to `firstLf`, which ends in CR LF) going on from its unfinished line; null if that line is not printable ASCII
 * or does not fit a row.
 */
export function rowsAboveAsText(tail: Uint8Array, data: Uint8Array, firstLf: number, cols: number): Uint8Array | null {
  const unfinished = tail.length - (tail.lastIndexOf(0x0a) + 1);
  if (firstLf < 1 || data[firstLf - 1] !== 0x0d || unfinished + firstLf - 1 > cols) return null;
  for (let i = 0; i < firstLf - 1; i++) if (data[i] < 0x20 || data[i] > 0x7e) return null;
  const out = Buffer.allocUnsafe(tail.length + firstLf + 1);
  out.set(tail, 0);
  out.set(data.subarray(0, firstLf + 1), tail.length);
  return out;
}
