// The display policy of predictive echo (mosh-protocol.md 9.1-9.2): when predictions show at all (adaptive: on a
// slow link or after a glitch; always; never; experimental), when they are underlined, how a glitch raises the
// trigger and quick confirmations lower it, and when the engine must look again. Functions over the engine's
// state; no cells, no epochs.
import {
  FLAG_TRIGGER_HIGH,
  FLAG_TRIGGER_LOW,
  GLITCH_FLAG_THRESHOLD,
  GLITCH_REPAIR_COUNT,
  GLITCH_REPAIR_MININTERVAL,
  GLITCH_THRESHOLD,
  PREDICTION_WAKEUP,
  type PredictionEngineState,
  SRTT_TRIGGER_HIGH,
  SRTT_TRIGGER_LOW,
} from './state';

/** The SRTT and flagging triggers from the frame interval (run at the start of each cull). */
export function updateTriggers(s: PredictionEngineState, active: boolean): void {
  if (s.sendInterval > SRTT_TRIGGER_HIGH) s.srttTrigger = true;
  else if (s.srttTrigger && s.sendInterval <= SRTT_TRIGGER_LOW && !active) s.srttTrigger = false;

  if (s.sendInterval > FLAG_TRIGGER_HIGH) s.flagging = true;
  else if (s.sendInterval <= FLAG_TRIGGER_LOW) s.flagging = false;
  if (s.glitchTrigger > GLITCH_REPAIR_COUNT) s.flagging = true;
}

/** A prediction made at `predictionTime` was confirmed at `now`: a quick one counts the glitch trigger down. */
export function quickConfirmation(s: PredictionEngineState, predictionTime: number, now: number): void {
  if (
    now - predictionTime < GLITCH_THRESHOLD &&
    s.glitchTrigger > 0 &&
    (s.lastQuickConfirmation === null || now - GLITCH_REPAIR_MININTERVAL >= s.lastQuickConfirmation)
  ) {
    s.glitchTrigger--;
    s.lastQuickConfirmation = now;
  }
}

/** A prediction made at `predictionTime` is still pending at `now`: a slow one raises the glitch trigger. */
export function stillPending(s: PredictionEngineState, predictionTime: number, now: number): void {
  if (now - predictionTime >= GLITCH_FLAG_THRESHOLD) s.glitchTrigger = 2 * GLITCH_REPAIR_COUNT;
  else if (now - predictionTime >= GLITCH_THRESHOLD && s.glitchTrigger < GLITCH_REPAIR_COUNT)
    s.glitchTrigger = GLITCH_REPAIR_COUNT;
}

/** Whether predictions are drawn at all now. */
export function showing(s: PredictionEngineState): boolean {
  if (s.display === 'never') return false;
  return s.srttTrigger || s.glitchTrigger > 0 || s.display === 'always' || s.display === 'experimental';
}

/** Milliseconds until the engine must look again (PREDICTION_WAKEUP while predictions are pending), or Infinity. */
export function nextLook(s: PredictionEngineState, active: boolean): number {
  if (s.display === 'never') return Infinity;
  const timingTestsNecessary = !(s.glitchTrigger > 0 && s.flagging);
  return timingTestsNecessary && active ? PREDICTION_WAKEUP : Infinity;
}
