// The prediction engine's data (mosh-protocol.md section 9): its constants, the predictions (cells, rows,
// cursors), the whole engine state as plain data (so a session can be saved and restored), and the small helpers
// on a predicted cell. No behaviour beyond that: the engine is prediction.ts, the display policy policy.ts, our
// two extensions rebase.ts and prompts.ts.
import { BLANK_CELL, type Cell, contentsMatch } from './overlay';
import { initialParserState, type InputParserState } from './inputparser';

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

export type Validity = 'pending' | 'correct' | 'correctNoCredit' | 'incorrectOrExpired' | 'inactive';

export function defaultState(opts: PredictionEngineOptions): PredictionEngineState {
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

export function inactiveCell(): CellPrediction {
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

export function resetCell(c: CellPrediction): void {
  c.active = false;
  c.unknown = false;
  c.original = [];
}

/** reset_with_orig: keep what this cell was predicted to show among its originals. */
export function resetCellWithOrig(c: CellPrediction): void {
  if (!c.active || c.unknown) {
    resetCell(c);
    return;
  }
  addOriginal(c, c.replacement.text);
  c.active = false;
  c.unknown = false;
}

export function addOriginal(c: CellPrediction, text: string): void {
  // Only contents are ever compared, so equal contents need to be kept once.
  for (const t of c.original) if (contentsMatch(t, text)) return;
  c.original.push(text);
}
