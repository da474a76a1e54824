// The complete terminal state synchronized server -> client (mosh-protocol.md sections 7.2 and 7.3): a
// framebuffer snapshot plus the echo-ack number (the newest client input state the application has had 50 ms
// to echo). Its diff is [echoack][resize][hostbytes = display differ from the old framebuffer]; applying it runs
// the host bytes through a Framebuffer (client side). Not the echo-ack timing policy (EchoAckTracker below) nor any network code.

import { blankSnapshot, Framebuffer, newFrameBytes, screenSizeProblem, type Snapshot, snapshotsEqual } from '../emulator';
import type { SyncState } from '../transport/state';
import { decodeHostMessage, encodeHostMessage, type HostInstruction } from './hostmessage';

/** A diff that would resize the screen beyond the limits (emulator/limits.ts): refused before any allocation. */
export class ScreenSizeError extends RangeError {
  override name = 'ScreenSizeError';
}

export class TerminalState implements SyncState<TerminalState> {
  /** @param snapshot the framebuffer (immutable; shared freely between states) */
  constructor(
    public snapshot: Snapshot,
    public echoAck = 0n,
  ) {}

  /** State 0 as a client sees it: a blank screen of the client's own size. */
  static initial(cols: number, rows: number): TerminalState {
    return new TerminalState(blankSnapshot(cols, rows), 0n);
  }

  diffFrom(older: TerminalState): Uint8Array {
    const out: HostInstruction[] = [];
    if (this.echoAck !== older.echoAck) out.push({ type: 'echoack', num: this.echoAck });
    if (this.snapshot !== older.snapshot && !snapshotsEqual(this.snapshot, older.snapshot)) {
      if (this.snapshot.cols !== older.snapshot.cols || this.snapshot.rows !== older.snapshot.rows) {
        out.push({ type: 'resize', width: this.snapshot.cols, height: this.snapshot.rows });
      }
      const bytes = newFrameBytes(true, older.snapshot, this.snapshot, { vocabulary: 'mosh' });
      if (bytes.length > 0) out.push({ type: 'hostbytes', bytes });
    }
    return out.length ? encodeHostMessage(out) : new Uint8Array(0);
  }

  initDiff(): Uint8Array {
    return this.diffFrom(TerminalState.initial(this.snapshot.cols, this.snapshot.rows));
  }

  /**
   * Applies a host diff (client side): the host bytes run through a Framebuffer that starts from this state's
   * snapshot and shares every row they do not touch, so a diff based on an older state costs no more than one
   * based on the newest.
   */
  apply(diff: Uint8Array): void {
    const list = decodeHostMessage(diff); // throws before anything changes
    let fb: Framebuffer | null = null;
    for (const i of list) {
      if (i.type === 'echoack') {
        if (i.num > this.echoAck) this.echoAck = i.num;
        continue;
      }
      if (i.type === 'resize') {
        const problem = screenSizeProblem(i.width, i.height);
        if (problem) throw new ScreenSizeError(`server screen ${problem}`);
      }
      fb ??= Framebuffer.from(this.snapshot);
      if (i.type === 'resize') fb.resize(Math.max(2, i.width), i.height);
      else fb.write(i.bytes);
    }
    if (fb) this.snapshot = fb.snapshot();
  }

  equals(other: TerminalState): boolean {
    return this.echoAck === other.echoAck && (this.snapshot === other.snapshot || snapshotsEqual(this.snapshot, other.snapshot));
  }

  clone(): TerminalState {
    return new TerminalState(this.snapshot, this.echoAck);
  }
}

export const ECHO_TIMEOUT = 50;

/**
 * Server-side echo-ack policy (mosh-protocol.md 7.3): remembers when each client input state was applied and
 * reports the newest one applied at least 50 ms ago.
 */
export class EchoAckTracker {
  private history: { num: bigint; at: number }[] = [];
  private value = 0n;

  /** A client state carrying input (num) was applied to the application at `now`. */
  registerInput(num: bigint, now: number): void {
    this.history.push({ num, at: now });
  }

  /** The echo-ack to publish at `now`; it never decreases. */
  update(now: number): bigint {
    let newest = -1;
    for (let i = 0; i < this.history.length; i++) if (this.history[i].at <= now - ECHO_TIMEOUT) newest = i;
    if (newest >= 0) {
      const n = this.history[newest].num;
      this.history.splice(0, newest);
      if (n > this.value) this.value = n;
    }
    return this.value;
  }

  /** Milliseconds until update() may change its answer, or Infinity. Call update(now) first. */
  waitTime(now: number): number {
    if (this.history.length === 0) return Infinity;
    const pending = this.history.find((h) => h.at > now - ECHO_TIMEOUT);
    if (!pending) return Infinity;
    return Math.max(0, pending.at + ECHO_TIMEOUT - now);
  }
}
