// The SSP sender (mosh-protocol.md sections 6.1-6.6, 6.9): keeps the list of states sent to the peer, decides
// when to send (frame interval from SRTT, collection delay, delayed ack, heartbeat, retransmission after RTO),
// builds instructions (old/new/ack/throwaway numbers + diff) and runs our side of the shutdown handshake.
// Generic over the state type; it never touches sockets (it hands instructions to `transmit`) nor a clock of
// its own (time comes from the injected Clock).

import type { Clock } from './clock';
import { type Instruction, MOSH_PROTOCOL_VERSION, randomChaff, SHUTDOWN_NUM } from './instruction';
import { MAX_RTO } from './rtt';
import type { SyncState } from './state';

export const ACK_INTERVAL = 3000;
export const ACK_DELAY = 100;
export const SHUTDOWN_RETRIES = 16;
export const ACTIVE_RETRY_TIMEOUT = 10000;
export const SEND_MINDELAY_SERVER = 8;
export const SEND_MINDELAY_CLIENT = 1;
export const SENT_STATES_CAP = 32;
/**
 * How far a restored side's counters (datagram sequence numbers, state numbers, fragment ids) jump past the saved
 * ones: the original may have gone on after the save. A saving side sends fewer than this many datagrams between
 * two stored saves (its sequence floor, see Connection.sendLimit), and every new state number or fragment id
 * takes at least one datagram, so a restored copy never reuses a number the original used.
 */
export const RESTORE_GAP = 1n << 24n;

/** What the sender needs to know about the link. */
export interface LinkTiming {
  /** Retransmission timeout (ms). */
  timeout(): number;
  /** Frame interval (ms): ceil(SRTT/2) clamped to [20, 250]. */
  sendInterval(): number;
  hasRemoteAddr(): boolean;
}

export interface TimestampedState<S> {
  timestamp: number;
  num: bigint;
  state: S;
}

export class TransportSender<S extends SyncState<S>> {
  /** The live local state. Mutate it in place or replace it with setCurrentState (not while shutting down). */
  currentState: S;
  /** front = newest acknowledged state; back = last state sent. */
  readonly sentStates: TimestampedState<S>[];
  private assumed: TimestampedState<S>;
  /**
   * The newest state the peer acknowledged. Normally the front; a saving side may keep older states in front of
   * it (limitThrowawayTo), so that the peer keeps the saved state for a restored copy to diff from.
   */
  private acked: TimestampedState<S>;
  private frontLimit: bigint | null = null;
  /** New state numbers start here at the least (a restored copy skips what the original may have used). */
  private numFloor = 0n;

  private nextAckTime: number;
  private nextSendTime: number;
  /** Newest in-order state number of the peer's flow, echoed as ack_num. */
  ackNum = 0n;
  private pendingDataAck = false;
  /** When the peer last gave us a new in-order state (null = never). */
  lastHeard: number | null = null;
  private mindelayClock: number | null = null;
  sendMinDelay: number;
  /**
   * New data waits a frame interval after the last instruction that carried data, not after the last one sent
   * (mosh counts empty acks too). For the client: a keystroke (Ctrl-C into a flood) is not held back for up to
   * a frame interval because a delayed ack for the server's last frame just went out. Data instructions stay
   * at most one per frame interval.
   */
  paceFromDataOnly = false;
  /** When the last instruction with a non-empty diff was sent. */
  private lastDataSend = -Infinity;
  /** The owner asked for the current state to go out without waiting for the frame interval (requestEarlySend). */
  private earlyRequested = false;
  /** When the last early frame was sent. */
  private lastEarlySend = -Infinity;
  /** When earlySendWasted last gave the interval's early frame back. */
  private lastEarlyRefund = -Infinity;
  /**
   * Optional, for our extensions: whether `current` differs from `base` only by background traffic (channel bytes).
   * A background change is paced on a clock of its own (at most one background frame per frame interval), so it
   * never holds a foreground change (a keystroke, a screen update) back for a frame interval; a foreground frame
   * carries whatever background bytes are pending too. Null (the default): every change is foreground, as in mosh.
   */
  isBackground: ((current: S, base: S) => boolean) | null = null;
  /** With isBackground: the pacing clocks that only foreground sends move, and the background one. */
  private lastForegroundSend: number;
  private lastForegroundDataSend = -Infinity;
  private lastBackgroundSend = -Infinity;

  private shutdownInProgressFlag = false;
  private shutdownTries = 0;
  private shutdownStart = 0;
  private counterpartyShutdownAckSentFlag = false;

  constructor(
    initial: S,
    private readonly clock: Clock,
    private readonly link: LinkTiming,
    private readonly transmit: (inst: Instruction) => void,
    sendMinDelay = SEND_MINDELAY_SERVER,
  ) {
    const now = clock.now();
    this.currentState = initial.clone();
    this.sentStates = [{ timestamp: now, num: 0n, state: initial.clone() }];
    this.assumed = this.sentStates[0];
    this.acked = this.sentStates[0];
    this.nextAckTime = now;
    this.nextSendTime = now;
    this.sendMinDelay = sendMinDelay;
    this.lastForegroundSend = now;
  }

  private get front(): TimestampedState<S> {
    return this.sentStates[0];
  }

  /** The lowest number a new state may take (beyond every number a saved original may have used). */
  get stateNumFloor(): bigint {
    return this.numFloor;
  }

  private get back(): TimestampedState<S> {
    return this.sentStates[this.sentStates.length - 1];
  }

  /**
   * Continues a saved sender (session resume): its sent states (front = acknowledged), current state and ack
   * number. Every restored state counts as sent just longer ago than any retransmission timeout (so none is
   * assumed received, and the first tick sends at once, diffing from the acknowledged state), but not so long
   * ago that the user is told the server has been silent.
   */
  restore(sent: { num: bigint; state: S }[], current: S, ackNum: bigint, ackedNum?: bigint, numFloor?: bigint): void {
    if (sent.length === 0) throw new Error('a saved sender holds at least its acknowledged state');
    const longAgo = this.clock.now() - (MAX_RTO + ACK_DELAY + 1);
    this.sentStates.splice(
      0,
      this.sentStates.length,
      ...sent.map((s) => ({ timestamp: longAgo, num: s.num, state: s.state })),
    );
    this.acked = this.sentStates.find((s) => s.num === ackedNum) ?? this.sentStates[0];
    this.assumed = this.acked;
    // The original may have sent more states after the save: number ours well beyond them.
    // (A saved copy of a restored sender carries its own floor: a copy of a copy skips past both.)
    const base = numFloor !== undefined && numFloor > this.back.num ? numFloor : this.back.num;
    this.numFloor = base + RESTORE_GAP;
    this.frontLimit = this.sentStates[0].num;
    this.currentState = current;
    this.ackNum = ackNum;
    this.nextAckTime = this.clock.now();
    this.nextSendTime = this.clock.now();
    this.mindelayClock = null;
  }

  setCurrentState(s: S): void {
    if (this.shutdownInProgressFlag) return;
    this.currentState = s;
  }

  /**
   * The owner's state has settled (its source went quiet after a burst of changes, which is the collecting that
   * sendMinDelay stands for): send what is new now instead of waiting for the rest of the collection delay and
   * frame interval. At most one such early frame per frame interval, so a source that settles often still sends
   * at most two frames per interval (three when one was given back: earlySendWasted); a steady stream of changes,
   * which never settles, keeps one frame per interval. The request lapses once the current state has been sent (or
   * there is nothing new to send).
   */
  requestEarlySend(): void {
    this.earlyRequested = true;
  }

  /**
   * The source did not stay settled after all: its changes went on after the last early frame (a flood that
   * paused, its producer descheduled for a moment). That frame's place is given back, so the settle that really
   * ends the burst (a prompt after Ctrl-C) does not wait for the next interval. At most once per frame interval:
   * a source that pauses often sends at most three frames per interval.
   */
  earlySendWasted(): void {
    const now = this.clock.now();
    if (now < this.lastEarlySend + this.link.sendInterval() && now >= this.lastEarlyRefund + this.link.sendInterval()) {
      this.lastEarlySend = -Infinity;
      this.lastEarlyRefund = now;
    }
  }

  /**
   * The earliest time the frame interval lets a new state go out (the collection delay, counted from when the
   * sender first sees the change, comes on top). An owner that builds its state lazily need not hand a change
   * over before this time less sendMinDelay: the frame would leave no sooner.
   */
  get paceTime(): number {
    return this.foregroundPacedFrom() + this.link.sendInterval();
  }

  /** Milliseconds until tick() has work, or Infinity. */
  waitTime(): number {
    this.calculateTimers();
    if (!this.link.hasRemoteAddr()) return Infinity;
    const next = Math.min(this.nextAckTime, this.nextSendTime);
    return Math.max(next - this.clock.now(), 0);
  }

  /** Sends whatever is due now. */
  tick(): void {
    this.calculateTimers();
    if (!this.link.hasRemoteAddr()) return;
    const now = this.clock.now();
    if (now < this.nextAckTime && now < this.nextSendTime) return;

    let diff = this.currentState.diffFrom(this.assumed.state);
    // Prospective resend: if diffing from the acknowledged state costs about the same, do that instead, so
    // the peer can apply it even if the assumed state was lost.
    if (this.assumed !== this.acked) {
      const alt = this.currentState.diffFrom(this.acked.state);
      if (alt.length <= diff.length || (alt.length < 1000 && alt.length - diff.length < 100)) {
        this.assumed = this.acked;
        diff = alt;
      }
    }

    if (diff.length === 0) {
      if (now >= this.nextAckTime) {
        this.sendEmptyAck(now);
        this.mindelayClock = null;
      }
      if (now >= this.nextSendTime) {
        this.nextSendTime = Infinity;
        this.mindelayClock = null;
      }
    } else if (now >= this.nextSendTime || now >= this.nextAckTime) {
      this.sendToReceiver(now, diff);
      this.mindelayClock = null;
    }
  }

  /** The peer acknowledged our state `ack`: drop every older sent state (down to the throwaway limit). */
  processAcknowledgmentThrough(ack: bigint): void {
    const i = this.sentStates.findIndex((s) => s.num === ack);
    if (i < 0) return; // already culled
    this.acked = this.sentStates[i];
    let keepFrom = i;
    if (this.frontLimit !== null && ack !== SHUTDOWN_NUM && ack > this.frontLimit) {
      keepFrom = Math.max(
        0,
        this.sentStates.findIndex((s) => s.num >= this.frontLimit!),
      );
    }
    if (keepFrom > 0) {
      this.sentStates.splice(0, keepFrom);
      if (!this.sentStates.includes(this.assumed)) this.assumed = this.acked;
    }
  }

  /**
   * For a side that saves its state: tell the peer to keep our sent states from `num` on (throwaway_num stays
   * at or below it), so a restored copy of the saved sender can still diff from them.
   */
  limitThrowawayTo(num: bigint): void {
    this.frontLimit = num;
    const keepFrom = this.sentStates.findIndex((s) => s.num >= num);
    const ackedAt = this.sentStates.indexOf(this.acked);
    const cut = Math.min(keepFrom < 0 ? 0 : keepFrom, ackedAt < 0 ? 0 : ackedAt);
    if (cut > 0) this.sentStates.splice(0, cut);
  }

  /** Number of the newest state the peer acknowledged. */
  get ackedNum(): bigint {
    return this.acked.num;
  }

  /** The receiver has new data to acknowledge (within ACK_DELAY). */
  setDataAck(): void {
    this.pendingDataAck = true;
  }

  startShutdown(): void {
    if (this.shutdownInProgressFlag) return;
    this.shutdownStart = this.clock.now();
    this.shutdownInProgressFlag = true;
  }

  get shutdownInProgress(): boolean {
    return this.shutdownInProgressFlag;
  }

  /** Our shutdown state has been acknowledged by the peer. */
  get shutdownAcknowledged(): boolean {
    return this.acked.num === SHUTDOWN_NUM;
  }

  get shutdownAckTimedOut(): boolean {
    return (
      this.shutdownInProgressFlag &&
      (this.shutdownTries >= SHUTDOWN_RETRIES || this.clock.now() - this.shutdownStart >= ACTIVE_RETRY_TIMEOUT)
    );
  }

  /** We have acknowledged the peer's shutdown state. */
  get counterpartyShutdownAckSent(): boolean {
    return this.counterpartyShutdownAckSentFlag;
  }

  /** Send time of the newest state the peer acknowledged. */
  get sentStateAckedTimestamp(): number {
    return this.acked.timestamp;
  }

  get sentStateAcked(): bigint {
    return this.acked.num;
  }

  get sentStateLast(): bigint {
    return this.back.num;
  }

  private calculateTimers(): void {
    const now = this.clock.now();
    this.updateAssumedReceiverState(now);
    this.rationalizeStates();

    if (this.pendingDataAck && this.nextAckTime > now + ACK_DELAY) this.nextAckTime = now + ACK_DELAY;

    const active = this.lastHeard !== null && this.lastHeard + ACTIVE_RETRY_TIMEOUT > now;
    const fresh = !this.currentState.equals(this.back.state);
    if (!fresh) this.earlyRequested = false;
    if (fresh) {
      if (this.mindelayClock === null) this.mindelayClock = now;
      const early = this.earlyRequested && now >= this.lastEarlySend + this.link.sendInterval();
      // A background change leaves as soon as its clock allows: its owner adds its bytes all at once, when they may go.
      const collect = this.isBackground?.(this.currentState, this.back.state)
        ? -Infinity
        : this.mindelayClock + this.sendMinDelay;
      this.nextSendTime = early ? now : Math.max(collect, this.pacedFrom() + this.link.sendInterval());
    } else if (active && !this.currentState.equals(this.assumed.state)) {
      this.nextSendTime = this.back.timestamp + this.link.sendInterval();
      if (this.mindelayClock !== null)
        this.nextSendTime = Math.max(this.nextSendTime, this.mindelayClock + this.sendMinDelay);
    } else if (active && !this.currentState.equals(this.acked.state)) {
      this.nextSendTime = this.back.timestamp + this.link.timeout() + ACK_DELAY;
    } else {
      this.nextSendTime = Infinity;
    }

    if (this.shutdownInProgressFlag || this.ackNum === SHUTDOWN_NUM) {
      this.nextAckTime = this.back.timestamp + this.link.sendInterval();
    }
  }

  /**
   * With isBackground: the earliest time a background change may leave (one background frame per frame interval;
   * it leaves then, without the collection delay). An owner that adds background bytes only from then on, and only
   * while no foreground change is waiting to go, keeps them out of foreground frames (which then carry a keystroke
   * or a screen update alone, small and quick).
   */
  get backgroundPaceTime(): number {
    return this.lastBackgroundSend + this.link.sendInterval();
  }

  /** The send the frame interval counts from for the change now pending. */
  private pacedFrom(): number {
    if (this.isBackground?.(this.currentState, this.back.state)) return this.lastBackgroundSend;
    return this.foregroundPacedFrom();
  }

  /** The send a foreground change's frame interval counts from (a screen update, a keystroke). */
  private foregroundPacedFrom(): number {
    if (this.isBackground === null) return this.paceFromDataOnly ? this.lastDataSend : this.back.timestamp;
    return this.paceFromDataOnly ? this.lastForegroundDataSend : this.lastForegroundSend;
  }

  /** The newest sent state the peer has probably received: sent less than RTO + ACK_DELAY ago, in a run from the acknowledged one. */
  private updateAssumedReceiverState(now: number): void {
    let from = this.sentStates.indexOf(this.acked);
    if (from < 0) {
      from = 0;
      this.acked = this.front;
    }
    this.assumed = this.acked;
    const limit = this.link.timeout() + ACK_DELAY;
    for (let i = from + 1; i < this.sentStates.length; i++) {
      if (now - this.sentStates[i].timestamp < limit) this.assumed = this.sentStates[i];
      else break;
    }
  }

  private rationalizeStates(): void {
    const known = this.front.state;
    if (!known.subtract) return;
    for (let i = this.sentStates.length - 1; i >= 1; i--) this.sentStates[i].state.subtract!(known);
    this.currentState.subtract!(known);
    known.subtract(known);
  }

  private newNum(proposed: bigint): bigint {
    if (this.shutdownInProgressFlag) return SHUTDOWN_NUM;
    return proposed > this.back.num && proposed < this.numFloor ? this.numFloor : proposed;
  }

  private sendEmptyAck(now: number): void {
    const newNum = this.newNum(this.back.num + 1n);
    this.addSentState(now, newNum);
    this.sendInFragments(new Uint8Array(0), newNum);
    this.lastForegroundSend = now;
    this.nextAckTime = now + ACK_INTERVAL;
    this.nextSendTime = Infinity;
  }

  private sendToReceiver(now: number, diff: Uint8Array): void {
    if (this.earlyRequested) {
      if (now < this.paceTime) this.lastEarlySend = now;
      this.earlyRequested = false;
    }
    this.lastDataSend = now;
    // A new state is background if what it adds to the last one sent is (the pacing decision's view); a resend is
    // background if what it carries is.
    const fresh = !this.currentState.equals(this.back.state);
    if (this.isBackground?.(this.currentState, fresh ? this.back.state : this.assumed.state))
      this.lastBackgroundSend = now;
    else this.lastForegroundSend = this.lastForegroundDataSend = now;
    const newNum = this.newNum(this.currentState.equals(this.back.state) ? this.back.num : this.back.num + 1n);
    this.addSentState(now, newNum);
    this.sendInFragments(diff, newNum);
    this.assumed = this.back;
    this.nextAckTime = now + ACK_INTERVAL;
    this.nextSendTime = Infinity;
  }

  /** Appends the current state as `num`, or refreshes the back's send time if `num` is the back's (a resend). */
  private addSentState(now: number, num: bigint): void {
    if (num === this.back.num) {
      this.back.timestamp = now;
      return;
    }
    this.sentStates.push({ timestamp: now, num, state: this.currentState.clone() });
    if (this.sentStates.length > SENT_STATES_CAP) {
      const [removed] = this.sentStates.splice(this.sentStates.length - 16, 1);
      if (removed === this.acked) this.acked = this.front;
      if (removed === this.assumed) this.assumed = this.acked;
    }
  }

  private sendInFragments(diff: Uint8Array, newNum: bigint): void {
    const inst: Instruction = {
      protocolVersion: MOSH_PROTOCOL_VERSION,
      oldNum: this.assumed.num,
      newNum,
      ackNum: this.ackNum,
      throwawayNum: this.front.num,
      diff,
      chaff: randomChaff(),
    };
    if (newNum === SHUTDOWN_NUM) this.shutdownTries++;
    this.transmit(inst);
    if (inst.ackNum === SHUTDOWN_NUM) this.counterpartyShutdownAckSentFlag = true;
    this.pendingDataAck = false;
  }
}
