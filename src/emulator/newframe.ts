// The display differ, after mosh's Display::new_frame (mosh-protocol.md section 8.1): given what a terminal shows
// (snapshot `last`, or nothing) and what it should show (`next`), the escape sequences that take it there.
// It reads snapshots only; it holds no terminal and no state between calls.
//
// The target is assumed to be "sane": driven only by this differ's output (no scroll region, origin mode, insert
// mode or other charset left behind). Output vocabulary: UTF-8 text, BEL, BS, CR, LF, CUP (`CSI y;x H`), CUF
// (`CSI n C`), ECH (`CSI n X`), EL (`CSI K`), ED (`CSI 2 J`), DECSTBM (`CSI t;b r`, `CSI r`), SGR (`CSI 0;... m`),
// DECSET/DECRST of modes 5, 25, 2004, 9, 1000-1003, 1004-1006, 1015, 1016 (vocabulary 'xterm' adds 1 and 1049,
// ESC = / ESC > and DECSCUSR `CSI n SP q`; the `synchronized` option adds 2026), OSC 0/1/2/52 ended by BEL. It never emits a query (DA, DSR, DECRQM, OSC ...;?) and never
// origin mode: a stock mosh-client aborts on those. The tests check that (test/support's vocabulary checker).
//
// Exactness: for snapshots taken from an Emulator (xterm), applying newFrame(last, next) to an Emulator showing
// `last` gives `next` cell for cell, including empty-versus-space cells, wide characters, lone combining marks
// and automatic-wrap flags (so copying wrapped lines from the local terminal works). Differences from mosh:
// * blank runs are always erased with ECH/EL (never spaces), so erased cells stay empty;
// * wrap flags are kept exactly (xterm clears a row's flag on LF into it and on EL from column 0: moves and
//   erases avoid that where the flag must survive, and use it where it must go);
// * short forward moves on a row use CUF;
// * the tracked column is forgotten after a cell whose width terminals may disagree on (emoji, combining marks,
//   rare scripts; see widths.ts), so the next cell is placed with a CUP, as mosh-protocol.md 8.4 advises.
import { blankRow, type Row, rowsEqual, type Snapshot } from './snapshot';
import { CODEPOINT_MASK, IS_COMBINED, WIDTH_SHIFT } from './row';
import { PenWriter } from './penwriter';
import { isStableWidth } from './widths';
import { ByteWriter } from './bytewriter';
import { checkSnapshotShape, clampInt, safeText, safeTitle } from './framecheck';

/**
 * 'mosh': what a stock mosh 1.4 client's emulator takes (the default; use it for hoststrings sent to a peer of
 * unknown kind). 'xterm': also DECCKM, the keypad mode, the cursor style and the alternate screen, and SGR with colon
 * sub-parameters and underline colours (for drawing into xterm.js, e.g. VS Code's terminal, and for restore).
 */
export type Vocabulary = 'mosh' | 'xterm';

export interface NewFrameOptions {
  readonly vocabulary?: Vocabulary;
  /**
   * Wrap a non-empty frame in synchronized-output marks (`CSI ? 2026 h` ... `l`), so a terminal that knows them
   * (xterm.js, VS Code) shows it at once, without tearing. Others ignore them. Default false.
   */
  readonly synchronized?: boolean;
  /**
   * Never scroll the target to move rows up (redraw them instead). A scroll pushes the target's top rows into its
   * scrollback, which a client filling that scrollback itself (with history lines) must not have. Default false.
   */
  readonly noScroll?: boolean;
}

const ESC = '\x1b';
const CSI = '\x1b[';

const MOUSE_TRACKING = [9, 1000, 1001, 1002, 1003];
const MOUSE_ENCODING = [1005, 1006, 1015, 1016];

/**
 * The newest frame writer, kept reachable (with its byte and pen writers) so that V8 keeps their hidden classes
 * and the code compiled for them through a major GC: see `newest` in framebuffer.ts.
 */
const newest: { writer: FrameWriter | null } = { writer: null };

/** Builds the output for one frame; tracks what the target terminal looks like as it goes. */
class FrameWriter {
  readonly o = new ByteWriter();
  /** Tracked cursor; -1 = unknown. cx === cols means "after the last column" (a wrap is pending). */
  cx = 0;
  cy = 0;
  /** Tracked SGR state. */
  readonly pen: PenWriter;
  visible = true;
  /** The last thing emitted was a printed character: a zero-width character now would join its cell. */
  join = false;
  /** Per row: the target's line below is a continuation of it (see Row.wraps). */
  readonly wraps: boolean[];
  readonly mosh: boolean;

  constructor(
    readonly cols: number,
    readonly rows: number,
    readonly next: Snapshot,
    vocabulary: Vocabulary,
  ) {
    this.wraps = new Array<boolean>(rows).fill(false);
    this.mosh = vocabulary === 'mosh';
    this.pen = new PenWriter(this.o, this.mosh);
  }

  /** `CSI` then an ASCII tail. */
  csi(tail: string): void {
    this.o.byte(0x1b);
    this.o.byte(0x5b);
    this.o.ascii(tail);
  }

  /** Sets the rendition to cell words fg, bg and ext (style.ts), unless it is that already. */
  setPen(fg: number, bg: number, ext: number): void {
    if (this.pen.set(fg, bg, ext)) this.join = false;
  }

  /** Sets the rendition to that of cell x of `row`. */
  setPenOf(row: Row, x: number): void {
    if (this.pen.setOf(row, x)) this.join = false;
  }

  cup(y: number, x: number): void {
    const o = this.o;
    o.byte(0x1b);
    o.byte(0x5b);
    if (x === 0) {
      if (y !== 0) o.num(y + 1);
    } else {
      o.num(y + 1);
      o.byte(0x3b);
      o.num(x + 1);
    }
    o.byte(0x48);
    this.cy = y;
    this.cx = x;
    this.join = false;
  }

  /** LF from row `from` down to row `to` clears the target's wrap flags of rows from..to-1; allowed unless a wanted one would go. */
  lfAllowed(from: number, to: number): boolean {
    const lines = this.next.lines;
    for (let r = from; r < to; r++) if (this.wraps[r] && lines[r].wraps) return false;
    return true;
  }

  /** mosh's append_move: a move with the cheapest sequence that is correct from the tracked position. */
  move(y: number, x: number): void {
    const { cx, cy } = this;
    if (cy >= 0 && cx >= 0) {
      if (x === 0 && y >= cy && y - cy < 5 && this.lfAllowed(cy, y)) {
        if (cx !== 0) this.o.byte(0x0d);
        for (let r = cy; r < y; r++) {
          this.o.byte(0x0a);
          this.wraps[r] = false;
        }
        this.cy = y;
        this.cx = 0;
        this.join = false;
        return;
      }
      if (y === cy && cx < this.cols) {
        if (x < cx && cx - x < 5) {
          this.o.repeat(0x08, cx - x);
          this.cx = x;
          this.join = false;
          return;
        }
        if (x > cx) {
          this.o.byte(0x1b);
          this.o.byte(0x5b);
          if (x - cx !== 1) this.o.num(x - cx);
          this.o.byte(0x43);
          this.cx = x;
          this.join = false;
          return;
        }
      }
    }
    this.cup(y, x);
  }

  /** A move that hides the cursor first (mosh's silent move), so it does not flicker across the screen. */
  silentMove(y: number, x: number): void {
    if (this.cy === y && this.cx === x) return;
    if (this.visible) {
      this.csi('?25l');
      this.visible = false;
    }
    this.move(y, x);
  }

  /** Prints cell x of `row` at (y, x) with its rendition. */
  printCell(y: number, x: number, row: Row): void {
    const width = row.widthAt(x);
    if (x === 0 && y > 0 && this.cy === y - 1 && this.cx === this.cols && this.wraps[y - 1] && width !== 0) {
      // Deferred wrap: printing now continues on (y, 0) without any move, as the wrap flag wants.
      this.cy = y;
      this.cx = 0;
    } else {
      this.silentMove(y, x);
    }
    this.setPenOf(row, x);
    const cp = row.cells[x * 3] & (IS_COMBINED | CODEPOINT_MASK);
    if (width === 1 && cp >= 0x20 && cp < 0x7f) {
      // Printable ASCII (what emitText does for it, without making its string)
      this.o.byte(cp);
      if (++this.cx > this.cols) this.cx = -1;
      this.join = true;
      return;
    }
    this.emitText(y, row.textAt(x), width);
  }

  /** Emits cell text at the tracked position (which must be known). */
  emitText(y: number, text: string, width: number): void {
    const t = safeText(text);
    if (width === 0 && this.join) {
      // A lone combining mark must not join the character just printed: any control ends the joining.
      this.cup(y, this.cx);
    }
    this.o.text(t);
    this.cx += width === 2 ? 2 : 1;
    if (this.cx > this.cols) this.cx = -1;
    this.join = true;
    if (!isStableWidth(t)) this.cx = -1;
  }

  /** Erases `n` cells from (y, x) to background word `bg` (ECH; the cursor stays). */
  erase(y: number, x: number, n: number, bg: number): void {
    this.silentMove(y, x);
    this.setPen(0, bg, 0);
    this.o.byte(0x1b);
    this.o.byte(0x5b);
    if (n !== 1) this.o.num(n);
    this.o.byte(0x58);
    this.join = false;
  }

  /** Erases from (y, x) to the end of the row. EL from column 0 would also clear the row above's wrap flag. */
  eraseToEnd(y: number, x: number, bg: number): void {
    if (x === 0 && y > 0 && this.wraps[y - 1]) {
      this.erase(y, x, this.cols, bg);
      return;
    }
    this.silentMove(y, x);
    this.setPen(0, bg, 0);
    this.csi('K');
    this.join = false;
  }

  /**
   * Makes the target's wrap flag of row r (its next line continues it) what `next` wants. Joining reprints the
   * last cell of row r and then cell 0 of row r+1, which wraps; returns how many cells of row r+1 are now done.
   */
  fixWrap(r: number): number {
    const want = this.next.lines[r].wraps;
    if (want === this.wraps[r]) return 0;
    if (!want) {
      // LF from row r into row r+1 clears the flag.
      if (this.cy !== r || this.cx < 0) this.silentMove(r, 0);
      this.o.byte(0x0a);
      this.cy = r + 1;
      if (this.cx >= this.cols) this.cx = this.cols - 1;
      this.wraps[r] = false;
      this.join = false;
      return 0;
    }
    const cols = this.cols;
    const row = this.next.lines[r];
    const below = this.next.lines[r + 1];
    let lx = cols - 1;
    if (cols >= 2 && row.widthAt(cols - 1) === 0 && row.widthAt(cols - 2) === 2) lx = cols - 2;
    const lastText = row.textAt(lx);
    const lastWidth = row.widthAt(lx);
    let placeholderLast = false;
    if (!(this.cy === r && this.cx === cols)) {
      // Not right after printing row r's last cell: print it (again) to get the pending wrap.
      placeholderLast = lastText === '';
      this.silentMove(r, lx);
      this.setPenOf(row, lx);
      this.emitText(r, placeholderLast ? ' ' : lastText, placeholderLast ? 1 : lastWidth);
      this.cx = cols; // pending wrap (emitText may have forgotten the column for a stock client)
    }
    const t0 = below.textAt(0);
    const w0 = below.widthAt(0);
    let done: number;
    this.setPenOf(below, 0);
    // The next printed character wraps to (r+1, 0) and marks row r as continued.
    this.cy = r + 1;
    this.cx = 0;
    if (t0 !== '' && w0 !== 0) {
      this.emitText(r + 1, t0, w0);
      done = w0 === 2 ? 2 : 1;
    } else {
      // Cell 0 is empty or a lone combining mark: wrap with a space, step back, then erase or print over it.
      this.o.ascii(' \b');
      this.join = false;
      if (t0 === '') {
        this.csi('X');
      } else {
        this.emitText(r + 1, t0, 0);
      }
      done = 1;
    }
    this.wraps[r] = true;
    if (placeholderLast) {
      // Put the empty last cell of row r back.
      this.cup(r, cols - 1);
      this.setPenOf(row, cols - 1);
      this.csi('X');
    }
    return done;
  }

  /** mosh's put_row: draws the cells of row y that differ from what the target shows (`old`), from column x0. */
  drawRow(y: number, x0: number, old: Row, initialized: boolean): void {
    const row = this.next.lines[y];
    if (initialized && old === row && x0 === 0) return;
    const cols = this.cols;
    const nc = row.cells;
    const oc = old.cells;
    // Without texts or extended words beside the words, equal words are equal cells.
    const plain = row.clusters === null && old.clusters === null && row.exts === null && old.exts === null;
    let clear = 0;
    let blankStart = 0;
    let blankBg = 0;
    let x = x0;
    while (x < cols) {
      const i = x * 3;
      const c = nc[i];
      const w = c >>> WIDTH_SHIFT;
      if ((c & (IS_COMBINED | CODEPOINT_MASK)) === 0) {
        if (w === 0) {
          x++; // right half of a wide character: drawn with its left half
          continue;
        }
        // An empty cell: its words are its background alone.
        const bg = nc[i + 2];
        if (clear === 0) {
          if (oc[i] === c && oc[i + 1] === 0 && oc[i + 2] === bg) {
            x++;
            continue;
          }
          blankStart = x;
          blankBg = bg;
          clear = 1;
        } else if (bg === blankBg) {
          clear++;
        } else {
          this.erase(y, blankStart, clear, blankBg);
          blankStart = x;
          blankBg = bg;
          clear = 1;
        }
        x++;
        continue;
      }
      if (clear > 0) {
        this.erase(y, blankStart, clear, blankBg);
        clear = 0;
      }
      const step = w === 2 ? 2 : 1;
      const fg = nc[i + 1];
      const bg = nc[i + 2];
      if (oc[i] === c && oc[i + 1] === fg && oc[i + 2] === bg && (plain || row.sameExtrasAt(old, x))) {
        x += step;
        continue;
      }
      // The common case, inline: a printable ASCII character right where the cursor is, in the current pen.
      if (w === 1 && this.cx === x && this.cy === y && fg === this.pen.fg && bg === this.pen.bg && this.pen.ext === 0) {
        const cp = c & (IS_COMBINED | CODEPOINT_MASK);
        if (cp >= 0x20 && cp < 0x7f) {
          this.o.byte(cp);
          this.cx = x + 1;
          this.join = true;
          x++;
          continue;
        }
      }
      this.printCell(y, x, row);
      x += step;
    }
    if (clear > 0) this.eraseToEnd(y, blankStart, blankBg);
  }
}

/**
 * The escape sequences that turn a terminal showing `last` into one showing `next`. With `initialized` false,
 * or `last` null, or a size change, the output repaints everything (mosh's uninitialized path).
 */
export function newFrameBytes(
  initialized: boolean,
  last: Snapshot | null,
  next: Snapshot,
  options: NewFrameOptions = {},
): Buffer {
  checkSnapshotShape(next);
  const vocabulary: Vocabulary = options.vocabulary ?? 'mosh';
  const cols = next.cols;
  const rows = next.rows;
  if (last !== null) {
    try {
      checkSnapshotShape(last);
    } catch {
      last = null;
    }
  }
  if (last === null || last.cols !== cols || last.rows !== rows) initialized = false;
  const w = new FrameWriter(cols, rows, next, vocabulary);
  newest.writer = w;
  if (options.synchronized === true) w.csi('?2026h');
  const syncStart = w.o.length;
  const nm = next.modes;
  const lm = last?.modes ?? null;

  // 1. Bell.
  if (last !== null && next.bellCount > last.bellCount) w.o.text('\x07');

  // 2. Titles.
  if (next.titleSet === true) {
    const title = safeTitle(next.title);
    const icon = safeTitle(next.iconName);
    if (
      !initialized ||
      last === null ||
      !last.titleSet ||
      safeTitle(last.title) !== title ||
      safeTitle(last.iconName) !== icon
    ) {
      w.o.text(title === icon ? `${ESC}]0;${title}\x07` : `${ESC}]1;${icon}\x07${ESC}]2;${title}\x07`);
    }
  }

  // 3. Clipboard (never a query: only base64 text is sent).
  const clip = next.clipboard;
  if (typeof clip === 'string' && clip !== (last?.clipboard ?? null) && /^[A-Za-z0-9+/=]*$/.test(clip)) {
    w.o.text(`${ESC}]52;c;${clip}\x07`);
  }

  // 4. Reverse video.
  if (!initialized || lm === null || lm.reverseVideo !== nm.reverseVideo)
    w.o.text(nm.reverseVideo ? `${CSI}?5h` : `${CSI}?5l`);

  // 4b. Alternate screen ('xterm' only). Switching shows another buffer: repaint it all.
  if (vocabulary === 'xterm' && (lm?.altScreen === true) !== (nm.altScreen === true)) {
    w.o.text(nm.altScreen ? `${CSI}?1049h` : `${CSI}?1049l`);
    initialized = false;
  }

  // 5. Size / reset, 6. cursor hide.
  let old: Row[] | null = null;
  if (!initialized || last === null) {
    w.o.text(`${CSI}r${CSI}0m${CSI}H${CSI}2J${CSI}?25l`);
    w.cx = 0;
    w.cy = 0;
    w.pen.track('');
    w.visible = false;
  } else {
    w.cx = clampInt(last.cursor.x, 0, cols - 1);
    w.cy = clampInt(last.cursor.y, 0, rows - 1);
    w.pen.track(last.pen);
    w.visible = last.cursor.visible === true;
    // The terminal may still join a zero-width character onto whatever the previous frame printed last.
    w.join = true;
    old = last.lines.slice();
    for (let y = 0; y < rows; y++) w.wraps[y] = old[y].wraps === true;
  }

  // 8. Scroll detection.
  let startRow = 0;
  const lines = next.lines;
  if (old !== null && options.noScroll !== true && !rowsEqual(old[0], lines[0])) {
    // The anchor match must be a row that really moved: the same object, or equal and not blank (two blank
    // rows are equal without one being the other scrolled; mosh tells them apart by a row generation counter).
    let k = 1;
    while (k < rows && !(lines[0] === old[k] || (rowsEqual(lines[0], old[k]) && !lines[0].isBlank()))) k++;
    if (k < rows) {
      let height = 1;
      while (k + height < rows && rowsEqual(lines[height], old[k + height])) height++;
      const bottom = k + height - 1;
      w.o.text(`${CSI}0m`);
      w.pen.track('');
      w.join = false;
      if (k + height === rows && w.cy === rows - 1) {
        w.o.text('\r' + '\n'.repeat(k));
        w.cx = 0;
      } else {
        w.o.text(`${CSI}1;${bottom + 1}r`);
        w.cx = w.cy = -1;
        w.silentMove(bottom, 0);
        w.o.text('\n'.repeat(k));
        w.o.text(`${CSI}r`);
        w.cx = w.cy = -1;
      }
      const blank = blankRow(cols);
      const keepBottomWrap = w.wraps[bottom];
      for (let r = 0; r <= bottom; r++) {
        if (r + k <= bottom) {
          old[r] = old[r + k];
          w.wraps[r] = w.wraps[r + k];
        } else {
          old[r] = blank;
          w.wraps[r] = false;
        }
      }
      w.wraps[bottom - k] = false;
      w.wraps[bottom] = bottom === rows - 1 ? false : keepBottomWrap;
      startRow = height;
    }
  }

  // 9. Rows.
  const blank = blankRow(cols);
  for (let y = startRow; y < rows; y++) {
    const x0 = y > 0 ? w.fixWrap(y - 1) : 0;
    w.drawRow(y, x0, old === null ? blank : old[y], old !== null);
  }

  // 10. Cursor.
  const cx = clampInt(next.cursor.x, 0, cols - 1);
  const cy = clampInt(next.cursor.y, 0, rows - 1);
  if (w.cx !== cx || w.cy !== cy) w.move(cy, cx);

  // 11. Cursor visibility.
  const visible = next.cursor.visible === true;
  if (w.visible !== visible) w.o.text(visible ? `${CSI}?25h` : `${CSI}?25l`);

  // 12. Renditions.
  if (w.pen.setStyle(next.pen)) w.join = false;

  // 13. Bracketed paste.
  if (!initialized || lm === null || lm.bracketedPaste !== nm.bracketedPaste)
    w.o.text(nm.bracketedPaste ? `${CSI}?2004h` : `${CSI}?2004l`);

  // 14. Mouse reporting.
  const mt = MOUSE_TRACKING.includes(nm.mouseTracking) ? nm.mouseTracking : 0;
  const oldMt = !initialized || lm === null ? -1 : MOUSE_TRACKING.includes(lm.mouseTracking) ? lm.mouseTracking : 0;
  if (mt !== oldMt) {
    if (mt === 0 || oldMt === -1) w.o.text(`${CSI}?1003l${CSI}?1002l${CSI}?1001l${CSI}?1000l${CSI}?9l`);
    else if (oldMt !== 0) w.o.text(`${CSI}?${oldMt}l`);
    if (mt !== 0) w.o.text(`${CSI}?${mt}h`);
  }

  // 15. Focus events.
  if (!initialized || lm === null || lm.focusEvents !== nm.focusEvents)
    w.o.text(nm.focusEvents ? `${CSI}?1004h` : `${CSI}?1004l`);

  // 16. Mouse encoding.
  const me = MOUSE_ENCODING.includes(nm.mouseEncoding) ? nm.mouseEncoding : 0;
  const oldMe = !initialized || lm === null ? -1 : MOUSE_ENCODING.includes(lm.mouseEncoding) ? lm.mouseEncoding : 0;
  if (me !== oldMe) {
    if (me === 0 || oldMe === -1) w.o.text(`${CSI}?1016l${CSI}?1015l${CSI}?1006l${CSI}?1005l`);
    else if (oldMe !== 0) w.o.text(`${CSI}?${oldMe}l`);
    if (me !== 0) w.o.text(`${CSI}?${me}h`);
  }

  // 17. Keyboard modes ('xterm' only; a stock mosh-client keeps the user's terminal in DECCKM itself).
  if (vocabulary === 'xterm') {
    if (!initialized || lm === null || lm.applicationCursorKeys !== nm.applicationCursorKeys)
      w.o.text(nm.applicationCursorKeys ? `${CSI}?1h` : `${CSI}?1l`);
    if (!initialized || lm === null || lm.applicationKeypad !== nm.applicationKeypad)
      w.o.text(nm.applicationKeypad ? `${ESC}=` : `${ESC}>`);
    const cs = clampInt(nm.cursorStyle, 0, 6);
    if (!initialized || lm === null || clampInt(lm.cursorStyle, 0, 6) !== cs) w.o.text(`${CSI}${cs} q`);
  }
  if (options.synchronized === true) {
    if (w.o.length === syncStart) {
      w.o.discard();
      return EMPTY;
    }
    w.csi('?2026l');
  }
  return w.o.result();
}

const EMPTY = Buffer.alloc(0);

/**
 * The escape sequences that turn a terminal showing `last` into one showing `next`, as a string (see
 * newFrameBytes, which the hot paths use).
 */
export function newFrame(
  initialized: boolean,
  last: Snapshot | null,
  next: Snapshot,
  options: NewFrameOptions = {},
): string {
  const b = newFrameBytes(initialized, last, next, options);
  return b.length === 0 ? '' : b.toString('utf8');
}
