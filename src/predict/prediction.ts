// The prediction engine (mosh-protocol.md section 9): guesses what the typed bytes will do to the screen
// (printable characters, backspace, left/right arrows, CR), checks those guesses against each new server
// framebuffer and against echo-acks, and draws the believable ones as an overlay on a copy of the framebuffer.
// Predictions live in epochs and stay hidden until one prediction of their epoch is confirmed; a wrong displayed
// prediction throws everything away. When they show and when they are underlined is the display policy
// (policy.ts); our two additions to mosh's engine are rebase.ts (keys in flight predicted again after a reset)
// and prompts.ts (typing at a known prompt shown at once). Its data is state.ts.
// It never edits the authoritative framebuffer, sends nothing and reads no clock: the caller passes `now`.
import { glibcWidth, type Snapshot } from '../emulator';
import { initialParserState, type InputAction, parseByte } from './inputparser';
import { cellAt, cellsEqual, contentsMatch, isBlankText, SnapshotOverlay, withUnderline } from './overlay';
import { nextLook, quickConfirmation, showing, stillPending, updateTriggers } from './policy';
import { distrust, learnPrompt, startOfTyping } from './prompts';
import { dropReflected, forgetTyped, inFlight, recordTyped } from './rebase';
import {
  addOriginal,
  type CellPrediction,
  type CursorPrediction,
  defaultState,
  type DisplayPreference,
  inactiveCell,
  PASTE_THRESHOLD,
  type PredictionEngineOptions,
  type PredictionEngineState,
  type PredictionStats,
  resetCell,
  resetCellWithOrig,
  type RowPrediction,
  type Validity,
} from './state';

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
    const actual = fb.lines[row].textAt(col);
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
      forgetTyped(s, s.lastInputFrame);
    }
    const epoch = s.predictionEpoch;
    this.cullPredictions(fb, now);
    // The frame reflects input up to the echo-ack for sure, and up to the receipt ack very likely.
    const reflected = s.localFrameAcked > s.localFrameLateAcked ? s.localFrameAcked : s.localFrameLateAcked;
    if (s.predictionEpoch !== epoch && s.display !== 'experimental' && !this.replaying) this.rebase(fb, reflected);
    dropReflected(s, reflected);
  }

  /**
   * Predicts again, from the server's cursor, the typed bytes the frame does not reflect yet, after predictions
   * were thrown away (killed epoch or reset). They start a new, hidden epoch like any other.
   */
  private rebase(fb: Snapshot, reflected: bigint): void {
    const s = this.s;
    const pending = inFlight(s, reflected);
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

    updateTriggers(s, this.active);

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
              distrust(this.s); // something shown was wrong
              this.reset();
              return;
            }
            break;
          case 'correct': {
            s.stats.confirmed++;
            if (c.epoch > s.confirmedEpoch) s.confirmedEpoch = c.epoch;
            if (s.candidatePrompt !== null && s.candidatePrompt.epoch === c.epoch) {
              learnPrompt(s, s.candidatePrompt.prompt);
              s.candidatePrompt = null;
            }
            quickConfirmation(s, c.predictionTime, now);
            // The server's renditions are better than guessed ones: use them for the rest of the row.
            const style = fb.lines[r.row].styleAt(col);
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
            stillPending(s, c.predictionTime, now);
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
        distrust(this.s);
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
    return showing(this.s);
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
          out.setCell(
            r.row,
            col,
            flag ? { ...c.replacement, style: withUnderline(c.replacement.style) } : c.replacement,
          );
        }
      }
    }
    return out.build();
  }

  /** Milliseconds until cull must run again (PREDICTION_WAKEUP while predictions are pending), or Infinity. */
  waitTime(_now?: number): number {
    return nextLook(this.s, this.active);
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
    recordTyped(s, byte, frame, now);
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
    forgetTyped(s, s.lastInputFrame);
  }

  private handleByte(byte: number, fb: Snapshot, now: number): void {
    const s = this.s;
    let b = byte & 0xff;
    if (s.lastByteWasEsc && b === 0x4f) b = 0x5b; // ESC O x (SS3 arrows) is handled as ESC [ x
    s.lastByteWasEsc = b === 0x1b;
    for (const action of parseByte(s.parser, b)) this.handle(action, fb, now);
  }

  /**
   * First printable byte of a hidden epoch, typed with nothing unechoed before it: the learned-prompt extension
   * (prompts.ts) may show the epoch at once.
   */
  private startOfTyping(fb: Snapshot): void {
    const s = this.s;
    if (this.replaying || !this.quiescent || s.display === 'experimental' || !this.tentative(s.predictionEpoch)) return;
    const cur = s.cursors[s.cursors.length - 1];
    if (cur !== undefined && (cur.row !== fb.cursor.y || cur.col !== fb.cursor.x)) return;
    startOfTyping(s, fb);
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
      s.cursors.push({
        row: fb.cursor.y,
        col: fb.cursor.x,
        expirationFrame: s.localFrameSent + 1n,
        epoch: s.predictionEpoch,
      });
    } else if (last.epoch !== s.predictionEpoch) {
      s.cursors.push({
        row: last.row,
        col: last.col,
        expirationFrame: s.localFrameSent + 1n,
        epoch: s.predictionEpoch,
      });
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
