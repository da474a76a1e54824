// xterm's cell words (common/buffer/Constants.ts) read two ways: a line decoded into a snapshot Row (decodeRow),
// and a line straight into its history text (historyLineText: renditions as SGR in mosh's vocabulary, then the
// characters, trailing empty cells left out), the same text a Row of it would give, without building the Row.
// Not the emulator (emulator.ts) and not the history's wire format (statesync/history.ts).
import type { RawLine } from './xtermInternals';
import { blankStyleOf, moshStyle, styleOf } from './style';
import { blankRow, type Row } from './snapshot';

// Cell word layout (xterm common/buffer/Constants.ts).
const CODEPOINT_MASK = 0x1fffff;
const IS_COMBINED = 0x200000;
const HAS_CONTENT = 0x3fffff;
const WIDTH_SHIFT = 22;
export const BG_HAS_EXTENDED = 0x10000000;
const FG_UNDERLINE = 0x10000000;

const charCache: string[] = [];
function charOf(cp: number): string {
  if (cp < 0x10000) {
    if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
    let s = charCache[cp];
    if (s === undefined) {
      s = String.fromCharCode(cp);
      charCache[cp] = s;
    }
    return s;
  }
  return String.fromCodePoint(cp);
}

export function extWord(line: RawLine, x: number): number {
  const e = line._extendedAttrs[x];
  if (!e) return 0;
  return (e._ext ?? e.ext) >>> 0;
}

/**
 * Decodes one xterm line into a Row. Normalises what no byte stream could recreate as such: orphan halves of wide
 * characters become empty cells, and a one-column cell that starts with a zero-width character (xterm can join
 * a mark onto an empty cell) becomes the lone-mark cell it looks like (width 0, see Row.widths).
 *
 * Memory: a row's text and style arrays are allocated only when some cell needs them: a row whose cells all have
 * the default rendition shares the blank row's (frozen) style array, an empty row its text array too. The Row
 * object itself is always new: the differ takes the same Row object in two snapshots for a row that moved.
 */
export function decodeRow(
  line: RawLine | null,
  cols: number,
  wraps: boolean,
  widths_: { wcwidth(cp: number): number },
): { row: Row; extras: (number | string)[] | null } {
  const blank = blankRow(cols);
  if (line === null) return { row: { text: blank.text, style: blank.style, widths: null, wraps }, extras: null };
  const d = line._data;
  const len = Math.min(cols, line.length);
  let text: string[] | null = null;
  let style: string[] | null = null;
  let widths: string[] | null = null;
  let extras: (number | string)[] | null = null;
  let lastFg = -1;
  let lastBg = -1;
  let lastStyle = '';
  for (let x = 0; x < len; x++) {
    const i = x * 3;
    const c = d[i];
    const fg = d[i + 1];
    const bg = d[i + 2];
    let w = c >>> WIDTH_SHIFT;
    let t: string;
    if (c & IS_COMBINED) {
      t = line._combined[x] ?? '';
      (extras ??= []).push(x, t);
    } else {
      const cp = c & CODEPOINT_MASK;
      t = cp === 0 ? '' : charOf(cp);
    }
    if (w === 2) {
      const j = i + 3;
      if (x + 1 < len && d[j] >>> WIDTH_SHIFT === 0 && (d[j] & HAS_CONTENT) === 0 && t !== '') {
        let s: string;
        if (bg & BG_HAS_EXTENDED) {
          const e = extWord(line, x);
          (extras ??= []).push(x, e);
          s = styleOf(fg, bg, fg & FG_UNDERLINE ? e : 0);
        } else s = fg === lastFg && bg === lastBg ? lastStyle : styleOf(fg, bg, 0);
        (text ??= blankArray(cols))[x] = t;
        if (s !== '') {
          style ??= blankArray(cols);
          style[x] = s;
          style[x + 1] = s;
        }
        if (widths === null) widths = new Array<string>(cols).fill('1');
        widths[x] = '2';
        widths[x + 1] = '0';
        x++;
        continue;
      }
      t = '';
      w = 1;
    } else if (w === 0) {
      if (t === '') w = 1;
      else {
        if (widths === null) widths = new Array<string>(cols).fill('1');
        widths[x] = '0';
      }
    } else if (t !== '' && t.charCodeAt(0) >= 0x300 && widths_.wcwidth(t.codePointAt(0)!) === 0) {
      if (widths === null) widths = new Array<string>(cols).fill('1');
      widths[x] = '0';
    }
    let s: string;
    if (t === '') {
      s = blankStyleOf(bg);
    } else {
      (text ??= blankArray(cols))[x] = t;
      if (bg & BG_HAS_EXTENDED) {
        const e = extWord(line, x);
        (extras ??= []).push(x, e);
        s = styleOf(fg, bg, fg & FG_UNDERLINE ? e : 0);
      } else if (fg === lastFg && bg === lastBg) {
        s = lastStyle;
      } else {
        lastFg = fg;
        lastBg = bg;
        lastStyle = styleOf(fg, bg, 0);
        s = lastStyle;
      }
    }
    if (s !== '') (style ??= blankArray(cols))[x] = s;
  }
  return {
    row: { text: text ?? blank.text, style: style ?? blank.style, widths: widths === null ? null : widths.join(''), wraps },
    extras,
  };
}

/** `n` empty strings, in an array to fill in. */
function blankArray(n: number): string[] {
  return new Array<string>(n).fill('');
}

const SGR_RESET = '\x1b[0m';

/**
 * An xterm line's history text: what historyText of decodeRow's Row gives (the same cell rules: wide characters,
 * orphan halves, lone marks, blank cells with a background), in one pass over the cells that hold something.
 */
export function historyLineText(line: RawLine, cols: number): string {
  const d = line._data;
  // Cells past the last one holding something or a background are left out: skip them at once.
  let len = Math.min(cols, line.length);
  while (len > 0 && (d[len * 3 - 3] & (IS_COMBINED | CODEPOINT_MASK)) === 0 && blankStyleOf(d[len * 3 - 1]) === '') len--;
  if (len < Math.min(cols, line.length) && len > 0 && d[len * 3 - 3] >>> WIDTH_SHIFT === 2) len++; // a wide character's right half
  let out = '';
  let pen = '';
  // The text up to and including the last cell that is not empty with the default rendition, and the pen there.
  let keep = 0;
  let keepPen = '';
  let lastFg = -1;
  let lastBg = -1;
  let lastStyle = '';
  for (let x = 0; x < len; x++) {
    const i = x * 3;
    const c = d[i];
    const fg = d[i + 1];
    const bg = d[i + 2];
    const w = c >>> WIDTH_SHIFT;
    let t: string;
    if (c & IS_COMBINED) t = line._combined[x] ?? '';
    else {
      const cp = c & CODEPOINT_MASK;
      t = cp === 0 ? '' : charOf(cp);
    }
    let wide = false;
    if (w === 2) {
      const j = i + 3;
      if (x + 1 < len && d[j] >>> WIDTH_SHIFT === 0 && (d[j] & HAS_CONTENT) === 0 && t !== '') wide = true;
      else t = ''; // an orphan half: an empty cell
    }
    let s: string;
    if (t === '') s = blankStyleOf(bg);
    else if (bg & BG_HAS_EXTENDED) s = styleOf(fg, bg, fg & FG_UNDERLINE ? extWord(line, x) : 0);
    else if (fg === lastFg && bg === lastBg) s = lastStyle;
    else {
      lastFg = fg;
      lastBg = bg;
      lastStyle = styleOf(fg, bg, 0);
      s = lastStyle;
    }
    const m = s === '' ? '' : moshStyle(s);
    if (m !== pen) {
      out += m === '' ? SGR_RESET : `\x1b[0;${m}m`;
      pen = m;
    }
    out += t === '' ? ' ' : t;
    if (t !== '' || s !== '') {
      keep = out.length;
      keepPen = pen;
    }
    if (wide) x++; // its right half prints nothing
  }
  out = out.slice(0, keep);
  return keepPen !== '' ? out + SGR_RESET : out;
}
