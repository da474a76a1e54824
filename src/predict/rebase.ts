// Our first extension to mosh's prediction engine: rebase. When predictions are thrown away (a killed epoch or a
// reset), the keystrokes still in flight (sent, not yet reflected in the server's frame) are predicted again from
// the server's cursor. mosh restarts from the server's cursor without them, so while the user keeps typing every
// new epoch is misplaced by the keys in flight and killed again (in vim, after each mode change, nothing shows
// until the user pauses for a round trip). This module keeps the record of typed bytes; the engine replays them.
import type { PredictionEngineState, TypedByte } from './state';

/** At most this many typed bytes are kept for rebasing; older ones set the barrier. */
export const HISTORY_LIMIT = 1024;

/** A typed byte, carried by user state `frame`: recorded for a possible rebase. */
export function recordTyped(s: PredictionEngineState, byte: number, frame: bigint, now: number): void {
  s.lastInputFrame = frame;
  s.history.push({ byte: byte & 0xff, frame, time: now });
  if (s.history.length > HISTORY_LIMIT) {
    const dropped = s.history.splice(0, s.history.length - HISTORY_LIMIT);
    const last = dropped[dropped.length - 1].frame;
    if (last > s.historyBarrier) s.historyBarrier = last;
  }
}

/** Input that is not recorded (a paste, keys typed for another window size): no rebase while it is in flight. */
export function forgetTyped(s: PredictionEngineState, upToFrame: bigint): void {
  s.history = [];
  if (upToFrame > s.historyBarrier) s.historyBarrier = upToFrame;
}

/** The typed bytes the frame does not reflect yet (frames after `reflected`), or [] when a rebase must not run. */
export function inFlight(s: PredictionEngineState, reflected: bigint): TypedByte[] {
  if (s.historyBarrier > reflected) return []; // unrecorded input (a paste) is in flight
  return s.history.filter((h) => h.frame > reflected);
}

/** Drops the record of bytes the frame reflects. */
export function dropReflected(s: PredictionEngineState, reflected: bigint): void {
  let drop = 0;
  while (drop < s.history.length && s.history[drop].frame <= reflected) drop++;
  if (drop > 0) s.history.splice(0, drop);
}
