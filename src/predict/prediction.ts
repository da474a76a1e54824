// The prediction engine (mosh-protocol.md section 9): guesses what the typed bytes will do to the screen
// (printable characters, backspace, left/right arrows, CR), checks those guesses against each new server
// framebuffer and against echo-acks, and draws the believable ones as an overlay on a copy of the framebuffer
// (underlined when the link is slow or glitchy). Predictions live in epochs and stay hidden until one
// prediction of their epoch is confirmed; a wrong displayed prediction throws everything away.
// Two additions to mosh's engine (both keep its epochs and its password-prompt safety):
//  - Rebase: when predictions are thrown away, the keystrokes still in flight (sent, not yet reflected in the
//    server's frame) are predicted again from the server's cursor. mosh restarts from the server's cursor
//    without them, so while the user keeps typing every new epoch is misplaced by the keys in flight and
//    killed again (in vim, after each mode change, nothing shows until the user pauses for a round trip).
//  - Known prompt: typing that starts when all earlier input has been echoed, right after a line whose typing
//    was echoed was ended with Enter, at a prompt identical to one where typing was echoed before (the same
//    text left of the cursor, nothing right of it, no password-like word), is shown at once instead of
//    waiting a round trip for its first echo.
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
  /** Times keystrokes in flight were predicted again after predictions were thrown away. */
  rebases: number;
  /** Epochs shown at once because typing started at a known prompt. */
  trusted: number;
}

/** A typed byte that may not be reflected in the server's frame yet (kept for rebasing). */
export interface TypedByte {
  byte: number;
  /** The user state that carries it (local_frame_sent + 1 when typed). */
  frame: bigint;
  time: number;
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
  /** Typed bytes newer than what the server frame is known to reflect, oldest first. */
  history: TypedByte[];
  /** Bytes up to this frame were not recorded (pastes, overflow): no rebase while any of them is in flight. */
  historyBarrier: bigint;
  /** The user state that carried the newest typed byte. */
  lastInputFrame: bigint;
  /** Prompts (text left of the cursor) where typing was echoed, newest last. */
  echoPrompts: string[];
  /** The prompt typing started at in an epoch not yet confirmed. */
  candidatePrompt: { epoch: number; prompt: string } | null;
  /**
   * The epoch an Enter ended, while nothing but hidden predictions going wrong happened since (an escape,
   * another control key, a visible misprediction or a paste clears it).
   */
  enterEpoch: number | null;
}

export interface PredictionEngineOptions {
  display: DisplayPreference;
  /** Typed characters overwrite instead of inserting (MOSH_PREDICTION_OVERWRITE=yes). */
  predictOverwrite?: boolean;
  /** Initial frame interval (ms); the transport's own starts at 250 before any RTT sample. */
  sendInterval?: number;
}

type Validity = 'pending' | 'correct' | 'correctNoCredit' | 'incorrectOrExpired' | 'inactive';

/** At most this many typed bytes are kept for rebasing; older ones set the barrier. */
const HISTORY_LIMIT = 1024;
/** At most this many known prompts are remembered. */
const PROMPT_MEMORY = 8;
/** Prompts after which typed text is likely not echoed: never trusted. */
const SECRET_PROMPT = /pass(word|phrase|code)?|\bpin\b|secret|token|otp|one-time|verification|security code/i;

function defaultState(opts: PredictionEngineOptions): PredictionEngineState {
  return {
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
    stats: { predicted: 0, confirmed: 0, mispredicted: 0, glitches: 0, rebases: 0, trusted: 0 },
    history: [],
    historyBarrier: 0n,
    lastInputFrame: 0n,
    echoPrompts: [],
    candidatePrompt: null,
    enterEpoch: null,
  };
}

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

  /** Replaying in-flight bytes (rebase): no keystroke statistics, no prompt learning. */
  private replaying = false;
  /** The byte being handled started while nothing typed earlier was still unechoed. */
  private quiescent = false;

  constructor(opts: PredictionEngineOptions, saved?: PredictionEngineState) {
    // A state saved by an older version lacks the newer fields: they take their defaults.
    const d = defaultState(opts);
    this.s = saved ? { ...d, ...structuredClone(saved), stats: { ...d.stats, ...structuredClone(saved.stats) } } : d;
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
      // Keys typed for the old size are not replayed at the new one.
      s.history = [];
      if (s.lastInputFrame > s.historyBarrier) s.historyBarrier = s.lastInputFrame;
    }
    const epoch = s.predictionEpoch;
    this.cullPredictions(fb, now);
    // The frame reflects input up to the echo-ack for sure, and up to the receipt ack very likely.
    const reflected = s.localFrameAcked > s.localFrameLateAcked ? s.localFrameAcked : s.localFrameLateAcked;
    if (s.predictionEpoch !== epoch && s.display !== 'experimental' && !this.replaying) this.rebase(fb, reflected);
    let drop = 0;
    while (drop < s.history.length && s.history[drop].frame <= reflected) drop++;
    if (drop > 0) s.history.splice(0, drop);
  }

  /**
   * Predicts again, from the server's cursor, the typed bytes the frame does not reflect yet, after predictions
   * were thrown away (killed epoch or reset). They start a new, hidden epoch like any other.
   */
  private rebase(fb: Snapshot, reflected: bigint): void {
    const s = this.s;
    if (s.historyBarrier > reflected) return; // unrecorded input (a paste) is in flight
    const pending = s.history.filter((h) => h.frame > reflected);
    if (pending.length === 0) return;
    const sent = s.localFrameSent;
    const parser = s.parser;
    const lastEsc = s.lastByteWasEsc;
    s.parser = initialParserState();
    s.lastByteWasEsc = false;
    this.replaying = true;
    try {
      for (const h of pending) {
        s.localFrameSent = h.frame - 1n;
        this.handleByte(h.byte, fb, h.time);
      }
    } finally {
      this.replaying = false;
      s.localFrameSent = sent;
      s.parser = parser;
      s.lastByteWasEsc = lastEsc;
    }
    s.stats.rebases++;
  }

  private cullPredictions(fb: Snapshot, now: number): void {
    const s = this.s;

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
              this.distrust(); // something shown was wrong
              this.reset();
              return;
            }
            break;
          case 'correct': {
            s.stats.confirmed++;
            if (c.epoch > s.confirmedEpoch) s.confirmedEpoch = c.epoch;
            if (s.candidatePrompt !== null && s.candidatePrompt.epoch === c.epoch) {
              this.learnPrompt(s.candidatePrompt.prompt);
              s.candidatePrompt = null;
            }
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
      if (!this.tentative(s.cursors[s.cursors.length - 1].epoch)) {
        s.stats.glitches++;
        this.distrust();
      }
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
      if (this.s.display !== 'never') this.pasted();
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
      this.pasted();
      return;
    }
    if (s.display === 'experimental') s.predictionEpoch = s.confirmedEpoch;
    this.cull(fb, now);
    const frame = s.localFrameSent + 1n;
    this.quiescent = s.localFrameLateAcked >= s.lastInputFrame && !this.active;
    s.lastInputFrame = frame;
    s.history.push({ byte: byte & 0xff, frame, time: now });
    if (s.history.length > HISTORY_LIMIT) {
      const dropped = s.history.splice(0, s.history.length - HISTORY_LIMIT);
      const last = dropped[dropped.length - 1].frame;
      if (last > s.historyBarrier) s.historyBarrier = last;
    }
    try {
      this.handleByte(byte, fb, now);
    } finally {
      this.quiescent = false;
    }
  }

  /** Input that is not predicted (a paste): everything resets, and it is never replayed. */
  private pasted(): void {
    const s = this.s;
    this.reset();
    s.enterEpoch = null;
    s.lastInputFrame = s.localFrameSent + 1n;
    s.historyBarrier = s.lastInputFrame;
    s.history = [];
  }

  private handleByte(byte: number, fb: Snapshot, now: number): void {
    const s = this.s;
    let b = byte & 0xff;
    if (s.lastByteWasEsc && b === 0x4f) b = 0x5b; // ESC O x (SS3 arrows) is handled as ESC [ x
    s.lastByteWasEsc = b === 0x1b;
    for (const action of parseByte(s.parser, b)) this.handle(action, fb, now);
  }

  /** Forget the known prompts and the Enter: something shown was wrong, or the user left line typing. */
  private distrust(): void {
    this.s.echoPrompts = [];
    this.s.enterEpoch = null;
  }

  private learnPrompt(prompt: string): void {
    const p = this.s.echoPrompts.filter((x) => x !== prompt);
    p.push(prompt);
    if (p.length > PROMPT_MEMORY) p.shift();
    this.s.echoPrompts = p;
  }

  /** The text left of the real cursor if the rest of its row is blank (what a prompt looks like), else null. */
  private promptAt(fb: Snapshot): string | null {
    const { x, y } = fb.cursor;
    if (y < 0 || y >= fb.rows) return null;
    const text = fb.lines[y].text;
    for (let i = x; i < fb.cols; i++) if (!isBlankText(text[i])) return null;
    let p = '';
    for (let i = 0; i < x; i++) p += text[i] === '' ? ' ' : text[i];
    return p;
  }

  /**
   * First printable byte of a hidden epoch, typed with nothing unechoed before it: remember the prompt (learned
   * when the epoch is confirmed), and show the epoch at once if the prompt is known and an Enter that ended
   * echoed typing led here (its epoch confirmed, now or since).
   */
  private startOfTyping(fb: Snapshot): void {
    const s = this.s;
    if (this.replaying || !this.quiescent || s.display === 'experimental' || !this.tentative(s.predictionEpoch)) return;
    const cur = s.cursors[s.cursors.length - 1];
    if (cur !== undefined && (cur.row !== fb.cursor.y || cur.col !== fb.cursor.x)) return;
    const prompt = this.promptAt(fb);
    if (prompt === null || SECRET_PROMPT.test(prompt)) return;
    s.candidatePrompt = { epoch: s.predictionEpoch, prompt };
    if (s.enterEpoch !== null && s.enterEpoch <= s.confirmedEpoch && s.echoPrompts.includes(prompt)) {
      s.confirmedEpoch = s.predictionEpoch;
      s.stats.trusted++;
    }
  }

  private handle(a: InputAction, fb: Snapshot, now: number): void {
    switch (a.type) {
      case 'print':
        this.print(a.ch, fb, now);
        return;
      case 'execute':
        if (a.ch === 0x0d) {
          if (!this.replaying) this.s.enterEpoch = this.s.predictionEpoch;
          this.becomeTentative();
          this.newlineCarriageReturn(fb, now);
        } else {
          if (!this.replaying) this.s.enterEpoch = null;
          this.becomeTentative();
        }
        return;
      case 'esc':
        if (!this.replaying) this.s.enterEpoch = null;
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
          if (!this.replaying) this.s.enterEpoch = null;
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
      if (!this.replaying) s.stats.predicted++;
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

    if (!this.replaying) s.stats.predicted++;
    this.startOfTyping(fb);
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
