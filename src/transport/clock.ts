// Monotonic millisecond clock, injectable so tests can drive the transport deterministically.
// Not a timer service: the event loop (client/server) arms its own single timer from `waitTime()`.

export interface Clock {
  /** Monotonic milliseconds (integer). Frozen per event-loop iteration by the caller if it wants that. */
  now(): number;
}

export const systemClock: Clock = {
  now: () => Math.floor(performance.now()),
};
