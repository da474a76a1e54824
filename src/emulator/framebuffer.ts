// The client's framebuffer: a terminal for what a mosh server sends (mosh-protocol.md 8.2: text, BEL, BS, HT, CR,
// LF, CUP, CUF, ECH, EL, ED, DECSTBM, SGR, the DEC modes the differ uses, OSC 0/1/2/52) that works directly on
// snapshot rows. It starts from any Snapshot without copying it, changes only the rows a diff touches (copy on
// write), and hands out a new Snapshot that shares every other row: applying a host diff costs what the diff
// touches, not a screen rebuild, and a diff based on an older state costs nothing extra. Cell results follow
// xterm.js (the server's emulator) exactly for that vocabulary, so the client's screen equals the server's.
// Other sequences are parsed and ignored. It is not a general emulator (Emulator is) and holds no history.
import { DEFAULT_MODES, type Modes, type MouseEncoding, type MouseTracking, type Snapshot } from './snapshot';
import { clampScreenSize } from './limits';
import { Pen } from './pen';
import { ScreenRows, type WorkRow } from './screenrows';
import { EMPTY_CELL, IS_COMBINED, Row, WIDTH_SHIFT } from './row';
import { VtParser, type VtTarget } from './vtparser';
import { glibcWidthProvider } from './widths';

/** Longest title or icon name kept (characters); as Emulator. */
const MAX_TITLE = 4096;
/** Longest OSC 52 payload kept (characters); as Emulator. */
const MAX_CLIPBOARD = 1 << 20;

const MOUSE_TRACKING = new Set([9, 1000, 1001, 1002, 1003]);
const MOUSE_ENCODING = new Set([1005, 1006, 1015, 1016]);

/** CSI parameter i, or 1 when omitted or 0 (a module function: a closure per sequence was ~100 KB of garbage a frame). */
function param(params: Int32Array, count: number, i: number): number {
  return i < count && params[i] > 0 ? params[i] : 1;
}

function cleanTitle(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f-\x9f]/g, '');
  return t.length > MAX_TITLE ? t.slice(0, MAX_TITLE) : t;
}

type MutableModes = { -readonly [K in keyof Modes]: Modes[K] };

/**
 * The newest framebuffer made, kept reachable. V8 drops a hidden class (map) once no object has it, and with it
 * every optimized function that checks for it. A client's framebuffer lives for one diff, so without this each
 * major GC (nearly always between two diffs) would throw away the compiled parser and framebuffer code, to be
 * compiled again from scratch: about 0.2 s of CPU each time at 200x50 (bench clientframe).
 */
const newest: { framebuffer: Framebuffer | null } = { framebuffer: null };

export class Framebuffer implements VtTarget {
  private cols: number;
  private rowsN: number;
  private scr: ScreenRows;
  /** The normal screen while the alternate one is shown (null: the normal one is shown). */
  private normal: ScreenRows | null = null;
  private readonly pen = new Pen();
  private readonly parser: VtParser;
  private joinState = 0;
  private inPrint = false;
  private visible: boolean;
  private modes: Modes;
  private m: MutableModes;
  private title: string;
  private iconName: string;
  private titleSet: boolean;
  private clipboard: string | null;
  private bells: number;
  private last: Snapshot | null = null;

  private constructor(s: Snapshot) {
    this.cols = s.cols;
    this.rowsN = s.rows;
    const wrapped = new Uint8Array(s.rows);
    for (let y = 1; y < s.rows; y++) wrapped[y] = s.lines[y - 1].wraps ? 1 : 0;
    this.scr = new ScreenRows(s.cols, s.lines.slice(), wrapped);
    this.scr.x = s.cursor.x;
    this.scr.y = s.cursor.y;
    this.visible = s.cursor.visible;
    this.modes = s.modes;
    this.m = { ...s.modes };
    this.title = s.title;
    this.iconName = s.iconName;
    this.titleSet = s.titleSet;
    this.clipboard = s.clipboard;
    this.bells = s.bellCount;
    this.parser = new VtParser(this);
    if (s.pen !== '') this.pen.applyStyle(s.pen);
    this.last = s;
  }

  /** A framebuffer showing `s` (its rows are shared, not copied). */
  static from(s: Snapshot): Framebuffer {
    const fb = new Framebuffer(s);
    newest.framebuffer = fb;
    return fb;
  }

  /** Feeds bytes from the server. */
  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.last = null;
    this.parser.write(data);
    this.endPrint();
  }

  /** A new size: rows kept from the top, cut or padded (a mosh server repaints everything after a resize). */
  resize(cols: number, rows: number): void {
    ({ cols, rows } = clampScreenSize(Math.max(2, cols), rows));
    if (cols === this.cols && rows === this.rowsN) return;
    this.endPrint();
    this.last = null;
    this.scr = this.scr.resized(cols, rows);
    if (this.normal) this.normal = this.normal.resized(cols, rows);
    this.cols = cols;
    this.rowsN = rows;
  }

  /** What the screen shows now. The same object again while nothing changed. */
  snapshot(): Snapshot {
    this.endPrint();
    if (this.last !== null) return this.last;
    const s = this.scr;
    const m = this.m;
    const o = this.modes;
    if (
      o.applicationCursorKeys !== m.applicationCursorKeys ||
      o.applicationKeypad !== m.applicationKeypad ||
      o.bracketedPaste !== m.bracketedPaste ||
      o.mouseTracking !== m.mouseTracking ||
      o.mouseEncoding !== m.mouseEncoding ||
      o.focusEvents !== m.focusEvents ||
      o.altScreen !== m.altScreen ||
      o.reverseVideo !== m.reverseVideo ||
      o.cursorStyle !== m.cursorStyle
    ) {
      this.modes = Object.freeze({ ...m });
    }
    this.last = {
      cols: this.cols,
      rows: this.rowsN,
      lines: s.snapshotRows(),
      cursor: {
        x: Math.min(Math.max(s.x, 0), this.cols - 1),
        y: Math.min(Math.max(s.y, 0), this.rowsN - 1),
        visible: this.visible,
      },
      pen: this.pen.cellStyle(),
      modes: this.modes,
      title: this.title,
      iconName: this.iconName,
      titleSet: this.titleSet,
      clipboard: this.clipboard,
      bellCount: this.bells,
    };
    return this.last;
  }

  // ---- printing ----

  printAscii(data: Uint8Array, start: number, end: number): void {
    if (!this.inPrint) this.beginPrint();
    const s = this.scr;
    const cols = this.cols;
    const pen = this.pen;
    const fg = pen.cellFg();
    const bg = pen.cellBg();
    const ext = pen.cellExt();
    let w = s.row(s.y);
    // Straight into the words unless a cell being overwritten has text or an extended word beside them.
    let fast = ext === 0 && w.clusters === null && w.exts === null;
    for (let i = start; i < end; i++) {
      if (s.x + 1 > cols) {
        w = this.wrap(0);
        fast = ext === 0 && w.clusters === null && w.exts === null;
      }
      const x = s.x;
      if (x < cols) {
        if (fast) {
          const cells = w.cells;
          const k = x * 3;
          cells[k] = data[i] | EMPTY_CELL;
          cells[k + 1] = fg;
          cells[k + 2] = bg;
        } else s.setCell(w, x, data[i] | EMPTY_CELL, fg, bg, ext, null);
      }
      s.x = x + 1;
    }
    this.joinState = 2; // xterm's properties of a width-1 character that does not join: ((1 & 3) << 1)
  }

  printCodePoint(cp: number): void {
    if (!this.inPrint) this.beginPrint();
    const s = this.scr;
    const cols = this.cols;
    const props = glibcWidthProvider.charProperties(cp, this.joinState);
    let chWidth = (props >> 1) & 3;
    const shouldJoin = (props & 1) !== 0;
    const oldWidth = shouldJoin ? (this.joinState >> 1) & 3 : 0;
    this.joinState = props;
    const pen = this.pen;
    let w = s.row(s.y);
    if (s.x + chWidth - oldWidth > cols) w = this.wrap(oldWidth);
    if (shouldJoin && s.x) {
      const offset = ScreenRows.width(w, s.x - 1) ? 1 : 2;
      const x = s.x - offset;
      if (x >= 0 && x < cols) {
        if (ScreenRows.isEmpty(w, x)) {
          // xterm: a mark on an empty cell becomes that cell's content; one column wide, that is a lone mark
          // (width 0); two columns wide only over a proper right half, else the cell stays empty.
          const wd = chWidth || 1;
          if (wd === 1) s.setContent(w, x, cp, null);
          else if (x + 1 < cols && ScreenRows.width(w, x + 1) === 0 && ScreenRows.isEmpty(w, x + 1))
            s.setContent(w, x, cp | (2 << WIDTH_SHIFT), null);
          else s.setContent(w, x, EMPTY_CELL, null);
        } else {
          const text = ScreenRows.textOf(w, x) + String.fromCodePoint(cp);
          const width = chWidth ? chWidth : ScreenRows.width(w, x);
          s.setContent(w, x, IS_COMBINED | (width << WIDTH_SHIFT), text);
        }
      }
      for (let delta = chWidth - oldWidth; --delta >= 0;)
        s.setCell(w, s.x++, 0, pen.cellFg(), pen.cellBg(), pen.cellExt(), null);
      return;
    }
    const fg = pen.cellFg();
    const bg = pen.cellBg();
    const ext = pen.cellExt();
    // A lone zero-width character takes a cell of its own with width 0 (decoded as a lone mark).
    s.setCell(w, s.x++, cp | (chWidth << WIDTH_SHIFT), fg, bg, ext, null);
    if (chWidth > 0) while (--chWidth) s.setCell(w, s.x++, 0, fg, bg, ext, null);
  }

  /** The automatic wrap before a character that does not fit (DECAWM); returns the row now printed on. */
  private wrap(oldWidth: number): WorkRow {
    const s = this.scr;
    const cols = this.cols;
    let oldY = s.y;
    let oldCol = s.x - oldWidth;
    s.x = oldWidth;
    s.y++;
    if (s.y === s.bottom + 1) {
      s.y--;
      this.scr.scrollUp(this.pen.eraseWord(), true);
      oldY--;
    } else {
      if (s.y >= this.rowsN) s.y = this.rowsN - 1;
      s.wrapped[s.y] = 1;
    }
    const w = this.scr.row(s.y);
    if (oldY >= 0) {
      const old = this.scr.row(oldY);
      if (oldWidth > 0) {
        for (let i = 0; i < oldWidth; i++) {
          const from = oldCol + i;
          if (from < cols) this.scr.copyCell(old, from, w, i);
        }
      }
      const empty = this.pen.eraseWord();
      while (oldCol < cols) this.scr.eraseCell(old, oldCol++, empty);
    }
    return w;
  }

  /** xterm's fix-up when a run of printing starts: a wide character whose right half is overwritten goes. */
  private beginPrint(): void {
    this.inPrint = true;
    const s = this.scr;
    if (s.x > 0 && s.x <= this.cols) {
      if (s.widthAt(s.y, s.x - 1) === 2) s.eraseCell(s.row(s.y), s.x - 1, this.pen.eraseWord());
    }
  }

  /** xterm's fix-up when a run of printing ends: an orphaned right half of a wide character becomes a cell. */
  private endPrint(): void {
    if (!this.inPrint) return;
    this.inPrint = false;
    const s = this.scr;
    if (s.x < this.cols) {
      const w = this.scr.row(s.y);
      if (ScreenRows.width(w, s.x) === 0 && ScreenRows.isEmpty(w, s.x)) s.eraseCell(w, s.x, this.pen.eraseWord());
    }
  }

  // ---- controls and sequences ----

  execute(code: number): void {
    this.endPrint();
    this.joinState = 0;
    const s = this.scr;
    switch (code) {
      case 0x07:
        this.bells++;
        this.last = null;
        return;
      case 0x08:
        this.restrict(this.cols - 1);
        if (s.x > 0) s.x--;
        break;
      case 0x09:
        if (s.x < this.cols) s.x = Math.min(this.cols - 1, (Math.floor(s.x / 8) + 1) * 8);
        break;
      case 0x0a:
      case 0x0b:
      case 0x0c:
        this.lineFeed();
        break;
      case 0x0d:
        s.x = 0;
        break;
      default:
        return;
    }
    this.last = null;
  }

  private lineFeed(): void {
    const s = this.scr;
    s.y++;
    if (s.y === s.bottom + 1) {
      s.y--;
      this.scr.scrollUp(this.pen.eraseWord(), false);
    } else if (s.y >= this.rowsN) {
      s.y = this.rowsN - 1;
    } else {
      s.wrapped[s.y] = 0;
    }
    if (s.x >= this.cols) s.x--;
  }

  /** xterm's _restrictCursor (origin mode is never on here). */
  private restrict(maxCol: number): void {
    const s = this.scr;
    s.x = Math.min(maxCol, Math.max(0, s.x));
    s.y = Math.min(this.rowsN - 1, Math.max(0, s.y));
  }

  esc(intermediates: number, final: number): void {
    this.endPrint();
    this.joinState = 0;
    if (intermediates !== 0) return;
    this.last = null;
    const s = this.scr;
    switch (final) {
      case 0x3d: // ESC =
        this.m.applicationKeypad = true;
        break;
      case 0x3e: // ESC >
        this.m.applicationKeypad = false;
        break;
      case 0x37: // DECSC
        s.saved = { x: s.x, y: s.y + s.ybase, fg: this.pen.fg, bg: this.pen.bg, ext: this.pen.ext };
        break;
      case 0x38: // DECRC
        this.restoreCursor();
        break;
      case 0x44: // IND
        this.lineFeed();
        break;
      case 0x45: // NEL
        s.x = 0;
        this.lineFeed();
        break;
      case 0x63: // RIS
        this.fullReset();
        break;
    }
  }

  private restoreCursor(): void {
    const s = this.scr;
    const v = s.saved;
    s.x = v?.x ?? 0;
    s.y = Math.max((v?.y ?? 0) - s.ybase, 0);
    this.pen.restore(v?.fg ?? 0, v?.bg ?? 0);
    this.restrict(this.cols - 1);
  }

  private fullReset(): void {
    if (this.normal) this.leaveAlt();
    this.scr = new ScreenRows(this.cols, new Array<Row>(this.rowsN).fill(Row.blank(this.cols)));
    this.pen.copyFrom({ fg: 0, bg: 0, ext: 0 });
    this.visible = true;
    this.m = { ...DEFAULT_MODES };
  }

  csi(prefix: number, params: Int32Array, sub: Uint8Array, count: number, intermediates: number, final: number): void {
    this.endPrint();
    this.joinState = 0;
    this.last = null;
    const s = this.scr;
    if (prefix === 0x3f) {
      if ((final === 0x68 || final === 0x6c) && intermediates === 0) this.privateModes(params, count, final === 0x68);
      return;
    }
    if (prefix !== 0) return;
    if (intermediates !== 0) {
      if (intermediates === 0x20 && final === 0x71) {
        const v = count === 0 || params[0] < 0 ? 0 : params[0];
        if (v <= 6) this.m.cursorStyle = v;
      }
      return;
    }
    switch (final) {
      case 0x48: // CUP
      case 0x66: // HVP
        s.x = (count >= 2 ? param(params, count, 1) : 1) - 1;
        s.y = param(params, count, 0) - 1;
        this.restrict(this.cols - 1);
        break;
      case 0x41: // CUU
        this.restrict(this.cols - 1);
        s.y -= s.y >= s.top ? Math.min(s.y - s.top, param(params, count, 0)) : param(params, count, 0);
        this.restrict(this.cols - 1);
        break;
      case 0x42: // CUD
        this.restrict(this.cols - 1);
        s.y += s.y <= s.bottom ? Math.min(s.bottom - s.y, param(params, count, 0)) : param(params, count, 0);
        this.restrict(this.cols - 1);
        break;
      case 0x43: // CUF
        this.restrict(this.cols - 1);
        s.x += param(params, count, 0);
        this.restrict(this.cols - 1);
        break;
      case 0x44: // CUB
        this.restrict(this.cols - 1);
        s.x -= param(params, count, 0);
        this.restrict(this.cols - 1);
        break;
      case 0x47: // CHA
        s.x = param(params, count, 0) - 1;
        this.restrict(this.cols - 1);
        break;
      case 0x64: // VPA
        s.y = param(params, count, 0) - 1;
        this.restrict(this.cols - 1);
        break;
      case 0x4a: // ED
        this.eraseInDisplay(count === 0 || params[0] < 0 ? 0 : params[0]);
        break;
      case 0x4b: // EL
        this.eraseInLine(count === 0 || params[0] < 0 ? 0 : params[0]);
        break;
      case 0x58: // ECH
        this.restrict(this.cols - 1);
        this.scr.eraseCells(s.y, s.x, s.x + param(params, count, 0), this.pen.eraseWord());
        break;
      case 0x72: {
        // DECSTBM
        const top = param(params, count, 0);
        let bottom = count >= 2 && params[1] > 0 ? params[1] : 0;
        if (count < 2 || bottom > this.rowsN || bottom === 0) bottom = this.rowsN;
        if (bottom > top) {
          s.top = top - 1;
          s.bottom = bottom - 1;
          s.x = 0;
          s.y = 0;
        }
        break;
      }
      case 0x6d: // SGR
        this.pen.sgr(params, sub, count);
        break;
    }
  }

  private eraseInDisplay(mode: number): void {
    const s = this.scr;
    this.restrict(this.cols);
    if (mode === 0) {
      this.eraseInLineRange(s.y, s.x, this.cols, s.x === 0);
      for (let j = s.y + 1; j < this.rowsN; j++) this.scr.resetLine(j, this.pen.eraseWord());
    } else if (mode === 1) {
      this.eraseInLineRange(s.y, 0, s.x + 1, true);
      if (s.x + 1 >= this.cols && s.y + 1 < this.rowsN) s.wrapped[s.y + 1] = 0;
      for (let j = s.y - 1; j >= 0; j--) this.scr.resetLine(j, this.pen.eraseWord());
    } else if (mode === 2) {
      for (let j = this.rowsN - 1; j >= 0; j--) this.scr.resetLine(j, this.pen.eraseWord());
    }
  }

  private eraseInLine(mode: number): void {
    const s = this.scr;
    this.restrict(this.cols);
    if (mode === 0) this.eraseInLineRange(s.y, s.x, this.cols, s.x === 0);
    else if (mode === 1) this.eraseInLineRange(s.y, 0, s.x + 1, false);
    else if (mode === 2) this.eraseInLineRange(s.y, 0, this.cols, true);
  }

  private eraseInLineRange(y: number, start: number, end: number, clearWrap: boolean): void {
    this.scr.eraseCells(y, start, end, this.pen.eraseWord());
    if (clearWrap) this.scr.wrapped[y] = 0;
  }

  private privateModes(params: Int32Array, count: number, set: boolean): void {
    const m = this.m;
    for (let i = 0; i < count; i++) {
      const v = params[i];
      if (v === 1) m.applicationCursorKeys = set;
      else if (v === 5) m.reverseVideo = set;
      else if (v === 25) this.visible = set;
      else if (v === 66) m.applicationKeypad = set;
      else if (v === 1004) m.focusEvents = set;
      else if (v === 2004) m.bracketedPaste = set;
      else if (MOUSE_TRACKING.has(v)) {
        if (set) m.mouseTracking = v as MouseTracking;
        else if (m.mouseTracking === v) m.mouseTracking = 0;
      } else if (MOUSE_ENCODING.has(v)) {
        if (set) m.mouseEncoding = v as MouseEncoding;
        else if (m.mouseEncoding === v) m.mouseEncoding = 0;
      } else if (v === 1049 || v === 1047 || v === 47) {
        if (set) {
          if (v === 1049) {
            const s = this.scr;
            s.saved = { x: s.x, y: s.y + s.ybase, fg: this.pen.fg, bg: this.pen.bg, ext: this.pen.ext };
          }
          this.enterAlt();
        } else {
          this.leaveAlt();
          if (v === 1049) this.restoreCursor();
        }
      } else if (v === 1048) {
        if (set) {
          const s = this.scr;
          s.saved = { x: s.x, y: s.y + s.ybase, fg: this.pen.fg, bg: this.pen.bg, ext: this.pen.ext };
        } else this.restoreCursor();
      }
    }
  }

  private enterAlt(): void {
    if (this.normal || this.m.altScreen) return;
    const n = this.scr;
    this.normal = n;
    this.scr = new ScreenRows(this.cols, new Array<Row>(this.rowsN).fill(n.blank(this.pen.eraseWord())), undefined, 0);
    this.scr.x = n.x;
    this.scr.y = n.y;
    this.m.altScreen = true;
  }

  private leaveAlt(): void {
    const n = this.normal;
    if (!n) {
      // Started from a snapshot of the alternate screen: the normal one is not known here (a differ repaints
      // everything after switching back), so the rows shown stay.
      this.m.altScreen = false;
      return;
    }
    n.x = this.scr.x;
    n.y = this.scr.y;
    this.scr = n;
    this.normal = null;
    this.m.altScreen = false;
  }

  oscLimit(ident: number): number {
    if (ident === 0 || ident === 1 || ident === 2) return MAX_TITLE * 2 * 4;
    if (ident === 52) return MAX_CLIPBOARD + 64;
    return 0;
  }

  osc(ident: number, data: string, cut: boolean): void {
    this.endPrint();
    this.joinState = 0;
    this.last = null;
    if (ident === 0 || ident === 1 || ident === 2) {
      const t = cleanTitle(data);
      if (ident !== 1) this.title = t;
      if (ident !== 2) this.iconName = t;
      this.titleSet = true;
    } else if (ident === 52 && !cut) {
      const semi = data.indexOf(';');
      if (semi < 0) return;
      const payload = data.slice(semi + 1);
      if (payload.length <= MAX_CLIPBOARD && /^[A-Za-z0-9+/=]*$/.test(payload)) this.clipboard = payload;
    }
  }
}
