// One screen of the client's framebuffer (framebuffer.ts): its rows as shared, immutable snapshot Rows plus
// private copies of the rows being changed (copy on write), xterm's per-line wrapped flags, the cursor, the scroll
// region and the saved cursor, and the row operations xterm defines on them (set a cell, erase a range, clear a
// line, scroll the region up). Cells are packed words (row.ts). No parsing and no SGR: the framebuffer passes
// the pen's words in.
import { BG_HAS_EXTENDED, charOf, CODEPOINT_MASK, EMPTY_CELL, IS_COMBINED, Row, WIDTH_SHIFT } from './row';
import { eraseBg } from './style';

/** A row being changed: its own copy of the cell words, and of the texts and extended words beside them. */
export interface WorkRow {
  cells: Uint32Array;
  clusters: Map<number, string> | null;
  exts: Map<number, number> | null;
}

export interface SavedCursor {
  x: number;
  y: number;
  fg: number;
  bg: number;
  ext: number;
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
    const clusters = w.clusters !== null && w.clusters.size > 0 ? w.clusters : null;
    const exts = w.exts !== null && w.exts.size > 0 ? w.exts : null;
    const row = new Row(w.cells, this.rows[y].wraps, clusters, exts);
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
      if (row.wraps !== wraps) row = this.rows[y] = row.withWraps(wraps);
      out[y] = row;
    }
    return out;
  }

  /** Row y, ready to change (copied on the first change since it was last published). */
  row(y: number): WorkRow {
    let w = this.work[y];
    if (w === null) {
      const r = this.rows[y];
      w = {
        cells: r.cells.slice(),
        clusters: r.clusters === null ? null : new Map(r.clusters),
        exts: r.exts === null ? null : new Map(r.exts),
      };
      this.work[y] = w;
    }
    return w;
  }

  /** Cell width at (y, x) without copying the row. */
  widthAt(y: number, x: number): number {
    const w = this.work[y];
    return (w !== null ? w.cells[x * 3] : this.rows[y].cells[x * 3]) >>> WIDTH_SHIFT;
  }

  static width(w: WorkRow, x: number): number {
    return w.cells[x * 3] >>> WIDTH_SHIFT;
  }

  /** True if the cell holds no text (empty, or the right half of a wide character). */
  static isEmpty(w: WorkRow, x: number): boolean {
    return (w.cells[x * 3] & (IS_COMBINED | CODEPOINT_MASK)) === 0;
  }

  /** The text of a cell of a work row. */
  static textOf(w: WorkRow, x: number): string {
    const c = w.cells[x * 3];
    if (c & IS_COMBINED) return w.clusters?.get(x) ?? '';
    const cp = c & CODEPOINT_MASK;
    return cp === 0 ? '' : charOf(cp);
  }

  /**
   * xterm's setCellFromCodepoint: one cell's content word (code point or IS_COMBINED with `cluster`, and width),
   * attribute words and extended word (cells past the end are ignored, as in xterm).
   */
  setCell(w: WorkRow, x: number, content: number, fg: number, bg: number, ext: number, cluster: string | null): void {
    if (x >= this.cols) return;
    const i = x * 3;
    if (w.cells[i] & IS_COMBINED) w.clusters?.delete(x);
    if (w.cells[i + 2] & BG_HAS_EXTENDED) w.exts?.delete(x);
    w.cells[i] = content;
    w.cells[i + 1] = fg;
    w.cells[i + 2] = bg;
    if (cluster !== null) (w.clusters ??= new Map()).set(x, cluster);
    if (ext !== 0) (w.exts ??= new Map()).set(x, ext);
  }

  /** A new content word (and text) for cell x, its attribute words kept. */
  setContent(w: WorkRow, x: number, content: number, cluster: string | null): void {
    if (x >= this.cols) return;
    if (w.cells[x * 3] & IS_COMBINED) w.clusters?.delete(x);
    w.cells[x * 3] = content;
    if (cluster !== null) (w.clusters ??= new Map()).set(x, cluster);
  }

  /** Copies cell `fx` of `from` to cell `tx` of `to`. */
  copyCell(from: WorkRow, fx: number, to: WorkRow, tx: number): void {
    const i = fx * 3;
    const c = from.cells;
    const bg = c[i + 2];
    this.setCell(
      to,
      tx,
      c[i],
      c[i + 1],
      bg,
      bg & BG_HAS_EXTENDED ? (from.exts?.get(fx) ?? 0) : 0,
      c[i] & IS_COMBINED ? (from.clusters?.get(fx) ?? '') : null,
    );
  }

  /** Makes cell x empty (width 1), erased with background word `bg`. */
  eraseCell(w: WorkRow, x: number, bg: number): void {
    this.setCell(w, x, EMPTY_CELL, 0, bg, 0, null);
  }

  /** xterm's replaceCells(start, end) with an empty cell of background word `bg`. */
  eraseCells(y: number, start: number, end: number, bg: number): void {
    const w = this.row(y);
    const cols = this.cols;
    if (start > 0 && ScreenRows.width(w, start - 1) === 2) this.eraseCell(w, start - 1, bg);
    if (end < cols && end > 0 && ScreenRows.width(w, end - 1) === 2) this.eraseCell(w, end, bg);
    const stop = Math.min(end, cols);
    if (w.clusters === null && w.exts === null) {
      const cells = w.cells;
      for (let x = start; x < stop; x++) {
        cells[x * 3] = EMPTY_CELL;
        cells[x * 3 + 1] = 0;
        cells[x * 3 + 2] = bg;
      }
      return;
    }
    for (let x = start; x < stop; x++) this.eraseCell(w, x, bg);
  }

  /** A blank line erased with background word `bg` (shared between the lines blanked with the same one). */
  blank(bg: number): Row {
    if (this.blankCache === null || this.blankCache.cells[2] !== bg) this.blankCache = Row.blank(this.cols, bg);
    return this.blankCache;
  }

  /** xterm's _resetBufferLine: the whole line erased, not wrapped. */
  resetLine(y: number, bg: number): void {
    this.rows[y] = this.blank(bg);
    this.work[y] = null;
    this.wrapped[y] = 0;
  }

  /** Scrolls the region up by one line; the new bottom line is blank and `isWrapped`. */
  scrollUp(bg: number, isWrapped: boolean): void {
    const { top, bottom } = this;
    for (let y = top; y < bottom; y++) {
      this.rows[y] = this.rows[y + 1];
      this.work[y] = this.work[y + 1];
      this.wrapped[y] = this.wrapped[y + 1];
    }
    this.rows[bottom] = this.blank(bg);
    this.work[bottom] = null;
    this.wrapped[bottom] = isWrapped ? 1 : 0;
    if (top === 0 && this.ybase < this.scrollback) this.ybase++;
  }

  /** This screen at another size: rows kept from the top, cut or padded with blanks; wrap flags kept if the width is. */
  resized(cols: number, height: number): ScreenRows {
    const rows: Row[] = [];
    for (let y = 0; y < height; y++) rows.push(y < this.height ? fitRow(this.published(y), cols) : Row.blank(cols));
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
  if (r.cols === cols) return r.withWraps(false);
  const cells = new Uint32Array(cols * 3);
  const keep = Math.min(cols, r.cols);
  cells.set(r.cells.subarray(0, keep * 3));
  for (let x = keep; x < cols; x++) cells[x * 3] = EMPTY_CELL;
  let clusters: Map<number, string> | null = null;
  let exts: Map<number, number> | null = null;
  if (r.clusters !== null) for (const [x, t] of r.clusters) if (x < keep) (clusters ??= new Map()).set(x, t);
  if (r.exts !== null) for (const [x, e] of r.exts) if (x < keep) (exts ??= new Map()).set(x, e);
  if (cells[(cols - 1) * 3] >>> WIDTH_SHIFT === 2) {
    // The left half of a wide character without its right half: an empty cell
    const i = (cols - 1) * 3;
    clusters?.delete(cols - 1);
    cells[i] = EMPTY_CELL;
    cells[i + 1] = 0;
    cells[i + 2] = eraseBg(cells[i + 2]);
    exts?.delete(cols - 1);
  }
  return new Row(cells, false, clusters, exts);
}
