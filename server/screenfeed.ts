// The path from the application's output to the SSP sender's current state, on the server. Pty reads are
// gathered into one fixed buffer and emulated in batches, so that in a flood Emulator.writeBulk can skip the
// lines that scroll off unseen (and no per-read buffer outlives its read); the emulator is snapshotted only
// when the sender needs a frame (a snapshot in a flood is a screenful of new rows, and the sender keeps each one
// it sends until the client acknowledges it); in a flood, frames are paced at FLOOD_FRAME_MS at least; and output
// that goes quiet after a burst asks the sender for an early frame, so the screen a burst ends on (a prompt after
// Ctrl-C into a flood) does not wait for the rest of a frame interval (nor for the flood's pace: input lifts it).
// No pty, timers or sockets: the session feeds it bytes and runs publish() at every wake-up of its event loop.

import type { Emulator } from '../src/emulator';
import { type HistoryMark, historyMarksEqual, type TerminalExtras, TerminalState } from '../src/statesync';
import type { Clock, TransportSender } from '../src/transport';

/** Output gathered before it is emulated in any case (bytes): bounds the batch's memory and its delay. */
export const OUTPUT_BATCH_BYTES = 64 * 1024;
/**
 * Output has settled once none came for this long (ms) after some did. Measured with `bench -- interrupt` (our
 * client and server, RTT 200): 2 ms sometimes split the echoed ^C from the prompt after it (the prompt then waits
 * a frame interval). 4 ms also settles inside a flood when its producer is descheduled for a moment on a busy
 * machine; that early frame is given back when the flood goes on (BURST_WENT_ON_BYTES), or the prompt after Ctrl-C
 * waited for the next interval, 100 ms later (`seq`: 5 of 64 rounds, p90 over 300 ms in 2 runs of 4). 8 ms
 * instead avoided most of those pauses but added 4-6 ms to every early frame (median 225-227 ms instead of 219).
 */
export const OUTPUT_QUIET_MS = 4;
/**
 * Output after a settle that shows the burst went on (bytes, one pty read of a flood): the early frame was spent
 * on a pause, not on the end (TransportSender.earlySendWasted).
 */
export const BURST_WENT_ON_BYTES = 4096;
/** A burst of output that has not settled for this long (ms) is a flood: a `cat` of a big file, a build log. */
export const FLOOD_AFTER_MS = 100;
/**
 * In a flood, at most one snapshot, and so one frame, per this many ms. The frame interval is shorter on fast links
 * only (SRTT under 80 ms; 20 ms on a LAN). Nobody reads a flood as it scrolls by, while each of its frames is a
 * screenful of new rows that the sender keeps until the client acknowledges it, and that only a major GC frees:
 * at 25 frames a second instead of 50, the server's peak RSS in `bench -- throughput` (50 MiB `cat`, 200x50)
 * was 1-1.5 MiB lower, and both ends draw half the frames. The screen a flood ends on goes out at once (the
 * early frame when output settles), as do keystrokes' echoes: neither is a flood.
 */
export const FLOOD_FRAME_MS = 40;

export class ScreenFeed {
  private readonly batch = Buffer.allocUnsafeSlow(OUTPUT_BATCH_BYTES);
  private batched = 0;
  /** The emulator changed since the snapshot the sender holds. */
  private dirty = false;
  /** Output came since output last settled. */
  private burst = false;
  private lastOutput = -Infinity;
  /** When the current burst of output began. */
  private burstStart = -Infinity;
  /** When the sender was last handed a snapshot. */
  private snapshotAt = -Infinity;
  /** Output since the last settle (until it shows the burst went on); -1: none to count. */
  private sinceSettle = -1;
  /** Until when a flood's frames are not paced: the user just typed (userInput). */
  private unpacedUntil = -Infinity;
  /** Early frames asked for (settled bursts); for tests and logs. */
  settledCount = 0;

  constructor(
    private readonly emulator: Emulator,
    private readonly sender: TransportSender<TerminalState>,
    private readonly clock: Clock,
    /** What states carry of our extensions (server/extensions.ts), asked after the output is emulated. */
    private readonly extras: (now: number, lastOutput: number, sent: HistoryMark | null) => TerminalExtras = () => ({
      hello: null,
    }),
  ) {}

  /**
   * Application output. Returns true when the owner should run its event loop step now (see publish), or arm
   * its timer for a new deadline (waitTime). `data` is valid during this call only (it is the pty's reused read
   * buffer, ptyspawn.ts): it is copied into the batch or emulated now, never kept.
   */
  output(data: Uint8Array): boolean {
    if (data.length === 0) return false;
    this.lastOutput = this.clock.now();
    if (this.sinceSettle >= 0) {
      this.sinceSettle += data.length;
      if (this.sinceSettle >= BURST_WENT_ON_BYTES) {
        this.sinceSettle = -1;
        this.sender.earlySendWasted();
      }
    }
    if (this.batched + data.length > OUTPUT_BATCH_BYTES) this.flush();
    if (data.length >= OUTPUT_BATCH_BYTES) {
      this.emulator.writeBulk(data);
      this.dirty = true;
    } else {
      this.batch.set(data, this.batched);
      this.batched += data.length;
    }
    const wasQuiet = !this.burst;
    if (wasQuiet) this.burstStart = this.lastOutput;
    this.burst = true;
    return wasQuiet || this.changeToAnnounce();
  }

  /**
   * The user typed (or resized): for FLOOD_AFTER_MS, frames go at the frame interval even in a flood, so that what
   * the input brings (the prompt after Ctrl-C into a flood) is emulated and sent as it comes, as outside a flood.
   * Paced, the flood's output gathered since the last snapshot waited to be emulated until the output settled:
   * Ctrl-C into `yes` at 20 ms RTT took 45-48 ms to show the prompt instead of 36-38 (bench -- interrupt).
   */
  userInput(): void {
    this.unpacedUntil = this.clock.now() + FLOOD_AFTER_MS;
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
   * Run before every sender tick: gives the sender a fresh snapshot (with `echoAck`) when it needs one: when a
   * frame could leave within the sender's collection delay and the sender does not know yet that the screen
   * changed (so that it starts that delay; sooner, the frame interval would hold the frame back anyway), when a
   * frame is due now (so the frame is fresh; but in a burst that has already had a frame, a snapshot taken within
   * the collection delay is fresh enough: one snapshot per frame in a flood), and when output has settled (then
   * it also asks for an early frame). `final`: take the snapshot in any case (a shutdown freezes the state).
   */
  publish(echoAck: bigint, final = false): void {
    const now = this.clock.now();
    const settled = this.burst && now - this.lastOutput >= OUTPUT_QUIET_MS;
    const cur = this.sender.currentState;
    let snap = cur.snapshot;
    const minDelay = this.sender.sendMinDelay;
    const stale = now - this.snapshotAt > minDelay || this.snapshotAt - this.burstStart <= minDelay;
    const due = stale && this.sender.waitTime() === 0 && now >= this.floodPaceTime(now);
    if ((this.dirty || this.batched > 0) && (final || settled || this.changeToAnnounce() || due)) {
      // In a burst whose output is already partly emulated, a small rest waits for its batch to fill: emulated
      // alone it would be too short for writeBulk to skip (every line of it emulated, and read for the history).
      // It is in the frame after; a burst that settles is flushed whole.
      if (!(this.dirty && !final && !settled && this.batched < OUTPUT_BATCH_BYTES / 4)) this.flush();
      snap = this.emulator.snapshot();
      this.dirty = false;
      this.snapshotAt = now;
    }
    const sent = this.sender.sentStates;
    const ext = this.extras(now, this.lastOutput, sent[sent.length - 1].state.history);
    if (
      snap !== cur.snapshot ||
      echoAck !== cur.echoAck ||
      ext.hello !== cur.hello ||
      !historyMarksEqual(ext.history ?? null, cur.history)
    ) {
      this.sender.setCurrentState(cur.withScreen(snap, echoAck, ext));
    }
    if (settled) {
      this.burst = false;
      this.settledCount++;
      this.sinceSettle = 0;
      this.sender.requestEarlySend();
    }
  }

  /** Milliseconds until publish() has work of its own (output settling, a change to announce), or Infinity. */
  waitTime(): number {
    const now = this.clock.now();
    let at = this.burst ? this.lastOutput + OUTPUT_QUIET_MS : Infinity;
    if ((this.dirty || this.batched > 0) && !this.senderKnowsOfChange()) at = Math.min(at, this.announceTime());
    return Math.max(0, at - now);
  }

  /** The screen changed, the sender does not know yet, and it is time to tell it. */
  private changeToAnnounce(): boolean {
    return !this.senderKnowsOfChange() && this.clock.now() >= this.announceTime();
  }

  /**
   * When the sender, told of a change then, would send it no later than the frame interval allows (and, in a
   * flood, than FLOOD_FRAME_MS after the last frame).
   */
  private announceTime(): number {
    return Math.max(this.sender.paceTime - this.sender.sendMinDelay, this.floodPaceTime(this.clock.now()));
  }

  /**
   * In a flood, the earliest time for its next snapshot: FLOOD_FRAME_MS after the last one (each frame leaves the
   * sender's collection delay after its snapshot, so the frames are as far apart). Otherwise -Infinity.
   */
  private floodPaceTime(now: number): number {
    if (!this.burst || now - this.burstStart < FLOOD_AFTER_MS || now < this.unpacedUntil) return -Infinity;
    return this.snapshotAt + FLOOD_FRAME_MS;
  }

  /** The sender's current state differs from the last one it sent (its frame timer runs). */
  private senderKnowsOfChange(): boolean {
    const sent = this.sender.sentStates;
    const back = sent[sent.length - 1].state;
    const cur = this.sender.currentState;
    // A change of channel bytes alone is background: the screen's frame does not wait for its pacing.
    return !cur.equals(back) && !cur.backgroundChangeFrom(back);
  }
}
