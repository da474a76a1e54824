// The reference for history line text: a snapshot Row's cells with SGR renditions (mosh's vocabulary), trailing
// empty cells left out. The emulator makes the same text straight from xterm's cells (emulator/cells.ts
// historyLineText); tests compare the two. Test support only.
import { moshStyle, type Row } from '../../src/emulator';

const SGR_RESET = '\x1b[0m';

/** A row's history text: its cells with SGR renditions (mosh's vocabulary), trailing empty cells left out. */
export function historyText(row: Row): Uint8Array {
  let end = row.text.length;
  while (end > 0 && row.text[end - 1] === '' && row.style[end - 1] === '') end--;
  let out = '';
  let pen = '';
  for (let x = 0; x < end; x++) {
    const w = row.widths === null ? 1 : row.widths.charCodeAt(x) - 48;
    const t = row.text[x];
    if (w === 0 && t === '') continue; // right half of a wide character
    const style = moshStyle(row.style[x]);
    if (style !== pen) {
      out += style === '' ? SGR_RESET : `\x1b[0;${style}m`;
      pen = style;
    }
    out += t === '' ? ' ' : t;
  }
  if (pen !== '') out += SGR_RESET;
  return Buffer.from(out, 'utf8');
}
