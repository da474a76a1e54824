// One screen row of a snapshot, packed: per cell three 32-bit words in xterm.js's BufferLine layout (content:
// code point, "combined" flag and width; foreground and background attribute words), kept normalised (style.ts
// cellFg/cellBg/cellExt, an empty cell's background colour alone) so that two cells look the same exactly when
// their words are equal. Text of more than one code point and the rare extended underline words sit beside, by
// column. A frame's hot paths (the framebuffer writing cells, the differ comparing and drawing them, the server
// copying xterm's lines) work on the words: no string or object per cell. Cold readers (prediction, tests, JSON)
// use text/style/widths, built on first use. Not a screen and not an emulator: a Row never changes once made.
import { Pen } from './pen';
import { cellBg, cellExt, cellFg, eraseBg, isWellFormedStyle, styleOf } from './style';

/** Content word: the code point (0: none). */
export const CODEPOINT_MASK = 0x1fffff;
/** Content word: the cell's text is in Row.clusters (more than one code point). */
export const IS_COMBINED = 0x200000;
/** Content word: the cell's width (0, 1 or 2) from this bit up. */
export const WIDTH_SHIFT = 22;
/** The content word of an empty cell (never written, or erased): no text, width 1. */
export const EMPTY_CELL = 1 << WIDTH_SHIFT;
/** Background flag: the cell has an extended word (Row.exts). */
export const BG_HAS_EXTENDED = 0x10000000;

const charCache: string[] = [];

/** The one-character string of code point `cp` (a lone surrogate reads as U+FFFD). */
export function charOf(cp: number): string {
  if (cp < 0x10000) {
    let s = charCache[cp];
    if (s === undefined) {
      s = cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCharCode(cp);
      charCache[cp] = s;
    }
    return s;
  }
  return String.fromCodePoint(cp);
}

export interface PlainRow {
  readonly text: readonly string[];
  readonly style: readonly string[];
  readonly widths: string | null;
  readonly wraps: boolean;
}

export class Row implements PlainRow {
  readonly cols: number;
  private textCache: readonly string[] | null = null;
  private styleCache: readonly string[] | null = null;
  private widthsCache: string | null | undefined = undefined;

  constructor(
    /** 3 words per cell (content, fg, bg), `cols` cells; never changed after the row is made. */
    readonly cells: Uint32Array,
    /** The text runs on into the next row (an automatic wrap after the last column). Last row: false. */
    readonly wraps: boolean,
    /** The text of each cell whose content word has IS_COMBINED, by column. */
    readonly clusters: ReadonlyMap<number, string> | null = null,
    /** The extended word (style.ts cellExt) of each cell whose background word has BG_HAS_EXTENDED, by column. */
    readonly exts: ReadonlyMap<number, number> | null = null,
  ) {
    this.cols = (cells.length / 3) | 0;
  }

  /** The same cells with another wrap flag (sharing them). */
  withWraps(wraps: boolean): Row {
    if (wraps === this.wraps) return this;
    const r = new Row(this.cells, wraps, this.clusters, this.exts);
    r.textCache = this.textCache;
    r.styleCache = this.styleCache;
    r.widthsCache = this.widthsCache;
    return r;
  }

  /** Cell x's text: '' for an empty cell or the right half of a wide character, else its grapheme. */
  textAt(x: number): string {
    const c = this.cells[x * 3];
    if (c & IS_COMBINED) return this.clusters?.get(x) ?? '';
    const cp = c & CODEPOINT_MASK;
    return cp === 0 ? '' : charOf(cp);
  }

  /** Cell x's display width: 1, 2 (left half of a wide character) or 0 (its right half, or a lone mark). */
  widthAt(x: number): number {
    return this.cells[x * 3] >>> WIDTH_SHIFT;
  }

  /** Cell x's rendition as a canonical SGR parameter string (style.ts). */
  styleAt(x: number): string {
    const bg = this.cells[x * 3 + 2];
    return styleOf(this.cells[x * 3 + 1], bg, bg & BG_HAS_EXTENDED ? (this.exts?.get(x) ?? 0) : 0);
  }

  /** Per cell, its text (see textAt). */
  get text(): readonly string[] {
    if (this.textCache === null) {
      const t = new Array<string>(this.cols);
      for (let x = 0; x < this.cols; x++) t[x] = this.textAt(x);
      this.textCache = t;
    }
    return this.textCache;
  }

  /** Per cell, its rendition (see styleAt). */
  get style(): readonly string[] {
    if (this.styleCache === null) {
      const s = new Array<string>(this.cols);
      for (let x = 0; x < this.cols; x++) s[x] = this.styleAt(x);
      this.styleCache = s;
    }
    return this.styleCache;
  }

  /** Per cell display width as a string of digits ('0', '1', '2'), or null when every cell has width 1. */
  get widths(): string | null {
    if (this.widthsCache === undefined) {
      let all1 = true;
      for (let x = 0; x < this.cols && all1; x++) if (this.cells[x * 3] >>> WIDTH_SHIFT !== 1) all1 = false;
      let w: string | null = null;
      if (!all1) {
        w = '';
        for (let x = 0; x < this.cols; x++) w += String.fromCharCode(48 + (this.cells[x * 3] >>> WIDTH_SHIFT));
      }
      this.widthsCache = w;
    }
    return this.widthsCache;
  }

  /** Same cells (wrap flags not compared). */
  sameCells(o: Row): boolean {
    if (o === this || o.cells === this.cells) return true;
    const a = this.cells;
    const b = o.cells;
    const n = a.length;
    if (n !== b.length) return false;
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    if (this.clusters !== null || o.clusters !== null) {
      for (let x = 0; x < this.cols; x++)
        if (a[x * 3] & IS_COMBINED && this.clusters?.get(x) !== o.clusters?.get(x)) return false;
    }
    if (this.exts !== null || o.exts !== null) {
      for (let x = 0; x < this.cols; x++)
        if (a[x * 3 + 2] & BG_HAS_EXTENDED && this.exts?.get(x) !== o.exts?.get(x)) return false;
    }
    return true;
  }

  /** Cell x has the same text beside the words and the same extended word in `o` (their words being equal). */
  sameExtrasAt(o: Row, x: number): boolean {
    if (this.cells[x * 3] & IS_COMBINED && this.clusters?.get(x) !== o.clusters?.get(x)) return false;
    return !(this.cells[x * 3 + 2] & BG_HAS_EXTENDED) || this.exts?.get(x) === o.exts?.get(x);
  }

  /** True if every cell is empty (whatever its background). */
  isBlank(): boolean {
    const c = this.cells;
    for (let i = 0; i < c.length; i += 3) if ((c[i] & (IS_COMBINED | CODEPOINT_MASK)) !== 0) return false;
    return true;
  }

  /** As plain data (a saved session): fromPlain reads it back. */
  toJSON(): PlainRow {
    return { text: this.text, style: this.style, widths: this.widths, wraps: this.wraps };
  }

  /**
   * A row of the given cells: text, canonical style and width per cell (widths: a digit string, numbers, or null
   * for all 1), as a Row documents them. An empty cell keeps its style's background colour only; a malformed
   * style counts as the default.
   */
  static fromCells(
    text: readonly string[],
    style: readonly string[],
    widths: string | readonly number[] | null,
    wraps: boolean,
  ): Row {
    const cols = text.length;
    const cells = new Uint32Array(cols * 3);
    let clusters: Map<number, string> | null = null;
    let exts: Map<number, number> | null = null;
    for (let x = 0; x < cols; x++) {
      const t = typeof text[x] === 'string' ? text[x] : '';
      let w = widths === null ? 1 : typeof widths === 'string' ? widths.charCodeAt(x) - 48 : widths[x];
      if (w !== 0 && w !== 2) w = 1;
      const i = x * 3;
      const words = wordsOfStyle(style[x]);
      if (t === '') {
        cells[i] = w === 0 ? 0 : EMPTY_CELL;
        if (w === 0) {
          cells[i + 1] = words.fg;
          cells[i + 2] = words.bg;
        } else {
          cells[i + 2] = eraseBg(words.bg);
          continue;
        }
      } else {
        const cp = t.codePointAt(0)!;
        if (t.length === (cp > 0xffff ? 2 : 1)) cells[i] = cp | (w << WIDTH_SHIFT);
        else {
          cells[i] = IS_COMBINED | (w << WIDTH_SHIFT);
          (clusters ??= new Map()).set(x, t);
        }
        cells[i + 1] = words.fg;
        cells[i + 2] = words.bg;
      }
      if (words.ext !== 0) (exts ??= new Map()).set(x, words.ext);
    }
    return new Row(cells, wraps, clusters, exts);
  }

  /** A Row from plain data (toJSON's form, e.g. a saved session), which must have `cols` cells. */
  static fromPlain(p: PlainRow): Row {
    return p instanceof Row ? p : Row.fromCells(p.text, p.style, p.widths, p.wraps === true);
  }

  /** A row of `cols` empty cells erased with background word `bg` (0: the default). */
  static blank(cols: number, bg = 0, wraps = false): Row {
    const cells = new Uint32Array(cols * 3);
    const b = eraseBg(bg);
    for (let i = 0; i < cells.length; i += 3) {
      cells[i] = EMPTY_CELL;
      cells[i + 2] = b;
    }
    return new Row(cells, wraps);
  }
}

interface Words {
  readonly fg: number;
  readonly bg: number;
  readonly ext: number;
}

const NO_WORDS: Words = Object.freeze({ fg: 0, bg: 0, ext: 0 });
const wordsCache = new Map<string, Words>();
const stylePen = new Pen();

/** The cell words (style.ts cellFg/cellBg/cellExt) of a canonical style string; the default for a malformed one. */
export function wordsOfStyle(style: unknown): Words {
  if (style === '' || typeof style !== 'string' || !isWellFormedStyle(style)) return NO_WORDS;
  let w = wordsCache.get(style);
  if (w === undefined) {
    stylePen.copyFrom({ fg: 0, bg: 0, ext: 0 });
    stylePen.applyStyle(style);
    const ext = cellExt(stylePen.fg, stylePen.bg, stylePen.ext);
    w = Object.freeze({ fg: cellFg(stylePen.fg), bg: cellBg(stylePen.bg, ext), ext });
    if (wordsCache.size > 4096) wordsCache.clear();
    wordsCache.set(style, w);
  }
  return w;
}
