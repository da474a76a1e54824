// The path from the application's output to the SSP sender's current state, on the server. Pty reads are
// gathered into one fixed buffer and emulated in batches, so that in a flood Emulator.writeBulk can skip the
// lines that scroll off unseen (and no per-read buffer outlives its read); the emulator is snapshotted only
// when the sender needs a frame; and output that goes quiet after a burst asks the sender for an early frame, so
// the screen a burst ends on (a prompt after Ctrl-C into a flood) does not wait for the rest of a frame interval.
// No pty, timers or sockets: the session feeds it bytes and runs publish() at every wake-up of its event loop.

import type { Emulator } from '../src/emulator';
import { TerminalState } from '../src/statesync/terminal';
import type { Clock } from '../src/transport/clock';
import type { TransportSender } from '../src/transport/sender';

/** Output gathered before it is emulated in any case (bytes): bounds the batch's memory and its delay. */
export const OUTPUT_BATCH_BYTES = 64 * 1024;
/** Output has settled once none came for this long (ms) after some did. */
export const OUTPUT_QUIET_MS = 4;

export class ScreenFeed {
  private readonly batch = Buffer.allocUnsafeSlow(OUTPUT_BATCH_BYTES);
  private batched = 0;
  /** The emulator changed since the snapshot the sender holds. */
  private dirty = false;
  /** Output came since output last settled. */
  private burst = false;
  private lastOutput = -Infinity;
  /** Early frames asked for (settled bursts); for tests and logs. */
  settledCount = 0;

  constructor(
    private readonly emulator: Emulator,
    private readonly sender: TransportSender<TerminalState>,
    private readonly clock: Clock,
  ) {}

  /**
   * Application output. Returns true when the owner should run its event loop step now: the sender does not
   * know yet that the screen is changing (so its frame timer has not started), or the quiet deadline is new.
   */
  output(data: Uint8Array): boolean {
    if (data.length === 0) return false;
    this.lastOutput = this.clock.now();
    if (this.batched + data.length > OUTPUT_BATCH_BYTES) this.flush();
    if (data.length >= OUTPUT_BATCH_BYTES) {
      this.emulator.writeBulk(data);
      this.dirty = true;
    } else {
      this.batch.set(data, this.batched);
      this.batched += data.length;
    }
    const wasQuiet = !this.burst;
    this.burst = true;
    return wasQuiet || !this.senderKnowsOfChange();
  }

  /** Emulates the output gathered so far (before anything that must see the screen up to date). */
  flush(): void {
    if (this.batched === 0) return;
    const n = this.batched;
    this.batched = 0;
    this.emulator.writeBulk(this.batch.subarray(0, n));
    this.dirty = true;
  }

  /** The emulator changed other than through output() (a resize, a message written to it). */
  touch(): void {
    this.dirty = true;
  }

  /**
   * Run before every sender tick: gives the sender a fresh snapshot (with `echoAck`) when it needs one: when it
   * does not know yet that the screen changed (so it starts its frame timer), when a frame is due now (so the
   * frame is fresh), and when output has settled (then it also asks for an early frame). `final`: take the
   * snapshot in any case (the last state before a shutdown freezes it).
   */
  publish(echoAck: bigint, final = false): void {
    const now = this.clock.now();
    const settled = this.burst && now - this.lastOutput >= OUTPUT_QUIET_MS;
    const cur = this.sender.currentState;
    let snap = cur.snapshot;
    if ((this.dirty || this.batched > 0) && (final || settled || !this.senderKnowsOfChange() || this.sender.waitTime() === 0)) {
      this.flush();
      snap = this.emulator.snapshot();
      this.dirty = false;
    }
    if (snap !== cur.snapshot || echoAck !== cur.echoAck) this.sender.setCurrentState(new TerminalState(snap, echoAck));
    if (settled) {
      this.burst = false;
      this.settledCount++;
      this.sender.requestEarlySend();
    }
  }

  /** Milliseconds until publish() has work of its own (output settling), or Infinity. */
  waitTime(): number {
    if (!this.burst) return Infinity;
    return Math.max(0, this.lastOutput + OUTPUT_QUIET_MS - this.clock.now());
  }

  /** The sender's current state differs from the last one it sent (its frame timer runs). */
  private senderKnowsOfChange(): boolean {
    const sent = this.sender.sentStates;
    return !this.sender.currentState.equals(sent[sent.length - 1].state);
  }
}
