// The one place that reaches into @xterm/headless internals (v6). Everything else in src/emulator/ goes through
// the small typed surface below, so an xterm upgrade that moves these fields breaks here, loudly, at construction.
// It is not a terminal model and holds no state of its own. Below the class: xterm's cell words read two ways, a
// line decoded into a snapshot Row (decodeRow) and a line straight into its history text (historyLineBytes), and
// the raw comparison the Emulator's row cache makes.
//
// What we use, and why:
// - `_core.writeSync(data)`: synchronous parsing. The public `write()` queues the bytes and parses them on a later
//   tick; the server and the client need "bytes in, screen updated" in one call. `writeSync` is what xterm's own
//   tests use; it is marked deprecated/"unreliable" only for the case of async parser handlers (we register none)
//   and for re-entrant calls from inside handlers (we make none). The log warning is silenced by `logLevel: 'off'`.
// - `_core.buffer.lines.get(ybase + y)`: the BufferLine objects, for their raw cell words (`_data`, 3 x uint32 per
//   cell), combined strings (`_combined`) and extended attributes (`_extendedAttrs`). Comparing raw words against a
//   cached copy is how a snapshot finds, in microseconds, which rows changed since the last one.
// - `_core.buffers.{normal,alt}`: xterm 6 resizes an inactive (empty) alternate buffer without shrinking its
//   line capacity; the alternate screen then grows scrollback, and a later resize can leave the viewport past
//   the end of the line list (LF then throws). `repairAfterResize` fixes the capacity; `consistent` detects
//   anything else of the kind, so the Emulator can rebuild itself from a snapshot instead of crashing.
// - `_core.coreService.isCursorHidden`: DECTCEM state (not in the public API).
// - `_core.unicodeService.wcwidth`: the active width table, to classify odd cells when decoding.
// - `_core._inputHandler._curAttrData`: the current SGR state (the "pen"), which a mosh state carries.
// - `_core._charsetService.charset`: the character set in use (undefined: ASCII); writeBulk gives skipped lines to
//   the history as plain text only then.
// - `_core._inputHandler.registerCsiHandler`: like the public parser API, but the callback gets the live Params
//   object, so a guard can clamp a parameter before xterm's own handler runs (see emulator.ts).
// - `_core._inputHandler._parser.currentState`: whether the parser is in its ground state (Emulator.writeBulk may
//   skip text only then; inside an unterminated OSC, say, text is not printed).
// - `_core._inputHandler._parser.{registerOscHandler,clearOscHandler}` with a raw start/put/end handler: the
//   public API buffers every OSC payload up to 10 M characters per handler before calling back; a sink with its
//   own small cap keeps a hostile unterminated title from costing tens of MiB.
import type { Terminal } from '@xterm/headless';
import { cellBg, cellExt, cellFg, eraseBg, sgrPieces, styleOf } from './style';
import { ByteWriter } from './bytewriter';
import { blankRow } from './snapshot';
import { BG_HAS_EXTENDED, charOf, CODEPOINT_MASK, EMPTY_CELL, IS_COMBINED, Row, WIDTH_SHIFT } from './row';

/** Extended attributes of one cell (underline style and colour live here). */
export interface RawExtended {
  readonly _ext?: number;
  readonly ext: number;
  readonly urlId: number;
}

/** One xterm BufferLine, as stored. */
export interface RawLine {
  isWrapped: boolean;
  readonly length: number;
  readonly _data: Uint32Array;
  readonly _combined: { [index: number]: string };
  readonly _extendedAttrs: { [index: number]: RawExtended | undefined };
}

export interface RawParams {
  length: number;
  params: Int32Array;
}

export interface RawBuffer {
  readonly x: number;
  readonly y: number;
  readonly ybase: number;
  readonly scrollTop: number;
  readonly scrollBottom: number;
  readonly lines: { get(index: number): RawLine | undefined; readonly length: number; maxLength: number };
}

interface RawCore {
  writeSync(data: string | Uint8Array): void;
  readonly buffer: RawBuffer;
  readonly buffers: { readonly active: RawBuffer; readonly normal: RawBuffer; readonly alt: RawBuffer };
  readonly coreService: { isCursorHidden: boolean; decPrivateModes: { origin: boolean } };
  readonly unicodeService: { wcwidth(codepoint: number): number };
  readonly _charsetService?: { charset?: unknown };
  readonly _inputHandler: {
    _curAttrData: { fg: number; bg: number; extended: RawExtended };
    registerCsiHandler(
      id: { prefix?: string; intermediates?: string; final: string },
      callback: (params: RawParams) => boolean,
    ): { dispose(): void };
    _parser: {
      /** The parser's state; 0 is GROUND (not inside an escape sequence or a control string). */
      currentState: number;
      registerOscHandler(ident: number, handler: RawOscHandler): { dispose(): void };
      clearOscHandler(ident: number): void;
    };
  };
}

interface RawOscHandler {
  start(): void;
  put(data: Uint32Array, start: number, end: number): void;
  end(success: boolean): boolean;
}

/** Typed access to the internals listed in the header. Throws at construction if any is missing. */
export class XtermInternals {
  private readonly core: RawCore;

  constructor(term: Terminal) {
    const core = (term as unknown as { _core?: RawCore })._core;
    const ok =
      core !== undefined &&
      typeof core.writeSync === 'function' &&
      core.buffer !== undefined &&
      core.buffers?.alt !== undefined &&
      core.buffers?.normal !== undefined &&
      typeof core.buffer.lines?.get === 'function' &&
      core.coreService !== undefined &&
      typeof core.unicodeService?.wcwidth === 'function' &&
      typeof core.coreService.isCursorHidden === 'boolean' &&
      core._inputHandler !== undefined &&
      core._inputHandler._curAttrData !== undefined &&
      typeof core._inputHandler.registerCsiHandler === 'function' &&
      typeof core._inputHandler._parser?.registerOscHandler === 'function' &&
      typeof core._inputHandler._parser?.currentState === 'number' &&
      typeof core._inputHandler._parser?.clearOscHandler === 'function';
    if (!ok) throw new Error('@xterm/headless internals changed: src/emulator/xterminternals.ts needs updating');
    const line = core.buffer.lines.get(core.buffer.ybase);
    if (!line || !(line._data instanceof Uint32Array) || typeof line._combined !== 'object') {
      throw new Error('@xterm/headless BufferLine layout changed: src/emulator/xterminternals.ts needs updating');
    }
    this.core = core;
  }

  /** Parses `data` completely before returning. */
  writeSync(data: string | Uint8Array): void {
    this.core.writeSync(data);
  }

  /** The active buffer (normal or alternate); re-read it after every write, it changes on 1049h/l and reset. */
  get buffer(): RawBuffer {
    return this.core.buffer;
  }

  get cursorHidden(): boolean {
    return this.core.coreService.isCursorHidden;
  }

  /** Line feeds at the bottom row scroll the whole screen: no scroll region set, and origin mode off. */
  get scrollsWholeScreen(): boolean {
    const b = this.core.buffer;
    return b.scrollTop === 0 && b.scrollBottom === this.rowsOf(b) - 1 && !this.core.coreService.decPrivateModes.origin;
  }

  /** The normal (not the alternate) buffer is shown. */
  get onNormalBuffer(): boolean {
    return this.core.buffers.active === this.core.buffers.normal;
  }

  /** Printable ASCII prints as itself: no other character set (DEC graphics, national) is in use. */
  get asciiCharset(): boolean {
    const cs = this.core._charsetService;
    return cs !== undefined && cs.charset === undefined;
  }

  /** Rows y to the bottom of the screen hold nothing (no character, no background). */
  blankFrom(y: number, cols: number): boolean {
    const b = this.core.buffer;
    for (let r = y, end = this.rowsOf(b); r < end; r++) {
      const line = b.lines.get(b.ybase + r);
      if (line !== undefined && historyLength(line, cols) > 0) return false;
    }
    return true;
  }

  /** The parser is in its ground state: the next printable byte is printed (not part of a sequence or string). */
  get parserAtGround(): boolean {
    return this.core._inputHandler._parser.currentState === 0;
  }

  private rowsOf(b: RawBuffer): number {
    return b.lines.length - b.ybase;
  }

  get pen(): { fg: number; bg: number; extended: RawExtended } {
    return this.core._inputHandler._curAttrData;
  }

  /** The current SGR state as a snapshot style string. */
  get penStyle(): string {
    const pen = this.pen;
    return styleOf(pen.fg, pen.bg, pen.bg & BG_HAS_EXTENDED ? (pen.extended._ext ?? pen.extended.ext) >>> 0 : 0);
  }

  /** Registers a CSI guard that sees (and may edit) the live params before xterm's handler; return false to go on. */
  registerCsiGuard(
    id: { prefix?: string; intermediates?: string; final: string },
    guard: (params: RawParams) => boolean,
  ): void {
    this.core._inputHandler.registerCsiHandler(id, guard);
  }

  /**
   * Replaces every handler of OSC `ident` (xterm's own included) with `onEnd`, called with the payload when the
   * OSC ends. A payload longer than `limit` characters gives its first `limit` characters if `truncate`, else
   * null. Only `limit` characters are ever held.
   */
  replaceOscHandler(ident: number, limit: number, truncate: boolean, onEnd: (data: string | null) => void): void {
    const parser = this.core._inputHandler._parser;
    parser.clearOscHandler(ident);
    let parts: string[] = [];
    let length = 0;
    let over = false;
    parser.registerOscHandler(ident, {
      start() {
        parts = [];
        length = 0;
        over = false;
      },
      put(data, start, end) {
        if (over) return;
        if (length + end - start > limit) {
          over = true;
          if (!truncate) {
            parts = [];
            return;
          }
          end = start + (limit - length);
        }
        length += end - start;
        for (let i = start; i < end; i += 4096) {
          parts.push(String.fromCodePoint(...data.subarray(i, Math.min(end, i + 4096))));
        }
      },
      end(success) {
        if (success) onEnd(over && !truncate ? null : parts.join(''));
        parts = [];
        return true;
      },
    });
  }

  /** Call after every resize: gives an inactive, empty alternate buffer the capacity of the new screen. */
  repairAfterResize(rows: number): void {
    const { active, alt } = this.core.buffers;
    if (active !== alt && alt.lines.length === 0 && alt.lines.maxLength !== rows) alt.lines.maxLength = rows;
  }

  /** False if the active buffer's viewport does not fit its line list (an xterm bug state). */
  consistent(rows: number): boolean {
    const { active, alt } = this.core.buffers;
    const lines = active.lines;
    if (active.ybase < 0 || active.ybase + rows > lines.length || lines.length > lines.maxLength) return false;
    if (active === alt && (active.ybase !== 0 || lines.maxLength !== rows)) return false;
    return true;
  }

  /** Width of a code point in the active width table. */
  wcwidth(codepoint: number): number {
    return this.core.unicodeService.wcwidth(codepoint);
  }
}

// Cell word layout (xterm common/buffer/Constants.ts).
const HAS_CONTENT = 0x3fffff;

export function extWord(line: RawLine, x: number): number {
  const e = line._extendedAttrs[x];
  if (!e) return 0;
  return (e._ext ?? e.ext) >>> 0;
}

/**
 * Decodes one xterm line into a Row (row.ts: xterm's own cell layout, its words normalised). Normalises what no
 * byte stream could recreate as such: orphan halves of wide characters become empty cells, and a one-column cell
 * that starts with a zero-width character (xterm can join a mark onto an empty cell) becomes the lone-mark cell
 * it looks like (width 0). The Row object is always new: the differ takes the same Row object in two snapshots
 * for a row that moved.
 */
export function decodeRow(
  line: RawLine | null,
  cols: number,
  wraps: boolean,
  widths_: { wcwidth(cp: number): number },
): { row: Row; extras: (number | string)[] | null } {
  if (line === null) return { row: blankRow(cols).withWraps(wraps), extras: null };
  const d = line._data;
  const len = Math.min(cols, line.length);
  const cells = new Uint32Array(cols * 3);
  let clusters: Map<number, string> | null = null;
  let exts: Map<number, number> | null = null;
  let extras: (number | string)[] | null = null;
  // The last attribute words seen and what a cell keeps of them (runs of one rendition are the rule).
  let lastFg = -1;
  let lastBg = -1;
  let keptFg = 0;
  let keptBg = 0;
  for (let x = 0; x < len; x++) {
    const i = x * 3;
    const c = d[i];
    const fg = d[i + 1];
    const bg = d[i + 2];
    let w = c >>> WIDTH_SHIFT;
    let cp = 0;
    let t: string | null = null;
    if (c & IS_COMBINED) {
      t = line._combined[x] ?? '';
      (extras ??= []).push(x, t);
      if (t !== '') {
        cp = t.codePointAt(0)!;
        if (t.length === (cp > 0xffff ? 2 : 1)) t = null; // one code point after all
      } else t = null;
    } else {
      cp = c & CODEPOINT_MASK;
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    }
    let has = cp !== 0;
    if (w === 2) {
      if (!(x + 1 < len && d[i + 3] >>> WIDTH_SHIFT === 0 && (d[i + 3] & HAS_CONTENT) === 0 && has)) {
        has = false; // an orphan half: an empty cell
        w = 1;
      }
    } else if (w === 0) {
      if (!has) w = 1;
    } else if (has && cp >= 0x300 && widths_.wcwidth(cp) === 0) w = 0;
    if (!has) {
      cells[i] = EMPTY_CELL;
      cells[i + 2] = eraseBg(bg);
      continue;
    }
    cells[i] = t === null ? cp | (w << WIDTH_SHIFT) : IS_COMBINED | (w << WIDTH_SHIFT);
    if (t !== null) (clusters ??= new Map()).set(x, t);
    let f: number;
    let b: number;
    let e = 0;
    if (bg & BG_HAS_EXTENDED) {
      const word = extWord(line, x);
      (extras ??= []).push(x, word);
      e = cellExt(fg, bg, word);
      f = cellFg(fg);
      b = cellBg(bg, e);
      if (e !== 0) (exts ??= new Map()).set(x, e);
    } else {
      if (fg !== lastFg || bg !== lastBg) {
        lastFg = fg;
        lastBg = bg;
        keptFg = cellFg(fg);
        keptBg = cellBg(bg, 0);
      }
      f = keptFg;
      b = keptBg;
    }
    cells[i + 1] = f;
    cells[i + 2] = b;
    if (w === 2) {
      // The right half: no content, width 0, the rendition of its left half.
      x++;
      cells[i + 4] = f;
      cells[i + 5] = b;
      if (e !== 0) exts!.set(x, e);
    }
  }
  for (let x = len; x < cols; x++) cells[x * 3] = EMPTY_CELL;
  return { row: new Row(cells, wraps, clusters, exts), extras };
}

const historyPieces: string[] = [];

/**
 * A row's history text made later, if ever (HistorySink): a copy of the cells that hold something, and their
 * combined strings, taken now (xterm reuses its line objects as the screen scrolls). In a flood most history
 * rows are pushed out by newer lines before any is sent: copying a row costs a fraction of laying it out.
 */
export class DetachedHistoryRow {
  readonly size: number;
  private readonly line: RawLine;

  constructor(
    line: RawLine,
    private readonly cols: number,
    /** historyLength(line, cols), if known already. */
    len = historyLength(line, cols),
  ) {
    const d = line._data;
    const combined: { [index: number]: string } = {};
    for (let x = 0; x < len; x++) if (d[x * 3] & IS_COMBINED) combined[x] = line._combined[x] ?? '';
    this.line = { isWrapped: false, length: len, _data: d.slice(0, len * 3), _combined: combined, _extendedAttrs: {} };
    this.size = len * 12 + 64;
  }

  /** The history text (historyLineBytes of the row as it was). */
  bytes(): Uint8Array {
    return historyLineBytes(this.line, this.cols);
  }
}

/**
 * A row leaving the screen, handed to a HistorySink: valid during that call only (the emulator reuses this
 * object, and xterm the line). The sink makes its text now (bytes) or keeps a copy that makes it later (detach).
 */
export class LiveHistoryRow {
  private line: RawLine | null = null;
  private cols = 0;
  private len = -1;

  /** This object, now for `line`. */
  of(line: RawLine, cols: number): this {
    this.line = line;
    this.cols = cols;
    this.len = -1;
    return this;
  }

  /** Bytes a detached copy holds. */
  get size(): number {
    if (this.len < 0) this.len = historyLength(this.line!, this.cols);
    return this.len * 12 + 64;
  }

  bytes(): Uint8Array {
    return historyLineBytes(this.line!, this.cols);
  }

  detach(): DetachedHistoryRow {
    if (this.len < 0) this.len = historyLength(this.line!, this.cols);
    return new DetachedHistoryRow(this.line!, this.cols, this.len);
  }
}

/** How many leading cells of an xterm line its history text covers (the rest are empty with no background). */
function historyLength(line: RawLine, cols: number): number {
  const d = line._data;
  let len = Math.min(cols, line.length);
  while (len > 0 && (d[len * 3 - 3] & (IS_COMBINED | CODEPOINT_MASK)) === 0 && eraseBg(d[len * 3 - 1]) === 0) len--;
  if (len < Math.min(cols, line.length) && len > 0 && d[len * 3 - 3] >>> WIDTH_SHIFT === 2) len++; // a wide character's right half
  return len;
}

/**
 * An xterm line's history text as UTF-8 bytes: what historyText of decodeRow's Row gives (the same cell rules:
 * wide characters, orphan halves, lone marks, blank cells with a background; renditions as mosh's vocabulary
 * has them), in one pass over the cells that hold something, written straight into bytes.
 */
export function historyLineBytes(line: RawLine, cols: number): Uint8Array {
  const d = line._data;
  // Cells past the last one holding something or a background are left out: skip them at once.
  const len = historyLength(line, cols);
  const o = new ByteWriter();
  // The rendition written last, as cell words without what mosh's vocabulary leaves out (the extended word).
  let penFg = 0;
  let penBg = 0;
  // The bytes up to and including the last cell that is not empty with the default rendition, and the pen there.
  let keep = 0;
  let keepPen = false;
  let lastFg = -1;
  let lastBg = -1;
  let keptFg = 0;
  let keptBg = 0;
  for (let x = 0; x < len; x++) {
    const i = x * 3;
    const c = d[i];
    const fg = d[i + 1];
    const bg = d[i + 2];
    let cp = 0;
    let t: string | null = null;
    if (c & IS_COMBINED) {
      t = line._combined[x] ?? '';
      if (t === '') t = null;
      else cp = -1;
    } else cp = c & CODEPOINT_MASK;
    let has = cp !== 0;
    let wide = false;
    if (c >>> WIDTH_SHIFT === 2) {
      const j = i + 3;
      if (x + 1 < len && d[j] >>> WIDTH_SHIFT === 0 && (d[j] & HAS_CONTENT) === 0 && has) wide = true;
      else has = false; // an orphan half: an empty cell
    }
    let f: number;
    let b: number;
    if (!has) {
      f = 0;
      b = eraseBg(bg);
    } else if (fg === lastFg && bg === lastBg) {
      f = keptFg;
      b = keptBg;
    } else {
      lastFg = fg;
      lastBg = bg;
      keptFg = f = cellFg(fg);
      keptBg = b = cellBg(bg, 0);
    }
    if (f !== penFg || b !== penBg) {
      o.byte(0x1b);
      o.byte(0x5b);
      o.byte(0x30);
      const n = f === 0 && b === 0 ? 0 : sgrPieces(f, b, 0, true, historyPieces);
      for (let k = 0; k < n; k++) {
        o.byte(0x3b);
        o.ascii(historyPieces[k]);
      }
      o.byte(0x6d);
      penFg = f;
      penBg = b;
    }
    if (!has) o.byte(0x20);
    else if (t !== null) o.text(t);
    else if (cp < 0x80) o.byte(cp);
    else o.text(charOf(cp));
    if (has || f !== 0 || b !== 0) {
      keep = o.length;
      keepPen = penFg !== 0 || penBg !== 0;
    }
    if (wide) x++; // its right half prints nothing
  }
  o.length = keep;
  if (keepPen) o.ascii('\x1b[0m');
  return o.result();
}

/**
 * Whether `line`'s first `n` cell words equal `words` and its combined strings and extended words are the ones
 * `extras` lists ([index, value] pairs, as decodeRow reports them): the row cache's test that a row is unchanged.
 */
export function lineCellsEqual(
  line: RawLine,
  words: Uint32Array,
  extras: (number | string)[] | null,
  n: number,
): boolean {
  const data = line._data;
  for (let i = 0; i < n; i++) if (data[i] !== words[i]) return false;
  if (extras !== null) {
    for (let i = 0; i < extras.length; i += 2) {
      const x = extras[i] as number;
      const v = extras[i + 1];
      if (typeof v === 'string' ? line._combined[x] !== v : extWord(line, x) !== v) return false;
    }
  }
  return true;
}

/** Copies `line`'s first `n` cell words into `into` (zero-filled past the line's end), or into a new array. */
export function copyLineCells(line: RawLine, n: number, into: Uint32Array = new Uint32Array(n)): Uint32Array {
  const data = line._data;
  into.set(data.length > n ? data.subarray(0, n) : data);
  if (data.length < n) into.fill(0, data.length);
  return into;
}
