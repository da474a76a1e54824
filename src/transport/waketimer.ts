// The single timer of an event loop, as mosh's select(): after every wake-up the owner's `run` does its work
// and returns how long until it next needs to run; one timer is armed for that. Not a scheduler of many tasks.

export class WakeTimer {
  private timer: NodeJS.Timeout | null = null;
  private disposed = false;
  private running = false;
  private again = false;
  private soon = false;

  /** `run` returns milliseconds until the next wake-up (Infinity = none). */
  constructor(private readonly run: () => number) {}

  /** Runs now (re-entrant calls are folded into one more run), then re-arms the timer. */
  kick(): void {
    if (this.disposed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let wait: number;
    try {
      do {
        this.again = false;
        wait = this.run();
      } while (this.again && !this.disposed);
    } finally {
      this.running = false;
    }
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (Number.isFinite(wait)) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.kick();
        },
        Math.max(0, Math.ceil(wait)),
      );
    }
  }

  /**
   * Runs once the event loop has taken in every event ready now (setImmediate): the datagrams of one frame
   * that arrive together (its fragments, an ack) cost one run, not one each.
   */
  kickSoon(): void {
    if (this.soon || this.disposed) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      this.kick();
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
