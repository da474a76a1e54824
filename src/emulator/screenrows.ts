// One screen of the client's framebuffer (framebuffer.ts): its rows as shared, immutable snapshot Rows plus
// private copies of the rows being changed (copy on write), xterm's per-line wrapped flags, the cursor, the scroll
// region and the saved cursor, and the row operations xterm defines on them (set a cell, erase a range, clear a
// line, scroll the region up). No parsing and no SGR: the framebuffer passes styles in.
import type { Row } from './snapshot';

/** A row being changed: its own copies of the cell arrays (widths as numbers, null while all are 1). */
export interface WorkRow {
  text: string[];
  style: string[];
  widths: Uint8Array | null;
}

export interface SavedCursor {
  x: number;
  y: number;
  fg: number;
  bg: number;
  ext: number;
}

export function blankLine(cols: number, style: string): Row {
  return {
    text: new Array<string>(cols).fill(''),
    style: new Array<string>(cols).fill(style),
    widths: null,
    wraps: false,
  };
}

export class ScreenRows {
  readonly rows: Row[];
  readonly work: (WorkRow | null)[];
  /** Per line, xterm's isWrapped: line y continues line y-1. */
  readonly wrapped: Uint8Array;
  x = 0;
  y = 0;
  top = 0;
  bottom: number;
  saved: SavedCursor | null = null;
  /**
   * Lines scrolled off the top into xterm's scrollback, up to `scrollback` (the server emulator keeps one line):
   * xterm saves the cursor row relative to it, so a restored cursor moves up with what scrolled since.
   */
  ybase = 0;
  private blankCache: Row | null = null;

  constructor(
    readonly cols: number,
    rows: Row[],
    wrapped?: Uint8Array,
    readonly scrollback = 1,
  ) {
    this.rows = rows;
    this.work = new Array<WorkRow | null>(rows.length).fill(null);
    this.wrapped = wrapped ?? new Uint8Array(rows.length);
    this.bottom = rows.length - 1;
  }

  get height(): number {
    return this.rows.length;
  }

  /** Row y as an immutable Row (publishing its work copy, if any). */
  published(y: number): Row {
    const w = this.work[y];
    if (w === null) return this.rows[y];
    let widths: string | null = null;
    if (w.widths !== null) {
      let all1 = true;
      for (let x = 0; x < w.widths.length; x++) if (w.widths[x] !== 1) all1 = false;
      if (!all1) widths = String.fromCharCode(...Array.from(w.widths, (d) => 48 + d));
    }
    const row: Row = { text: w.text, style: w.style, widths, wraps: this.rows[y].wraps };
    this.rows[y] = row;
    this.work[y] = null;
    return row;
  }

  /** The rows as a snapshot shows them, each with its wrap flag (Row.wraps: the next line continues it). */
  snapshotRows(): Row[] {
    const n = this.rows.length;
    const out = new Array<Row>(n);
    for (let y = 0; y < n; y++) {
      let row = this.published(y);
      const wraps = y + 1 < n && this.wrapped[y + 1] === 1;
      if (row.wraps !== wraps) row = this.rows[y] = { text: row.text, style: row.style, widths: row.widths, wraps };
      out[y] = row;
    }
    return out;
  }

  /** Row y, ready to change (copied on the first change since it was last published). */
  row(y: number): WorkRow {
    let w = this.work[y];
    if (w === null) {
      const r = this.rows[y];
      let widths: Uint8Array | null = null;
      if (r.widths !== null) {
        widths = new Uint8Array(this.cols);
        for (let x = 0; x < this.cols; x++) widths[x] = r.widths.charCodeAt(x) - 48;
      }
      w = { text: r.text.slice(), style: r.style.slice(), widths };
      this.work[y] = w;
    }
    return w;
  }

  /** Cell width at (y, x) without copying the row. */
  widthAt(y: number, x: number): number {
    const w = this.work[y];
    if (w !== null) return w.widths === null ? 1 : w.widths[x];
    const r = this.rows[y];
    return r.widths === null ? 1 : r.widths.charCodeAt(x) - 48;
  }

  static width(w: WorkRow, x: number): number {
    return w.widths === null ? 1 : w.widths[x];
  }

  /** xterm's setCellFromCodepoint: one cell's text, style and width (cells past the end are ignored, as in xterm). */
  setCell(w: WorkRow, x: number, text: string, style: string, width: number): void {
    if (x >= this.cols) return;
    w.text[x] = text;
    w.style[x] = style;
    if (width !== 1 && w.widths === null) w.widths = new Uint8Array(this.cols).fill(1);
    if (w.widths !== null) w.widths[x] = width;
  }

  /** xterm's replaceCells(start, end) with an empty cell of `eraseStyle`. */
  eraseCells(y: number, start: number, end: number, eraseStyle: string): void {
    const w = this.row(y);
    const cols = this.cols;
    if (start > 0 && ScreenRows.width(w, start - 1) === 2) this.setCell(w, start - 1, '', eraseStyle, 1);
    if (end < cols && end > 0 && ScreenRows.width(w, end - 1) === 2) this.setCell(w, end, '', eraseStyle, 1);
    for (let x = start; x < end && x < cols; x++) this.setCell(w, x, '', eraseStyle, 1);
  }

  /** A blank line of `eraseStyle` (shared between the lines blanked with the same style). */
  blank(eraseStyle: string): Row {
    if (this.blankCache === null || this.blankCache.style[0] !== eraseStyle)
      this.blankCache = blankLine(this.cols, eraseStyle);
    return this.blankCache;
  }

  /** xterm's _resetBufferLine: the whole line erased, not wrapped. */
  resetLine(y: number, eraseStyle: string): void {
    this.rows[y] = this.blank(eraseStyle);
    this.work[y] = null;
    this.wrapped[y] = 0;
  }

  /** Scrolls the region up by one line; the new bottom line is blank and `isWrapped`. */
  scrollUp(eraseStyle: string, isWrapped: boolean): void {
    const { top, bottom } = this;
    for (let y = top; y < bottom; y++) {
      this.rows[y] = this.rows[y + 1];
      this.work[y] = this.work[y + 1];
      this.wrapped[y] = this.wrapped[y + 1];
    }
    this.rows[bottom] = this.blank(eraseStyle);
    this.work[bottom] = null;
    this.wrapped[bottom] = isWrapped ? 1 : 0;
    if (top === 0 && this.ybase < this.scrollback) this.ybase++;
  }

  /** This screen at another size: rows kept from the top, cut or padded with blanks; wrap flags kept if the width is. */
  resized(cols: number, height: number): ScreenRows {
    const rows: Row[] = [];
    for (let y = 0; y < height; y++) rows.push(y < this.height ? fitRow(this.published(y), cols) : blankLine(cols, ''));
    const wrapped = new Uint8Array(height);
    if (cols === this.cols) wrapped.set(this.wrapped.subarray(0, Math.min(height, this.height)));
    const s = new ScreenRows(cols, rows, wrapped);
    s.x = Math.min(this.x, cols - 1);
    s.y = Math.min(this.y, height - 1);
    return s;
  }
}

/** A row cut or padded to `cols` cells (a wide character cut in half becomes an empty cell). */
function fitRow(r: Row, cols: number): Row {
  if (r.text.length === cols) return r.wraps ? { ...r, wraps: false } : r;
  const text = r.text.slice(0, cols);
  const style = r.style.slice(0, cols);
  let widths = r.widths === null ? null : r.widths.slice(0, cols);
  while (text.length < cols) {
    text.push('');
    style.push('');
    if (widths !== null) widths += '1';
  }
  if (widths !== null && widths.charCodeAt(cols - 1) === 50) {
    text[cols - 1] = '';
    widths = widths.slice(0, cols - 1) + '1';
  }
  return { text, style, widths, wraps: false };
}
