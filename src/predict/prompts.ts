// Our second extension to mosh's prediction engine (mosh-protocol.md 9 has nothing like it): learned prompts.
// Typing that starts when all earlier input has been echoed, right after a line whose typing was echoed was ended
// with Enter, at a prompt identical to one where typing was echoed before (the same text left of the cursor,
// nothing right of it), is shown at once instead of waiting a round trip for its first echo.
// The safety rule, for review on its own: a prompt with a password-like word is never learned or trusted, and
// any visible misprediction, escape, other control key or paste forgets every learned prompt (distrust).
import type { Snapshot } from '../emulator';
import { isBlankText } from './overlay';
import type { PredictionEngineState } from './state';

/** At most this many known prompts are remembered. */
export const PROMPT_MEMORY = 8;
/** Prompts after which typed text is likely not echoed: never trusted. */
export const SECRET_PROMPT = /pass(word|phrase|code)?|\bpin\b|secret|token|otp|one-time|verification|security code/i;

/** Forget the known prompts and the Enter: something shown was wrong, or the user left line typing. */
export function distrust(s: PredictionEngineState): void {
  s.echoPrompts = [];
  s.enterEpoch = null;
}

/** Typing at `prompt` was echoed: remember it (newest last, at most PROMPT_MEMORY). */
export function learnPrompt(s: PredictionEngineState, prompt: string): void {
  const p = s.echoPrompts.filter((x) => x !== prompt);
  p.push(prompt);
  if (p.length > PROMPT_MEMORY) p.shift();
  s.echoPrompts = p;
}

/** The text left of the real cursor if the rest of its row is blank (what a prompt looks like), else null. */
export function promptAt(fb: Snapshot): string | null {
  const { x, y } = fb.cursor;
  if (y < 0 || y >= fb.rows) return null;
  const row = fb.lines[y];
  for (let i = x; i < fb.cols; i++) if (!isBlankText(row.textAt(i))) return null;
  let p = '';
  for (let i = 0; i < x; i++) p += row.textAt(i) || ' ';
  return p;
}

/**
 * First printable byte of a hidden epoch, typed with nothing unechoed before it: remember the prompt (learned when
 * the epoch is confirmed), and show the epoch at once (returns true) if the prompt is known and an Enter that ended
 * echoed typing led here (its epoch confirmed, now or since). The caller has checked: not replaying, quiescent,
 * not experimental, the epoch is tentative, the predicted cursor is the server's.
 */
export function startOfTyping(s: PredictionEngineState, fb: Snapshot): boolean {
  const prompt = promptAt(fb);
  if (prompt === null || SECRET_PROMPT.test(prompt)) return false;
  s.candidatePrompt = { epoch: s.predictionEpoch, prompt };
  if (s.enterEpoch !== null && s.enterEpoch <= s.confirmedEpoch && s.echoPrompts.includes(prompt)) {
    s.confirmedEpoch = s.predictionEpoch;
    s.stats.trusted++;
    return true;
  }
  return false;
}
