// One logical line of plain text (printable characters, TAB and CR; no escape sequences) as a terminal of `cols`
// columns lays it out when printed from column 0 with one rendition: wide characters take two cells, combining
// marks join the cell before, TAB moves to the next multiple of 8, CR returns to the start of the current row
// (later characters overwrite), and the text wraps at `cols`. Returns the cells as one string with that rendition
// as SGR (mosh's vocabulary). For history lines that writeBulk did not emulate; not a terminal.
import { moshStyle } from './style';
import { glibcWidth } from './widths';

/**
 * plainLineText as UTF-8 bytes. A line of printable ASCII that fits the row (the usual line of a flood) is laid
 * out as it is: its own bytes without trailing spaces (a view of `bytes`, not a copy, with the default rendition).
 */
export function plainLineBytes(bytes: Uint8Array, style: string, cols: number): Uint8Array {
  let ascii = bytes.length <= cols;
  for (let i = 0; ascii && i < bytes.length; i++) if (bytes[i] < 0x20 || bytes[i] > 0x7e) ascii = false;
  if (!ascii) return Buffer.from(plainLineText(bytes, style, cols), 'utf8');
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0x20) end--;
  const s = moshStyle(style);
  if (s === '' || end === 0) return bytes.subarray(0, end);
  return Buffer.concat([
    Buffer.from(`\x1b[0;${s}m`, 'latin1'),
    bytes.subarray(0, end),
    Buffer.from('\x1b[0m', 'latin1'),
  ]);
}

export function plainLineText(bytes: Uint8Array, style: string, cols: number): string {
  const text = Buffer.from(bytes).toString('utf8');
  const cells: string[] = [];
  let x = 0; // position in cells (row * cols + column)
  let rowStart = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0d) {
      x = rowStart;
      continue;
    }
    if (cp === 0x09) {
      const col = x - rowStart;
      x = rowStart + Math.min(cols - 1, (Math.floor(col / 8) + 1) * 8);
      continue;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    const w = glibcWidth(cp);
    if (w === 0) {
      if (x > 0 && cells[x - 1] !== undefined) cells[x - 1] += ch;
      continue;
    }
    if (x - rowStart + w > cols) {
      rowStart += cols;
      x = rowStart;
    }
    cells[x] = ch;
    if (w === 2) cells[x + 1] = '';
    x += w; // at the end of a row this is xterm's pending wrap: the next character starts the next row
  }
  let out = '';
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    out += c === undefined ? ' ' : c;
  }
  out = out.replace(/ +$/, '');
  const s = moshStyle(style);
  return s === '' || out === '' ? out : `\x1b[0;${s}m${out}\x1b[0m`;
}
