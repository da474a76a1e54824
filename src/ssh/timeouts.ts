// Deadlines and cancellation for the steps of the ssh bootstrap: the default time each step may take, the
// keepalive settings used while it runs, a countdown that can pause while the user answers a question, and
// the error of a cancelled bootstrap. The steps themselves use these (connect.ts, exec.ts, deploy.ts,
// bootstrap.ts); nothing here touches the network.

import { BootstrapError } from './errors';

/** Per-step limits; every one has a default, tests set short ones. */
export interface StepTimeouts {
  /** TCP connect plus the ssh handshake, not counting time spent answering questions (default: ConnectTimeout, else 15 s). */
  connectMs?: number;
  /** From asking for the remote command until the login shell has run its startup files and starts our script. */
  loginMs?: number;
  /** From our script starting until the server prints MOSH CONNECT (probe, hash check, server start). */
  startMs?: number;
  /** Uploading the server: the longest time without any progress. */
  uploadStallMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<StepTimeouts> = {
  connectMs: 15_000,
  loginMs: 30_000,
  startMs: 30_000,
  uploadStallMs: 60_000,
};

/** ssh keepalives while the bootstrap runs, unless ssh_config sets ServerAliveInterval / ServerAliveCountMax. */
export const DEFAULT_KEEPALIVE = { intervalS: 15, countMax: 3 };

/** "30 s", "1.5 s", "250 ms": how a duration is said in messages. */
export function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** The error of a bootstrap that was cancelled. */
export function cancelledError(host: string): BootstrapError {
  return new BootstrapError('cancelled', `Connecting to ${host} was cancelled.`);
}

/** Runs `f` once when the signal aborts (at once if it already has); returns the function that stops listening. */
export function onAbort(signal: AbortSignal | undefined, f: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    f();
    return () => undefined;
  }
  signal.addEventListener('abort', f, { once: true });
  return () => signal.removeEventListener('abort', f);
}

/** Rejects with `error()` when the signal aborts first; `cleanup` runs on abort (to close what the promise waits on). */
export function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal | undefined,
  error: () => Error,
  cleanup?: () => void,
): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => {
      cleanup?.();
      reject(error());
    });
    p.then(
      (v) => {
        stop();
        resolve(v);
      },
      (e) => {
        stop();
        reject(e);
      },
    );
  });
}

/** A countdown that stops while the user is being asked something, and can be restarted on progress. */
export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private left: number;
  private since = 0;
  private paused = 0;
  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
  ) {
    this.left = ms;
    this.start();
  }
  private start(): void {
    this.since = Date.now();
    this.timer = setTimeout(this.fire, Math.max(0, this.left));
  }
  pause(): void {
    if (this.paused++ === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.left -= Date.now() - this.since;
    }
  }
  resume(): void {
    if (--this.paused === 0) this.start();
  }
  /** Something moved: the full time is available again. */
  kick(): void {
    if (this.paused) return;
    if (this.timer) clearTimeout(this.timer);
    this.left = this.ms;
    this.start();
  }
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.paused = 1e9;
  }
}
