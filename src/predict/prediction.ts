// The prediction engine (mosh-protocol.md section 9): guesses what the typed bytes will do to the screen
// (printable characters, backspace, left/right arrows, CR), checks those guesses against each new server
// framebuffer and against echo-acks, and draws the believable ones as an overlay on a copy of the framebuffer
// (underlined when the link is slow or glitchy). Predictions live in epochs and stay hidden until one
// prediction of their epoch is confirmed; a wrong displayed prediction throws everything away.
// It never edits the authoritative framebuffer, sends nothing and reads no clock: the caller passes `now`.
// All state is plain data (see PredictionEngineState) so a session can be saved and restored.
import type { Snapshot } from '../emulator';
import { glibcWidth } from '../emulator/widths';
import { initialParserState, parseByte, type InputAction, type InputParserState } from './inputparser';
import { BLANK_CELL, cellAt, cellsEqual, contentsMatch, isBlankText, SnapshotOverlay, withUnderline, type Cell } from './overlay';

export type DisplayPreference = 'always' | 'never' | 'adaptive' | 'experimental';

/** `send_interval > 30` turns the SRTT trigger on. */
export const SRTT_TRIGGER_HIGH = 30;
/** `send_interval <= 20` with nothing active turns it off. */
export const SRTT_TRIGGER_LOW = 20;
/** `send_interval > 80` turns underlining on. */
export const FLAG_TRIGGER_HIGH = 80;
/** `send_interval <= 50` turns it off. */
export const FLAG_TRIGGER_LOW = 50;
/** A prediction pending this long (ms) makes predictions show (glitch trigger 10). */
export const GLITCH_THRESHOLD = 250;
/** A glitch trigger above this forces underlining; quick confirmations count it down. */
export const GLITCH_REPAIR_COUNT = 10;
/** Minimum spacing (ms) between two glitch-trigger decrements. */
export const GLITCH_REPAIR_MININTERVAL = 150;
/** A prediction pending this long (ms) sets the glitch trigger to 20 (show and underline). */
export const GLITCH_FLAG_THRESHOLD = 5000;
/** How often (ms) cull must run again while predictions are pending. */
export const PREDICTION_WAKEUP = 50;
/** A single read of more than this many bytes is a paste: it is not predicted. */
export const PASTE_THRESHOLD = 100;

/** One predicted cell (mosh's ConditionalOverlayCell). */
export interface CellPrediction {
  active: boolean;
  /** The cell's contents are not known (shifted off the row's end); only an underline may be drawn. */
  unknown: boolean;
  replacement: Cell;
  /** Contents (texts) this cell had before or was predicted to have: matching one of them earns no credit. */
  original: string[];
  expirationFrame: bigint;
  /** The epoch the prediction belongs to (tentative_until_epoch). */
  epoch: number;
  predictionTime: number;
}

export interface RowPrediction {
  row: number;
  cells: CellPrediction[];
}

export interface CursorPrediction {
  row: number;
  col: number;
  expirationFrame: bigint;
  epoch: number;
}

export interface PredictionStats {
  /** Keystrokes the engine made a cell prediction for (printable characters and backspaces). */
  predicted: number;
  /** Cell predictions the server frame confirmed with credit (Correct). */
  confirmed: number;
  /** Cell or cursor predictions found wrong (IncorrectOrExpired), tentative or not. */
  mispredicted: number;
  /** Wrong predictions in a confirmed (displayable) epoch: each reset everything. */
  glitches: number;
}

/** Everything the engine knows, as plain data (structuredClone-able; bigints inside). */
export interface PredictionEngineState {
  display: DisplayPreference;
  predictOverwrite: boolean;
  cursors: CursorPrediction[];
  overlays: RowPrediction[];
  predictionEpoch: number;
  confirmedEpoch: number;
  localFrameSent: bigint;
  localFrameAcked: bigint;
  localFrameLateAcked: bigint;
  sendInterval: number;
  lastWidth: number;
  lastHeight: number;
  srttTrigger: boolean;
  flagging: boolean;
  glitchTrigger: number;
  /** Time of the last glitch-trigger decrement, null before the first. */
  lastQuickConfirmation: number | null;
  lastByteWasEsc: boolean;
  parser: InputParserState;
  stats: PredictionStats;
}

export interface PredictionEngineOptions {
  display: DisplayPreference;
  /** Typed characters overwrite instead of inserting (MOSH_PREDICTION_OVERWRITE=yes). */
  predictOverwrite?: boolean;
  /** Initial frame interval (ms); the transport's own starts at 250 before any RTT sample. */
  sendInterval?: number;
}

type Validity = 'pending' | 'correct' | 'correctNoCredit' | 'incorrectOrExpired' | 'inactive';

function inactiveCell(): CellPrediction {
  return {
    active: false,
    unknown: false,
    replacement: BLANK_CELL,
    original: [],
    expirationFrame: -1n,
    epoch: -1,
    predictionTime: -1,
  };
}

function resetCell(c: CellPrediction): void {
  c.active = false;
  c.unknown = false;
  c.original = [];
}

/** reset_with_orig: keep what this cell was predicted to show among its originals. */
function resetCellWithOrig(c: CellPrediction): void {
  if (!c.active || c.unknown) {
    resetCell(c);
    return;
  }
  addOriginal(c, c.replacement.text);
  c.active = false;
  c.unknown = false;
}

function addOriginal(c: CellPrediction, text: string): void {
  // Only contents are ever compared, so equal contents need to be kept once.
  for (const t of c.original) if (contentsMatch(t, text)) return;
  c.original.push(text);
}

export class PredictionEngine {
  private s: PredictionEngineState;

  constructor(opts: PredictionEngineOptions, saved?: PredictionEngineState) {
    this.s = saved
      ? structuredClone(saved)
      : {
          display: opts.display,
          predictOverwrite: opts.predictOverwrite ?? false,
          cursors: [],
          overlays: [],
          predictionEpoch: 1,
          confirmedEpoch: 0,
          localFrameSent: 0n,
          localFrameAcked: 0n,
          localFrameLateAcked: 0n,
          sendInterval: opts.sendInterval ?? 250,
          lastWidth: -1,
          lastHeight: -1,
          srttTrigger: false,
          flagging: false,
          glitchTrigger: 0,
          lastQuickConfirmation: null,
          lastByteWasEsc: false,
          parser: initialParserState(),
          stats: { predicted: 0, confirmed: 0, mispredicted: 0, glitches: 0 },
        };
  }

  /** A copy of the whole state, for saving a session. */
  saveState(): PredictionEngineState {
    return structuredClone(this.s);
  }

  get display(): DisplayPreference {
    return this.s.display;
  }

  set display(d: DisplayPreference) {
    if (d === this.s.display) return;
    this.s.display = d;
    this.reset();
  }

  get stats(): Readonly<PredictionStats> {
    return { ...this.s.stats };
  }

  /** 0 (no glitch), 10 (show predictions) or up to 20 (show and underline); decays with quick confirmations. */
  get glitchTrigger(): number {
    return this.s.glitchTrigger;
  }

  /** Predictions would be underlined now. */
  get flagging(): boolean {
    return this.s.flagging;
  }

  /** The SRTT trigger is on (adaptive mode shows predictions). */
  get srttTrigger(): boolean {
    return this.s.srttTrigger;
  }

  /** Some cell or cursor prediction is outstanding. */
  get active(): boolean {
    if (this.s.cursors.length > 0) return true;
    for (const r of this.s.overlays) for (const c of r.cells) if (c.active) return true;
    return false;
  }

  /** The transport's frame interval (ms), ceil(SRTT/2) clamped to [20, 250]. */
  setSendInterval(ms: number): void {
    this.s.sendInterval = ms;
  }

  /** The number of the newest user-input state sent (read before each batch of typed bytes). */
  setLocalFrameSent(n: bigint): void {
    this.s.localFrameSent = n;
  }

  /** The newest user-input state the server acknowledged (stored; not used for validity). */
  setLocalFrameAcked(n: bigint): void {
    if (n > this.s.localFrameAcked) this.s.localFrameAcked = n;
  }

  /** The echo_ack of the newest server state: input the application had time to echo. */
  setLocalFrameLateAcked(n: bigint): void {
    if (n > this.s.localFrameLateAcked) this.s.localFrameLateAcked = n;
  }

  /** Forget every prediction; new ones stay hidden until confirmed. */
  reset(): void {
    this.s.cursors = [];
    this.s.overlays = [];
    this.becomeTentative();
  }

  private becomeTentative(): void {
    if (this.s.display !== 'experimental') this.s.predictionEpoch++;
  }

  private killEpoch(epoch: number, fb: Snapshot): void {
    const s = this.s;
    s.cursors = s.cursors.filter((c) => c.epoch < epoch);
    s.cursors.push({
      row: fb.cursor.y,
      col: fb.cursor.x,
      expirationFrame: s.localFrameSent + 1n,
      epoch: s.predictionEpoch,
    });
    for (const r of s.overlays) for (const c of r.cells) if (c.epoch >= epoch) resetCell(c);
    this.becomeTentative();
  }

  private tentative(epoch: number): boolean {
    return epoch > this.s.confirmedEpoch;
  }

  private cellValidity(c: CellPrediction, fb: Snapshot, row: number, col: number): Validity {
    if (!c.active) return 'inactive';
    if (row < 0 || row >= fb.rows || col < 0 || col >= fb.cols) return 'incorrectOrExpired';
    if (this.s.localFrameLateAcked < c.expirationFrame) return 'pending';
    if (c.unknown) return 'correctNoCredit';
    if (isBlankText(c.replacement.text)) return 'correctNoCredit';
    const actual = fb.lines[row].text[col];
    if (contentsMatch(actual, c.replacement.text)) {
      for (const t of c.original) if (contentsMatch(t, c.replacement.text)) return 'correctNoCredit';
      return 'correct';
    }
    return 'incorrectOrExpired';
  }

  private cursorValidity(c: CursorPrediction, fb: Snapshot): Validity {
    if (c.row < 0 || c.row >= fb.rows || c.col < 0 || c.col >= fb.cols) return 'incorrectOrExpired';
    if (this.s.localFrameLateAcked >= c.expirationFrame) {
      return fb.cursor.y === c.row && fb.cursor.x === c.col ? 'correct' : 'incorrectOrExpired';
    }
    return 'pending';
  }

  /**
   * Checks every prediction against the newest server framebuffer `fb`: confirmed ones are dropped (the frame
   * shows them now), wrong ones kill their epoch or, if they were displayed, reset everything. Also updates
   * the SRTT, flagging and glitch triggers. Run before every display and before every typed byte.
   */
  cull(fb: Snapshot, now: number): void {
    const s = this.s;
    if (s.display === 'never') return;
    if (fb.cols !== s.lastWidth || fb.rows !== s.lastHeight) {
      s.lastWidth = fb.cols;
      s.lastHeight = fb.rows;
      this.reset();
    }

    if (s.sendInterval > SRTT_TRIGGER_HIGH) s.srttTrigger = true;
    else if (s.srttTrigger && s.sendInterval <= SRTT_TRIGGER_LOW && !this.active) s.srttTrigger = false;

    if (s.sendInterval > FLAG_TRIGGER_HIGH) s.flagging = true;
    else if (s.sendInterval <= FLAG_TRIGGER_LOW) s.flagging = false;
    if (s.glitchTrigger > GLITCH_REPAIR_COUNT) s.flagging = true;

    s.overlays = s.overlays.filter((r) => r.row >= 0 && r.row < fb.rows);
    for (const r of s.overlays) {
      for (let col = 0; col < r.cells.length; col++) {
        const c = r.cells[col];
        switch (this.cellValidity(c, fb, r.row, col)) {
          case 'incorrectOrExpired':
            s.stats.mispredicted++;
            if (this.tentative(c.epoch)) {
              this.killEpoch(c.epoch, fb);
            } else if (s.display === 'experimental') {
              s.stats.glitches++;
              resetCell(c);
            } else {
              s.stats.glitches++;
              this.reset();
              return;
            }
            break;
          case 'correct': {
            s.stats.confirmed++;
            if (c.epoch > s.confirmedEpoch) s.confirmedEpoch = c.epoch;
            if (
              now - c.predictionTime < GLITCH_THRESHOLD &&
              s.glitchTrigger > 0 &&
              (s.lastQuickConfirmation === null || now - GLITCH_REPAIR_MININTERVAL >= s.lastQuickConfirmation)
            ) {
              s.glitchTrigger--;
              s.lastQuickConfirmation = now;
            }
            // The server's renditions are better than guessed ones: use them for the rest of the row.
            const style = fb.lines[r.row].style[col];
            for (let k = col; k < r.cells.length; k++) {
              const rep = r.cells[k].replacement;
              if (rep.style !== style) r.cells[k].replacement = { ...rep, style };
            }
            resetCell(c);
            break;
          }
          case 'correctNoCredit':
            resetCell(c);
            break;
          case 'pending':
            if (now - c.predictionTime >= GLITCH_FLAG_THRESHOLD) s.glitchTrigger = 2 * GLITCH_REPAIR_COUNT;
            else if (now - c.predictionTime >= GLITCH_THRESHOLD && s.glitchTrigger < GLITCH_REPAIR_COUNT) {
              s.glitchTrigger = GLITCH_REPAIR_COUNT;
            }
            break;
          case 'inactive':
            break;
        }
      }
    }
    // Rows with nothing left are dropped.
    s.overlays = s.overlays.filter((r) => r.cells.some((c) => c.active));

    if (s.cursors.length > 0 && this.cursorValidity(s.cursors[s.cursors.length - 1], fb) === 'incorrectOrExpired') {
      s.stats.mispredicted++;
      if (!this.tentative(s.cursors[s.cursors.length - 1].epoch)) s.stats.glitches++;
      if (s.display === 'experimental') {
        s.cursors = [];
      } else {
        this.reset();
        return;
      }
    }
    s.cursors = s.cursors.filter((c) => this.cursorValidity(c, fb) === 'pending');
  }

  /** Whether apply() draws anything at all now. */
  get showing(): boolean {
    const s = this.s;
    if (s.display === 'never') return false;
    return s.srttTrigger || s.glitchTrigger > 0 || s.display === 'always' || s.display === 'experimental';
  }

  /**
   * The frame to display: `fb` with the displayable predictions drawn over it (cells replaced, underlined when
   * flagging, cursor moved). Returns `fb` itself when nothing shows. Call cull(fb, now) first.
   */
  apply(fb: Snapshot): Snapshot {
    if (!this.showing) return fb;
    const s = this.s;
    const out = new SnapshotOverlay(fb);
    for (const c of s.cursors) {
      if (this.tentative(c.epoch)) continue;
      if (c.row < 0 || c.row >= fb.rows || c.col < 0 || c.col >= fb.cols) continue;
      out.setCursor(c.row, c.col);
    }
    for (const r of s.overlays) {
      if (r.row < 0 || r.row >= fb.rows) continue;
      const width = Math.min(r.cells.length, fb.cols);
      for (let col = 0; col < width; col++) {
        const c = r.cells[col];
        if (!c.active || this.tentative(c.epoch)) continue;
        const real = cellAt(fb, r.row, col);
        let flag = s.flagging;
        if (isBlankText(c.replacement.text) && isBlankText(real.text)) flag = false;
        if (c.unknown) {
          if (flag && col !== fb.cols - 1) out.underline(r.row, col);
          continue;
        }
        if (!cellsEqual(real, c.replacement)) {
          out.setCell(r.row, col, flag ? { ...c.replacement, style: withUnderline(c.replacement.style) } : c.replacement);
        }
      }
    }
    return out.build();
  }

  /** Milliseconds until cull must run again (PREDICTION_WAKEUP while predictions are pending), or Infinity. */
  waitTime(_now?: number): number {
    const s = this.s;
    if (s.display === 'never') return Infinity;
    const timingTestsNecessary = !(s.glitchTrigger > 0 && s.flagging);
    return timingTestsNecessary && this.active ? PREDICTION_WAKEUP : Infinity;
  }

  /**
   * A chunk of typed input as one read delivers it. A paste (explicitly, or a chunk longer than
   * PASTE_THRESHOLD bytes) is not predicted: everything resets instead. Otherwise each byte is predicted.
   */
  newUserInput(bytes: Uint8Array, fb: Snapshot, now: number, paste = bytes.length > PASTE_THRESHOLD): void {
    if (paste) {
      if (this.s.display !== 'never') this.reset();
      return;
    }
    for (const b of bytes) this.newUserByte(b, fb, now);
  }

  /**
   * One typed byte, before it is sent; `fb` is the newest server framebuffer. Call setLocalFrameSent first, so
   * predictions expire with the state that carries this byte. With `paste`, nothing is predicted: reset.
   */
  newUserByte(byte: number, fb: Snapshot, now: number, paste = false): void {
    const s = this.s;
    if (s.display === 'never') return;
    if (paste) {
      this.reset();
      return;
    }
    if (s.display === 'experimental') s.predictionEpoch = s.confirmedEpoch;
    this.cull(fb, now);
    let b = byte & 0xff;
    if (s.lastByteWasEsc && b === 0x4f) b = 0x5b; // ESC O x (SS3 arrows) is handled as ESC [ x
    s.lastByteWasEsc = b === 0x1b;
    for (const action of parseByte(s.parser, b)) this.handle(action, fb, now);
  }

  private handle(a: InputAction, fb: Snapshot, now: number): void {
    switch (a.type) {
      case 'print':
        this.print(a.ch, fb, now);
        return;
      case 'execute':
        if (a.ch === 0x0d) {
          this.becomeTentative();
          this.newlineCarriageReturn(fb, now);
        } else {
          this.becomeTentative();
        }
        return;
      case 'esc':
        this.becomeTentative();
        return;
      case 'csi': {
        const cur = this.s.cursors;
        if (a.final === 0x43) {
          this.initCursor(fb);
          const c = cur[cur.length - 1];
          if (c.col < fb.cols - 1) {
            c.col++;
            this.expireCursor(c);
          }
        } else if (a.final === 0x44) {
          this.initCursor(fb);
          const c = cur[cur.length - 1];
          if (c.col > 0) {
            c.col--;
            this.expireCursor(c);
          }
        } else {
          this.becomeTentative();
        }
        return;
      }
    }
  }

  private expireCursor(c: CursorPrediction): void {
    c.expirationFrame = this.s.localFrameSent + 1n;
  }

  /** Activate, stamp with the current epoch and expire a cell prediction. */
  private stamp(c: CellPrediction, now: number): void {
    c.active = true;
    c.epoch = this.s.predictionEpoch;
    c.expirationFrame = this.s.localFrameSent + 1n;
    c.predictionTime = now;
  }

  private initCursor(fb: Snapshot): void {
    const s = this.s;
    const last = s.cursors[s.cursors.length - 1];
    if (last === undefined) {
      s.cursors.push({ row: fb.cursor.y, col: fb.cursor.x, expirationFrame: s.localFrameSent + 1n, epoch: s.predictionEpoch });
    } else if (last.epoch !== s.predictionEpoch) {
      s.cursors.push({ row: last.row, col: last.col, expirationFrame: s.localFrameSent + 1n, epoch: s.predictionEpoch });
    }
  }

  private rowPrediction(row: number, width: number): RowPrediction {
    let r = this.s.overlays.find((o) => o.row === row);
    if (r === undefined) {
      r = { row, cells: [] };
      this.s.overlays.push(r);
    }
    while (r.cells.length < width) r.cells.push(inactiveCell());
    return r;
  }

  private print(ch: number, fb: Snapshot, now: number): void {
    const s = this.s;
    this.initCursor(fb);
    const cursor = s.cursors[s.cursors.length - 1];
    const width = fb.cols;
    if (cursor.row < 0 || cursor.row >= fb.rows) return;
    const r = this.rowPrediction(cursor.row, width);
    const cells = r.cells;

    if (ch === 0x7f) {
      // backspace
      if (cursor.col <= 0) return;
      s.stats.predicted++;
      cursor.col--;
      this.expireCursor(cursor);
      if (s.predictOverwrite) {
        const c = cells[cursor.col];
        resetCellWithOrig(c);
        this.stamp(c, now);
        addOriginal(c, cellAt(fb, cursor.row, cursor.col).text);
        c.unknown = false;
        c.replacement = { text: ' ', style: cellAt(fb, fb.cursor.y, fb.cursor.x).style, width: 1 };
      } else {
        for (let i = cursor.col; i < width; i++) {
          const c = cells[i];
          resetCellWithOrig(c);
          this.stamp(c, now);
          addOriginal(c, cellAt(fb, cursor.row, i).text);
          if (i + 2 < width) {
            const next = cells[i + 1];
            if (next.active) {
              c.unknown = next.unknown;
              c.replacement = next.replacement;
            } else {
              c.unknown = false;
              c.replacement = cellAt(fb, cursor.row, i + 1);
            }
          } else {
            c.unknown = true;
          }
        }
      }
      return;
    }

    if (ch < 0x20 || glibcWidth(ch) !== 1) {
      this.becomeTentative();
      return;
    }

    s.stats.predicted++;
    const col = Math.min(cursor.col, width - 1);
    if (col + 1 >= width) this.becomeTentative(); // the last column is ambiguous (pending wrap)

    if (!s.predictOverwrite) {
      for (let i = width - 1; i > col; i--) {
        const c = cells[i];
        resetCellWithOrig(c);
        this.stamp(c, now);
        addOriginal(c, cellAt(fb, cursor.row, i).text);
        if (i === width - 1) {
          c.unknown = true;
        } else {
          const prev = cells[i - 1];
          if (prev.active) {
            c.unknown = prev.unknown;
            c.replacement = prev.replacement;
          } else {
            c.unknown = false;
            c.replacement = cellAt(fb, cursor.row, i - 1);
          }
        }
      }
    }

    const c = cells[col];
    resetCellWithOrig(c);
    this.stamp(c, now);
    let style: string;
    if (col === 0) style = fb.pen;
    else {
      const left = cells[col - 1];
      style = left.active && !left.unknown ? left.replacement.style : cellAt(fb, cursor.row, col - 1).style;
    }
    c.unknown = false;
    c.replacement = { text: String.fromCodePoint(ch), style, width: 1 };
    addOriginal(c, cellAt(fb, cursor.row, col).text);

    this.expireCursor(cursor);
    if (col < width - 1) {
      cursor.col = col + 1;
    } else {
      this.becomeTentative();
      this.newlineCarriageReturn(fb, now);
    }
  }

  private newlineCarriageReturn(fb: Snapshot, now: number): void {
    const s = this.s;
    this.initCursor(fb);
    const cursor = s.cursors[s.cursors.length - 1];
    cursor.col = 0;
    if (cursor.row >= fb.rows - 1) {
      // The screen would scroll; predict a blank last row instead of scrolling.
      const r = this.rowPrediction(cursor.row, fb.cols);
      for (const c of r.cells) {
        this.stamp(c, now);
        c.unknown = false;
        c.replacement = { text: '', style: c.replacement.style, width: 1 };
      }
    } else {
      cursor.row++;
    }
  }
}
