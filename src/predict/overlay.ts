// Overlay drawing helpers: read cells of a framebuffer Snapshot, and build a new Snapshot with some cells,
// underlines and the cursor changed, keeping wide characters whole (a left half always followed by its right
// half) and reusing every Row object that was not touched. The base snapshot is never modified.
// Not a terminal emulator and not a differ: no escape sequences, no scrolling, no knowledge of predictions.
import { cellWidth, isBackgroundOnly, Row, type Snapshot } from '../emulator';

/** One screen cell, as a Snapshot row stores it (see Row in snapshot.ts). */
export interface Cell {
  /** '' for an empty cell or the right half of a wide character, else a grapheme. */
  readonly text: string;
  /** Canonical SGR parameter string ('' = default rendition). */
  readonly style: string;
  /** Display width: 1, 2 (left half of a wide character) or 0 (its right half). */
  readonly width: number;
}

/** The cell at (row, col) of `fb`; a blank default cell outside the screen. */
export function cellAt(fb: Snapshot, row: number, col: number): Cell {
  if (row < 0 || row >= fb.rows || col < 0 || col >= fb.cols) return BLANK_CELL;
  const r = fb.lines[row];
  return { text: r.textAt(col), style: r.styleAt(col), width: r.widthAt(col) };
}

export const BLANK_CELL: Cell = Object.freeze({ text: '', style: '', width: 1 });

/** Blank as mosh counts it: empty, a space, or a no-break space. */
export function isBlankText(text: string): boolean {
  return text === '' || text === ' ' || text === '\u00a0';
}

/** Same contents, where all blanks are equal (mosh's contents match; renditions are not compared). */
export function contentsMatch(a: string, b: string): boolean {
  return a === b || (isBlankText(a) && isBlankText(b));
}

export function cellsEqual(a: Cell, b: Cell): boolean {
  return a.text === b.text && a.style === b.style && a.width === b.width;
}

const ATTRIBUTE_TOKENS = new Set(['1', '2', '3', '4', '5', '7', '8', '9', '53']);

/** `style` with single underline added (canonical order kept); unchanged if it already has an underline. */
export function withUnderline(style: string): string {
  if (style === '') return '4';
  const parts = style.split(';');
  let insertAt = parts.length;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '4' || p.startsWith('4:')) return style;
    if (p === '38' || p === '48' || p === '58') {
      // colours come after every attribute in canonical order
      if (insertAt === parts.length) insertAt = i;
      break;
    }
    if (!ATTRIBUTE_TOKENS.has(p)) {
      if (insertAt === parts.length) insertAt = i;
      break;
    }
    if (p !== '1' && p !== '2' && p !== '3' && insertAt === parts.length) insertAt = i;
  }
  parts.splice(insertAt, 0, '4');
  return parts.join(';');
}

interface RowEdit {
  text: string[];
  style: string[];
  widths: number[];
  wraps: boolean;
}

/**
 * Accumulates changes to a Snapshot and builds the changed copy. Rows are copied on first change; `build()`
 * repairs broken wide-character pairs in changed rows (an orphaned half becomes a space of the same rendition)
 * and turns empty cells that carry more than a background colour (e.g. an underline) into spaces, since an
 * erased cell cannot show them.
 */
export class SnapshotOverlay {
  private readonly edits = new Map<number, RowEdit>();
  private cursorX: number;
  private cursorY: number;
  private cursorVisible: boolean;

  constructor(readonly base: Snapshot) {
    this.cursorX = base.cursor.x;
    this.cursorY = base.cursor.y;
    this.cursorVisible = base.cursor.visible;
  }

  get cols(): number {
    return this.base.cols;
  }

  get rows(): number {
    return this.base.rows;
  }

  get cursor(): { x: number; y: number; visible: boolean } {
    return { x: this.cursorX, y: this.cursorY, visible: this.cursorVisible };
  }

  private edit(row: number): RowEdit {
    let e = this.edits.get(row);
    if (e === undefined) {
      const r = this.base.lines[row];
      const widths = new Array<number>(this.base.cols);
      for (let x = 0; x < widths.length; x++) widths[x] = cellWidth(r, x);
      e = { text: r.text.slice(), style: r.style.slice(), widths, wraps: r.wraps };
      this.edits.set(row, e);
    }
    return e;
  }

  private inside(row: number, col: number): boolean {
    return row >= 0 && row < this.base.rows && col >= 0 && col < this.base.cols;
  }

  /** The cell at (row, col) as edited so far. */
  cell(row: number, col: number): Cell {
    if (!this.inside(row, col)) return BLANK_CELL;
    const e = this.edits.get(row);
    if (e === undefined) return cellAt(this.base, row, col);
    return { text: e.text[col], style: e.style[col], width: e.widths[col] };
  }

  /**
   * Writes `cell` at (row, col). A wide cell also writes its right half into the next column (if there is one;
   * at the last column it is repaired into a space by build()). Outside the screen: ignored.
   */
  setCell(row: number, col: number, cell: Cell): void {
    if (!this.inside(row, col)) return;
    const e = this.edit(row);
    e.text[col] = cell.text;
    e.style[col] = cell.style;
    e.widths[col] = cell.width;
    if (cell.width === 2 && col + 1 < this.base.cols) {
      e.text[col + 1] = '';
      e.style[col + 1] = cell.style;
      e.widths[col + 1] = 0;
    }
  }

  /** Sets the rendition of (row, col) (and of the other half, for a wide character). */
  setStyle(row: number, col: number, style: string): void {
    if (!this.inside(row, col)) return;
    const e = this.edit(row);
    e.style[col] = style;
    if (e.widths[col] === 2 && col + 1 < this.base.cols && e.widths[col + 1] === 0) e.style[col + 1] = style;
    if (e.widths[col] === 0 && e.text[col] === '' && col > 0 && e.widths[col - 1] === 2) e.style[col - 1] = style;
  }

  /** Adds an underline to the cell at (row, col). */
  underline(row: number, col: number): void {
    if (!this.inside(row, col)) return;
    this.setStyle(row, col, withUnderline(this.cell(row, col).style));
  }

  setWraps(row: number, wraps: boolean): void {
    if (row < 0 || row >= this.base.rows) return;
    if (this.base.lines[row].wraps === wraps && !this.edits.has(row)) return;
    this.edit(row).wraps = wraps;
  }

  /** Moves the displayed cursor (clamped to the screen). */
  setCursor(row: number, col: number): void {
    this.cursorY = Math.min(Math.max(row, 0), this.base.rows - 1);
    this.cursorX = Math.min(Math.max(col, 0), this.base.cols - 1);
  }

  setCursorVisible(visible: boolean): void {
    this.cursorVisible = visible;
  }

  /** The new snapshot; the base itself when nothing changed. */
  build(): Snapshot {
    const b = this.base;
    const cursorSame =
      this.cursorX === b.cursor.x && this.cursorY === b.cursor.y && this.cursorVisible === b.cursor.visible;
    if (this.edits.size === 0 && cursorSame) return b;
    let lines: readonly Row[] = b.lines;
    if (this.edits.size > 0) {
      const copy = b.lines.slice();
      for (const [y, e] of this.edits) copy[y] = finishRow(e, b.cols);
      lines = copy;
    }
    return {
      ...b,
      lines,
      cursor: cursorSame ? b.cursor : { x: this.cursorX, y: this.cursorY, visible: this.cursorVisible },
    };
  }
}

function finishRow(e: RowEdit, cols: number): Row {
  const { text, style, widths } = e;
  for (let x = 0; x < cols; x++) {
    const w = widths[x];
    if (w === 2) {
      if (x + 1 < cols && widths[x + 1] === 0 && text[x + 1] === '') {
        style[x + 1] = style[x];
        x++;
        continue;
      }
      text[x] = ' ';
      widths[x] = 1;
    } else if (w === 0) {
      if (text[x] === '') {
        // a right half without its left half
        text[x] = ' ';
        widths[x] = 1;
      }
    } else if (w !== 1) {
      widths[x] = 1;
    }
    if (text[x] === '' && widths[x] === 1 && !isBackgroundOnly(style[x])) text[x] = ' ';
  }
  return Row.fromCells(text, style, widths, e.wraps);
}
