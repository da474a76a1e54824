// What Emulator.writeBulk needs of one bulk write's lines at the next: when a flood of plain text goes on, the
// rows above the cursor at a bulk write are the last lines of the previous one (T, see writeBulk) plus the new
// write's first line, each on a row of its own. Given as their text, they need not be read from the screen
// (a copy of each row's cells kept for the history, for every 64 KiB of output). Pure functions over bytes; the
// Emulator decides when they apply (nothing else written since, the default rendition, ASCII, the normal screen).

/**
 * T: `rows` lines that end in CR LF, then an unfinished one, printed from the bottom-left of a blank screen.
 * After the next line feed the rows above the cursor hold T's lines but the first two (scrolled off) and the
 * unfinished one: returns those bytes (a copy), or null when one of them is not printable ASCII within a row.
 */
export function plainTailOf(t: Uint8Array, rows: number, cols: number): Uint8Array | null {
  if (rows < 3) return null;
  let from = t.indexOf(0x0a);
  from = from < 0 ? -1 : t.indexOf(0x0a, from + 1);
  if (from < 0 || t[from - 1] !== 0x0d) return null; // (a bare LF would start the next line mid-row)
  let lineStart = from + 1;
  for (let i = lineStart; i < t.length; i++) {
    const b = t[i];
    if (b === 0x0a) {
      // CR LF: the CR is not a cell
      if (t[i - 1] !== 0x0d || i - 1 - lineStart > cols) return null;
      lineStart = i + 1;
    } else if ((b < 0x20 || b > 0x7e) && !(b === 0x0d && t[i + 1] === 0x0a)) return null;
  }
  if (t.length - lineStart > cols) return null;
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
