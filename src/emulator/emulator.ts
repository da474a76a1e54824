// Emulator: a terminal model over @xterm/headless with synchronous writes and cheap framebuffer snapshots.
// Bytes in (write), Snapshot out (snapshot). It also tracks what xterm does not keep or expose: mosh's titles
// (OSC 0/1/2 separately), the OSC 52 clipboard, the bell count, reverse video and the mouse modes xterm ignores.
// It knows nothing of networks, of diffs between snapshots (newframe.ts) or of predictions.
//
// Hostile input: xterm runs IL, DL, SU, SD, CHT, CBT and REP once per unit of their parameter, so
// `CSI 2147483647 S` would keep it busy for an hour. Guards clamp those parameters to the point where the result
// stops changing (the screen height, the width, a screenful of repeats) before xterm's own handler runs.
import type { Terminal } from '@xterm/headless';
import {
  copyLineCells,
  decodeRow,
  LiveHistoryRow,
  lineCellsEqual,
  type RawLine,
  type RawParams,
  XtermInternals,
} from './xterminternals';
import { DEFAULT_MODES, type Modes, type MouseEncoding, type MouseTracking, type Row, type Snapshot } from './snapshot';
import { newFrame } from './newframe';
import { clampScreenSize } from './limits';
import { glibcWidthProvider } from './widths';
import { bulkCut, type BulkScan, plainTailOf, rowsAboveAsText, scanBulk } from './bulktail';

export interface EmulatorOptions {
  /**
   * Character widths: 'glibc' (default) as stock mosh computes them (so cursor positions agree with a stock
   * mosh-server or mosh-client), or 'xterm' for xterm.js's built-in Unicode 6 table.
   */
  readonly widths?: 'glibc' | 'xterm';
  /**
   * Lines kept above the screen. Snapshots never include them; default and minimum 1. (With 0, xterm 6 can end
   * up after a resize with its viewport running past the end of its line list, and then scrolls wrongly.)
   */
  readonly scrollback?: number;
}

export interface Disposable {
  dispose(): void;
}

/**
 * Where an Emulator puts the lines that leave the top of its primary screen (a whole-screen scroll; not the
 * alternate screen, not a partial scroll region), in order: as rows when it emulated them, as plain text when
 * writeBulk skipped them (logical lines ending in CR LF, printed with `style`, to be laid out with plainLineText).
 */
export interface HistorySink {
  /**
   * An emulated row's history text, UTF-8, to make now or later (HistoryRowText), or null: empty (see keeps);
   * `wraps`: the line goes on in the next row.
   */
  row(text: HistoryRowText | null, wraps: boolean): void;
  /**
   * `lines` skipped lines of plain text, each ending in CR LF, in `bytes` (valid during this call only: the sink
   * copies what it keeps), with `style`.
   */
  plain(bytes: Uint8Array, lines: number, style: string): void;
  /** CSI 3J: everything that scrolled off so far is to be forgotten. */
  cleared(): void;
  /**
   * How many of the newest lines the sink keeps (older ones are dropped as newer ones come); absent: all. Rows
   * that a bulk write would push out of that at once are handed over without their text (made for nothing).
   */
  keeps?(): number;
}

/** A history row's text, made when asked for; `size`: the bytes it holds until then. */
export interface LazyHistoryText {
  readonly size: number;
  bytes(): Uint8Array;
}

/** A row leaving the screen, during HistorySink.row only: its text now, or a copy that makes it later. */
export interface HistoryRowText {
  /** Bytes a detached copy holds. */
  readonly size: number;
  /** The text, made now. */
  bytes(): Uint8Array;
  /** A copy of what the text is made from (the row itself changes once the call returns). */
  detach(): LazyHistoryText;
}

/** Longest title or icon name kept (characters); longer ones are cut. */
export const MAX_TITLE_LENGTH = 4096;
/** Longest OSC 52 payload kept (characters); longer ones are ignored. */
export const MAX_CLIPBOARD_LENGTH = 1 << 20;

const MOUSE_TRACKING = new Set([9, 1000, 1001, 1002, 1003]);
const MOUSE_ENCODING = new Set([1005, 1006, 1015, 1016]);

interface RowCacheEntry {
  cols: number;
  data: Uint32Array;
  /** Combined strings and extended words of the cells that had them, in cell order, as [index, value] pairs. */
  extras: (number | string)[] | null;
  row: Row;
}

function cleanText(s: string, max: number): string {
  // C0, DEL and C1 controls have no business in a title; they could end the OSC that carries it.
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f-\x9f]/g, '');
  return t.length > max ? t.slice(0, max) : t;
}

/**
 * @xterm/headless, loaded on first use: a client bundle that never builds an Emulator (it applies host diffs
 * with the Framebuffer) does not pay the memory and start-up time of loading xterm.
 */
let xtermModule: typeof import('@xterm/headless') | null = null;
function xterm(): typeof import('@xterm/headless') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  xtermModule ??= require('@xterm/headless') as typeof import('@xterm/headless');
  return xtermModule;
}

export class Emulator {
  private term: Terminal;
  private raw: XtermInternals;
  private readonly scrollback: number;
  private readonly widths: 'glibc' | 'xterm';
  private recoveries = 0;
  private readonly rowCache = new WeakMap<RawLine, RowCacheEntry>();
  private readonly replyListeners: ((data: string) => void)[] = [];
  private last: Snapshot | null = null;
  private lastModes: Modes = DEFAULT_MODES;

  private title = '';
  private iconName = '';
  private titleSet = false;
  private clipboard: string | null = null;
  private bells = 0;
  private reverseVideo = false;
  private mouseTracking: MouseTracking = 0;
  private mouseEncoding: MouseEncoding = 0;
  private cursorStyle = 0;

  constructor(cols: number, rows: number, options: EmulatorOptions = {}) {
    this.scrollback = Math.max(1, Math.floor(options.scrollback ?? 1));
    this.widths = options.widths ?? 'glibc';
    const size = clampScreenSize(Math.max(2, cols), rows);
    this.term = this.newTerminal(size.cols, size.rows);
    this.raw = new XtermInternals(this.term);
    this.installHandlers();
  }

  private newTerminal(cols: number, rows: number): Terminal {
    const term = new (xterm().Terminal)({
      cols,
      rows,
      scrollback: this.scrollback,
      allowProposedApi: true,
      logLevel: 'off',
    });
    if (this.widths === 'glibc') {
      term.unicode.register(glibcWidthProvider);
      term.unicode.activeVersion = glibcWidthProvider.version;
    }
    return term;
  }

  /** Builds an emulator that shows `snapshot` (screen, cursor, pen, modes, titles, clipboard, bell count). */
  static fromSnapshot(snapshot: Snapshot, options: EmulatorOptions = {}): Emulator {
    // Widths must match the emulator the snapshot came from; the default matches the default.
    const em = new Emulator(snapshot.cols, snapshot.rows, options);
    em.write(newFrame(false, null, snapshot, { vocabulary: 'xterm' }));
    em.bells = snapshot.bellCount;
    em.last = null;
    return em;
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  get bellCount(): number {
    return this.bells;
  }

  /** Parses `data` (UTF-8 bytes or a string) completely before returning. Do not call from a reply listener. */
  write(data: string | Uint8Array): void {
    if (data.length === 0) return;
    this.last = null;
    this.writes++;
    try {
      this.raw.writeSync(data);
    } catch {
      this.recover();
      return;
    }
    if (!this.raw.consistent(this.term.rows)) this.recover();
  }

  /** Bytes `writeBulk` did not need to emulate (they scrolled off the screen unseen). */
  skippedBytes = 0;
  /** Rows above the cursor that writeBulk gave the history as the text that printed them (not read). */
  rowsKnownAsText = 0;
  /** Where scrolled-off lines go (null: nowhere). */
  private history: HistorySink | null = null;
  /** What the history sink is handed for each row (one object, reused). */
  private readonly liveRow = new LiveHistoryRow();
  /** Scroll events to ignore: rows writeBulk already gave the sink as text. */
  private suppressScrolls = 0;
  /** Calls of write so far (to tell that nothing was written between two bulk writes). */
  private writes = 0;
  /**
   * The last bulk write's lines that stay on the screen after the next line feed, as plain text (ASCII, each
   * within a row, default rendition; see writeBulkWithHistory), and the `writes` count after it; else null.
   */
  private plainTail: Uint8Array | null = null;
  private plainTailAt = -1;
  /** What writeBulk's scan of its data found (bulktail.ts). */
  private readonly scan: BulkScan = { lineFeeds: 0, bareLf: 0, odd: -1, long: -1 };

  /** Lines that scroll off the top of the primary screen go to `sink` from now on (null: nowhere). */
  captureHistory(sink: HistorySink | null): void {
    this.history = sink;
    this.suppressScrolls = 0;
    this.plainTail = null;
  }

  /** xterm scrolled its active buffer by one line: a line that left the whole primary screen is history. */
  private scrolled(): void {
    const sink = this.history;
    if (sink === null) return;
    // (set only while writeBulk emulates plain text on the whole normal screen)
    if (this.suppressScrolls > 0) {
      this.suppressScrolls--;
      return;
    }
    const raw = this.raw;
    const b = raw.buffer;
    if (!raw.onNormalBuffer || !raw.scrollsWholeScreen || b.ybase === 0) return;
    const line = b.lines.get(b.ybase - 1);
    if (!line) return;
    const next = b.lines.get(b.ybase);
    sink.row(this.liveRow.of(line, this.term.cols), next !== undefined && next.isWrapped);
  }

  /**
   * Like write, for large amounts of application output: plain text that provably scrolls off the screen before
   * it could be seen is not emulated. Exact for everything a snapshot holds (this emulator keeps no scrollback).
   *
   * Why it is exact: after its first line, let the data be S T with only printable text, TAB, CR and LF (no ESC,
   * no other C0, no C1), S ending in CR LF with at least `rows` line feeds, and T holding `rows` more. With no
   * scroll region and no origin mode, after S the cursor is at the bottom-left on a blank row that the last LF
   * scrolled in, with the pen, modes, charsets, titles and bell count unchanged; T's line feeds then scroll every
   * row S drew off the screen. Moving the cursor to the bottom-left and feeding one LF leaves the same state.
   */
  writeBulk(data: Uint8Array): void {
    const rows = this.term.rows;
    const firstLf = data.indexOf(0x0a);
    if (data.length < 2048 || firstLf < 0) return this.write(data);
    // (its own function: a loop here would run as on-stack-replaced code that V8 deoptimizes at every call)
    const scan = this.scan;
    if (!scanBulk(data, firstLf + 1, this.term.cols, scan)) return this.write(data);
    const { lineFeeds, bareLf } = scan;
    if (lineFeeds < 2 * rows + 1) return this.write(data);
    const cut = bulkCut(data, rows);
    if (cut <= firstLf || data[cut - 1] !== 0x0d) return this.write(data);
    this.write(data.subarray(0, firstLf + 1));
    // The argument above needs the parser in its ground state after the first line (not inside a string such as
    // an unterminated OSC, where text is not printed) and line feeds that scroll the whole screen.
    if (!this.raw.scrollsWholeScreen || !this.raw.parserAtGround) return this.write(data.subarray(firstLf + 1));
    if (this.history !== null && this.raw.onNormalBuffer) {
      // S's lines must print on blank rows in a full emulation too: in ASCII, and from the cursor down (below a
      // cursor above the bottom row, what they did not overwrite of older text would go with them)
      if (!this.raw.asciiCharset || !this.raw.blankFrom(this.raw.buffer.y, this.term.cols))
        return this.write(data.subarray(firstLf + 1));
      // Each line of S must start at column 0: the first where the first line left the cursor (a CR LF, or an LF
      // after the CR that ended the previous write), the others after a CR LF each.
      if (this.raw.buffer.x !== 0 || bareLf <= cut) return this.write(data.subarray(firstLf + 1));
      return this.writeBulkWithHistory(data, firstLf, cut, rows, lineFeeds - rows);
    }
    this.write(`\x1b[${rows};1H\n`);
    this.skippedBytes += cut - firstLf;
    this.write(data.subarray(cut + 1));
  }

  /**
   * writeBulk's skip when history is captured. The skipped lines S (after the first line, up to `cut`) go to the
   * sink as text, in the order a full emulation would scroll them off: first the rows above the cursor (as the
   * text that printed them when the previous bulk write tells it, else read where they are, as rows), then every
   * line of S, in one piece; the rows xterm then scrolls off while it emulates the rest (what was on the screen
   * in place of S's last lines) are not given again. Needs each line of S to start at column 0 (see writeBulk).
   */
  private writeBulkWithHistory(data: Uint8Array, firstLf: number, cut: number, rows: number, lines: number): void {
    const sink = this.history!;
    // The rows above the cursor leave first: read them where they are (scrolling them off one by one costs xterm
    // a line recycle each); the line feeds of T scroll them off unseen (suppressScrolls below).
    const b = this.raw.buffer;
    const c = b.y;
    const cols = this.term.cols;
    // When S alone fills what the sink keeps, these rows are dropped as soon as S arrives: counted, not read.
    const dropped = sink.keeps !== undefined && lines >= sink.keeps();
    const style = this.raw.penStyle;
    const above = this.plainAbove(data, firstLf, c, rows, style);
    if (above !== null && !dropped) {
      sink.plain(above, c, style);
      this.rowsKnownAsText += c;
    } else {
      for (let y = 0; y < c; y++) {
        const line = b.lines.get(b.ybase + y);
        const next = b.lines.get(b.ybase + y + 1);
        if (line) sink.row(dropped ? null : this.liveRow.of(line, cols), next !== undefined && next.isWrapped);
      }
    }
    this.write(`\x1b[${rows};1H\x1b[2K`);
    // The lines of S, each ending in CR LF (the sink copies what it keeps).
    sink.plain(data.subarray(firstLf + 1, cut + 1), lines, style);
    this.skippedBytes += cut - firstLf;
    this.suppressScrolls = rows - 1;
    this.write(data.subarray(cut + 1));
    this.suppressScrolls = 0;
    this.keepPlainTail(data, cut, rows, style);
  }

  /** The rows above the cursor at a bulk write as text lines (bulktail.ts), if known; else null (read them). */
  private plainAbove(data: Uint8Array, firstLf: number, c: number, rows: number, style: string): Uint8Array | null {
    const tail = this.plainTail;
    this.plainTail = null;
    // Nothing was written since the tail but this write's first line, which ended on the bottom row.
    if (tail === null || this.writes !== this.plainTailAt + 1 || c !== rows - 1 || style !== '') return null;
    return rowsAboveAsText(tail, data, firstLf, this.term.cols);
  }

  /** After a bulk write's lines T (data after `cut`): keeps what plainAbove needs of them, if plain enough. */
  private keepPlainTail(data: Uint8Array, cut: number, rows: number, style: string): void {
    if (style !== '' || !this.raw.onNormalBuffer) return;
    this.plainTail = plainTailOf(data, cut, rows, this.term.cols, this.scan);
    this.plainTailAt = this.writes;
  }

  /**
   * How many times xterm got into an inconsistent state (or threw) and the emulator rebuilt itself from its
   * snapshot. The screen, cursor, pen, modes and titles survive that; scroll region, saved cursor, charsets and
   * the rest of the current write do not. Expected to stay 0; the fuzz test reports it.
   */
  get recoveryCount(): number {
    return this.recoveries;
  }

  private recover(): void {
    this.recoveries++;
    this.last = null;
    const snap = this.snapshot();
    const old = this.term;
    this.term = this.newTerminal(snap.cols, snap.rows);
    this.raw = new XtermInternals(this.term);
    this.installHandlers();
    this.raw.writeSync(newFrame(false, null, snap, { vocabulary: 'xterm' }));
    this.last = null;
    old.dispose();
  }

  /** Resizes the screen (at least 2 columns and 1 row, as xterm requires; at most the limits in limits.ts). */
  resize(cols: number, rows: number): void {
    this.plainTail = null;
    ({ cols, rows } = clampScreenSize(Math.max(2, cols), rows));
    if (cols === this.term.cols && rows === this.term.rows) return;
    this.last = null;
    try {
      this.term.resize(cols, rows);
      this.raw.repairAfterResize(rows);
    } catch {
      this.recover();
      return;
    }
    if (!this.raw.consistent(rows)) this.recover();
  }

  /**
   * Bytes the terminal sends back to the application (answers to DA, DSR and similar queries). The server
   * forwards them to the pty; a client ignores them.
   */
  onReply(listener: (data: string) => void): Disposable {
    this.replyListeners.push(listener);
    return {
      dispose: () => {
        const i = this.replyListeners.indexOf(listener);
        if (i >= 0) this.replyListeners.splice(i, 1);
      },
    };
  }

  dispose(): void {
    this.term.dispose();
  }

  /** The current framebuffer. Returns the same object again while nothing was written or resized. */
  snapshot(): Snapshot {
    if (this.last !== null) return this.last;
    const cols = this.term.cols;
    const rows = this.term.rows;
    const buf = this.raw.buffer;
    const lines: Row[] = new Array<Row>(rows);
    let line = buf.lines.get(buf.ybase);
    for (let y = 0; y < rows; y++) {
      const next = y + 1 < rows ? buf.lines.get(buf.ybase + y + 1) : undefined;
      lines[y] = line ? this.rowOf(line, cols, next !== undefined && next.isWrapped) : this.rowOf(null, cols, false);
      line = next;
    }
    const snap: Snapshot = {
      cols,
      rows,
      lines,
      cursor: {
        x: Math.min(Math.max(buf.x, 0), cols - 1),
        y: Math.min(Math.max(buf.y, 0), rows - 1),
        visible: !this.raw.cursorHidden,
      },
      pen: this.raw.penStyle,
      modes: this.modes(),
      title: this.title,
      iconName: this.iconName,
      titleSet: this.titleSet,
      clipboard: this.clipboard,
      bellCount: this.bells,
    };
    this.last = snap;
    return snap;
  }

  private modes(): Modes {
    const m = this.term.modes;
    const prev = this.lastModes;
    const altScreen = this.term.buffer.active.type === 'alternate';
    if (
      prev.applicationCursorKeys === m.applicationCursorKeysMode &&
      prev.applicationKeypad === m.applicationKeypadMode &&
      prev.bracketedPaste === m.bracketedPasteMode &&
      prev.focusEvents === m.sendFocusMode &&
      prev.mouseTracking === this.mouseTracking &&
      prev.mouseEncoding === this.mouseEncoding &&
      prev.altScreen === altScreen &&
      prev.reverseVideo === this.reverseVideo &&
      prev.cursorStyle === this.cursorStyle
    ) {
      return prev;
    }
    this.lastModes = Object.freeze({
      applicationCursorKeys: m.applicationCursorKeysMode,
      applicationKeypad: m.applicationKeypadMode,
      bracketedPaste: m.bracketedPasteMode,
      mouseTracking: this.mouseTracking,
      mouseEncoding: this.mouseEncoding,
      focusEvents: m.sendFocusMode,
      altScreen,
      reverseVideo: this.reverseVideo,
      cursorStyle: this.cursorStyle,
    });
    return this.lastModes;
  }

  /** The Row for an xterm line: the cached one if its cells did not change, else a freshly decoded one. */
  private rowOf(line: RawLine | null, cols: number, wraps: boolean): Row {
    if (line === null) return decodeRow(null, cols, wraps, this.raw).row;
    const n = cols * 3;
    const entry = this.rowCache.get(line);
    if (entry !== undefined && entry.cols === cols && lineCellsEqual(line, entry.data, entry.extras, n)) {
      if (entry.row.wraps !== wraps) entry.row = entry.row.withWraps(wraps);
      return entry.row;
    }
    const fresh = decodeRow(line, cols, wraps, this.raw);
    if (entry !== undefined && entry.cols === cols) {
      // xterm reuses its line objects as the screen scrolls: refresh the entry in place (no new copy).
      copyLineCells(line, n, entry.data);
      entry.extras = fresh.extras;
      entry.row = fresh.row;
    } else {
      this.rowCache.set(line, { cols, data: copyLineCells(line, n), extras: fresh.extras, row: fresh.row });
    }
    return fresh.row;
  }

  private installHandlers(): void {
    const term = this.term;
    const raw = this.raw;
    term.onBell(() => {
      this.bells++;
    });
    term.onScroll(() => this.scrolled());
    term.onData((data) => {
      for (const l of this.replyListeners.slice()) l(data);
    });
    // Titles and clipboard, with payloads capped while they arrive (see xterminternals.ts).
    raw.replaceOscHandler(0, MAX_TITLE_LENGTH * 2, true, (data) => {
      if (data === null) return;
      this.title = this.iconName = cleanText(data, MAX_TITLE_LENGTH);
      this.titleSet = true;
    });
    raw.replaceOscHandler(1, MAX_TITLE_LENGTH * 2, true, (data) => {
      if (data === null) return;
      this.iconName = cleanText(data, MAX_TITLE_LENGTH);
      this.titleSet = true;
    });
    raw.replaceOscHandler(2, MAX_TITLE_LENGTH * 2, true, (data) => {
      if (data === null) return;
      this.title = cleanText(data, MAX_TITLE_LENGTH);
      this.titleSet = true;
    });
    raw.replaceOscHandler(52, MAX_CLIPBOARD_LENGTH + 64, false, (data) => {
      if (data === null) return;
      const semi = data.indexOf(';');
      if (semi < 0) return;
      const payload = data.slice(semi + 1);
      if (payload.length <= MAX_CLIPBOARD_LENGTH && /^[A-Za-z0-9+/=]*$/.test(payload)) this.clipboard = payload;
    });
    const parser = term.parser;
    const privateMode = (set: boolean) => (params: (number | number[])[]) => {
      for (const p of params) {
        if (typeof p !== 'number') continue;
        if (p === 5) this.reverseVideo = set;
        else if (MOUSE_TRACKING.has(p)) {
          if (set) this.mouseTracking = p as MouseTracking;
          else if (this.mouseTracking === p) this.mouseTracking = 0;
        } else if (MOUSE_ENCODING.has(p)) {
          if (set) this.mouseEncoding = p as MouseEncoding;
          else if (this.mouseEncoding === p) this.mouseEncoding = 0;
        }
      }
      return false;
    };
    parser.registerCsiHandler({ final: 'J' }, (params) => {
      if (params[0] === 3) this.history?.cleared(); // CSI 3J: the scrollback is erased
      return false;
    });
    parser.registerCsiHandler({ prefix: '?', final: 'h' }, privateMode(true));
    parser.registerCsiHandler({ prefix: '?', final: 'l' }, privateMode(false));
    parser.registerCsiHandler({ intermediates: ' ', final: 'q' }, (params) => {
      const p = params.length === 0 ? 0 : params[0];
      if (typeof p === 'number' && p >= 0 && p <= 6) this.cursorStyle = p;
      return false;
    });
    parser.registerEscHandler({ final: 'c' }, () => {
      this.reverseVideo = false;
      this.mouseTracking = 0;
      this.mouseEncoding = 0;
      this.cursorStyle = 0;
      return false;
    });

    // Parameter clamps against runaway loops (see header).
    const clamp = (limit: () => number) => (params: RawParams) => {
      const max = limit();
      if (params.length > 0 && params.params[0] > max) params.params[0] = max;
      return false;
    };
    const rowsLimit = clamp(() => term.rows);
    const colsLimit = clamp(() => term.cols);
    for (const final of ['L', 'M', 'S', 'T', '^']) raw.registerCsiGuard({ final }, rowsLimit);
    for (const final of ['I', 'Z']) raw.registerCsiGuard({ final }, colsLimit);
    // REP: once a screenful plus two rows has been printed, each further full row of repeats leaves the screen
    // as it was. A row holds `cols` narrow or floor(cols/2) wide characters; keep the remainder modulo a common
    // multiple of both, so the cursor column and wrap state come out the same.
    raw.registerCsiGuard({ final: 'b' }, (params) => {
      if (params.length === 0) return false;
      const limit = term.cols * (term.rows + 2);
      const period = term.cols * Math.max(1, term.cols >> 1);
      const n = params.params[0];
      if (n > limit) params.params[0] = limit + ((n - limit) % period);
      return false;
    });
  }
}
