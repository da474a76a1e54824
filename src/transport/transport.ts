// One side of an SSP session (mosh-protocol.md section 6.7): the sender for our state, the receiver for the
// peer's, and the glue between them and the packet layer (fragments, zlib, instructions). Generic over both
// state types; it knows nothing of terminals. The owner (client or server) runs the event loop: feed datagrams
// to `receive`, call `tick()` after every wake-up, and arm a single timer for `waitTime()`.

import type { Clock } from './clock';
import type { Connection, Endpoint, SavedConnection } from './connection';
import { FragmentAssembly, Fragmenter, parseFragment } from './fragment';
import { type Instruction, MOSH_PROTOCOL_VERSION, SHUTDOWN_NUM } from './instruction';
import { RESTORE_GAP, type TimestampedState, TransportSender } from './sender';
import type { SyncState } from './state';

export const RECEIVED_STATES_CAP = 1024;
export const RECEIVER_QUENCH_MS = 15000;

export interface TransportStats {
  instructions: number;
  badFragments: number;
  versionMismatch: number;
  duplicates: number;
  unknownBase: number;
  badDiff: number;
  quenched: number;
  outOfOrderStates: number;
}

export type TransportEvent =
  | { type: 'error'; text: string }
  /** A new newest remote state arrived (in order). */
  | { type: 'remote-state'; num: bigint };

/** A transport's state as plain data, with the states serialized by the caller's functions. */
export interface SavedTransport<LS, RS> {
  connection: SavedConnection;
  fragmentId: string;
  ackNum: string;
  /** Our newest state the peer acknowledged (the oldest sent state may be older: see limitThrowawayTo). */
  ackedNum?: string;
  /** The sender's state-number floor (a restored sender's numbers start past it). */
  stateNumFloor?: string;
  /** Sent states, oldest first. */
  sent: { num: string; state: LS }[];
  current: LS;
  /** Received states, oldest first. */
  received: { num: string; state: RS }[];
}

export interface StateCodec<S, Saved> {
  save(s: S): Saved;
  load(saved: Saved): S;
}

export interface TransportOptions<L, R> {
  connection: Connection;
  clock: Clock;
  initialLocal: L;
  initialRemote: R;
  /** SEND_MINDELAY: 8 ms on the server, 1 ms on the client. */
  sendMinDelay: number;
  /** New data is paced after the last data sent, not after empty acks (see TransportSender.paceFromDataOnly). */
  paceFromDataOnly?: boolean;
  onEvent?: (e: TransportEvent) => void;
}

export class Transport<L extends SyncState<L>, R extends SyncState<R>> {
  readonly connection: Connection;
  readonly sender: TransportSender<L>;
  readonly receivedStates: TimestampedState<R>[];
  readonly fragmenter = new Fragmenter();
  readonly assembly = new FragmentAssembly();
  readonly stats: TransportStats = {
    instructions: 0,
    badFragments: 0,
    versionMismatch: 0,
    duplicates: 0,
    unknownBase: 0,
    badDiff: 0,
    quenched: 0,
    outOfOrderStates: 0,
  };
  private readonly clock: Clock;
  private readonly onEvent: (e: TransportEvent) => void;
  private receiverQuenchTimer = 0;
  /**
   * For a side that saves its state to be continued elsewhere: never acknowledge a received state newer than
   * this. The peer throws away every state older than our acknowledgment and diffs only from newer ones, so a
   * restored copy must hold the acknowledged state (see limitAcksTo). Null: no limit.
   */
  private ackLimit: bigint | null = null;

  constructor(opts: TransportOptions<L, R>) {
    this.connection = opts.connection;
    this.clock = opts.clock;
    this.onEvent = opts.onEvent ?? (() => undefined);
    const conn = this.connection;
    this.sender = new TransportSender<L>(
      opts.initialLocal,
      opts.clock,
      {
        timeout: () => conn.timeout(),
        sendInterval: () => conn.rtt.sendInterval(),
        hasRemoteAddr: () => conn.hasRemoteAddr(),
      },
      (inst) => this.transmit(inst),
      opts.sendMinDelay,
    );
    this.sender.paceFromDataOnly = opts.paceFromDataOnly ?? false;
    this.receivedStates = [{ timestamp: opts.clock.now(), num: 0n, state: opts.initialRemote.clone() }];
  }

  /** The live local state (mutate in place, or replace with setCurrentState). */
  get currentState(): L {
    return this.sender.currentState;
  }

  setCurrentState(s: L): void {
    this.sender.setCurrentState(s);
  }

  /** The newest remote state received in order. */
  latestRemote(): TimestampedState<R> {
    return this.receivedStates[this.receivedStates.length - 1];
  }

  tick(): void {
    this.sender.tick();
  }

  waitTime(): number {
    return this.sender.waitTime();
  }

  startShutdown(): void {
    this.sender.startShutdown();
  }

  /**
   * Processes one datagram. Returns true if it produced a new newest remote state. Never throws on bad input:
   * everything unauthentic or malformed is dropped and counted.
   */
  receive(datagram: Buffer, from: Endpoint): boolean {
    const payload = this.connection.receive(datagram, from);
    if (payload === null) return false;
    const frag = parseFragment(payload);
    if (frag === null) {
      this.stats.badFragments++;
      return false;
    }
    const inst = this.assembly.add(frag);
    if (inst === null) return false;
    return this.processInstruction(inst);
  }

  private processInstruction(inst: Instruction): boolean {
    this.stats.instructions++;
    if (inst.protocolVersion !== MOSH_PROTOCOL_VERSION) {
      this.stats.versionMismatch++;
      this.onEvent({
        type: 'error',
        text: `mosh protocol version mismatch (peer speaks version ${inst.protocolVersion}, we speak ${MOSH_PROTOCOL_VERSION})`,
      });
      return false;
    }
    this.sender.processAcknowledgmentThrough(inst.ackNum);
    this.connection.setLastRoundtripSuccess(this.sender.sentStateAckedTimestamp);

    if (this.receivedStates.some((s) => s.num === inst.newNum)) {
      this.stats.duplicates++;
      return false;
    }
    const reference = this.receivedStates.find((s) => s.num === inst.oldNum);
    if (!reference) {
      this.stats.unknownBase++;
      return false;
    }
    this.processThrowawayUntil(inst.throwawayNum);

    const now = this.clock.now();
    if (this.receivedStates.length > RECEIVED_STATES_CAP) {
      if (now < this.receiverQuenchTimer) {
        this.stats.quenched++;
        return false;
      }
      this.receiverQuenchTimer = now + RECEIVER_QUENCH_MS;
    }

    const state = reference.state.clone();
    if (inst.diff.length > 0) {
      try {
        state.apply(inst.diff);
      } catch (e) {
        this.stats.badDiff++;
        this.onEvent({ type: 'error', text: `${(e as Error).message}: that state was dropped` });
        return false;
      }
    }
    const entry: TimestampedState<R> = { timestamp: now, num: inst.newNum, state };

    const later = this.receivedStates.findIndex((s) => s.num > inst.newNum);
    if (later >= 0) {
      this.receivedStates.splice(later, 0, entry);
      this.stats.outOfOrderStates++;
      return false;
    }
    this.receivedStates.push(entry);
    this.sender.ackNum =
      this.ackLimit !== null && inst.newNum !== SHUTDOWN_NUM && inst.newNum > this.ackLimit
        ? this.ackLimit
        : inst.newNum;
    this.sender.lastHeard = now;
    if (inst.diff.length > 0) this.sender.setDataAck();
    this.onEvent({ type: 'remote-state', num: inst.newNum });
    return true;
  }

  /**
   * Receiver-side rationalize (mosh's get_remote_diff): every received state extends the oldest one still held,
   * so that common prefix can be dropped from all of them. Call after consuming the newest state; keeps memory
   * bounded by what the peer may still base diffs on, not by everything ever received.
   */
  pruneReceived(): void {
    const front = this.receivedStates[0].state;
    if (!front.subtract) return;
    for (let i = this.receivedStates.length - 1; i >= 1; i--) this.receivedStates[i].state.subtract!(front);
    front.subtract(front);
  }

  /** Forget received states older than `num` (the peer will not base diffs on them), keeping at least one. */
  private processThrowawayUntil(num: bigint): void {
    let keepFrom = this.receivedStates.findIndex((s) => s.num >= num);
    if (keepFrom < 0) keepFrom = this.receivedStates.length - 1;
    if (keepFrom > 0) this.receivedStates.splice(0, keepFrom);
  }

  private transmit(inst: Instruction): void {
    for (const f of this.fragmenter.makeFragments(inst, this.connection.mtu)) this.connection.send(f);
  }

  /**
   * From now on, acknowledge no received state newer than `num` (a state this side has saved). Moves the
   * acknowledgment up to `num` at once if it was held back.
   */
  limitAcksTo(num: bigint): void {
    this.ackLimit = num;
    const newest = this.latestRemote().num;
    const ack = newest > num ? num : newest;
    if (ack > this.sender.ackNum && this.sender.ackNum !== SHUTDOWN_NUM) {
      this.sender.ackNum = ack;
      this.sender.setDataAck();
    }
  }

  /** Everything needed to continue this session in another process (see restore). */
  save<LS, RS>(local: StateCodec<L, LS>, remote: StateCodec<R, RS>): SavedTransport<LS, RS> {
    return {
      connection: this.connection.save(),
      fragmentId: this.fragmenter.nextId.toString(),
      ackNum: this.sender.ackNum.toString(),
      ackedNum: this.sender.ackedNum.toString(),
      stateNumFloor: this.sender.stateNumFloor.toString(),
      sent: this.sender.sentStates.map((s) => ({ num: s.num.toString(), state: local.save(s.state) })),
      current: local.save(this.sender.currentState),
      received: this.receivedStates.map((s) => ({ num: s.num.toString(), state: remote.save(s.state) })),
    };
  }

  /**
   * Continues a saved session. Call on a fresh transport, before it has received anything, whose connection was
   * made with a first sequence number beyond every number the saved one may have used.
   */
  restore<LS, RS>(saved: SavedTransport<LS, RS>, local: StateCodec<L, LS>, remote: StateCodec<R, RS>): void {
    if (this.connection.sequence <= BigInt(saved.connection.nextSeq)) {
      throw new Error('refusing to restore: the connection would reuse sequence numbers (nonces) of the saved one');
    }
    this.connection.restore(saved.connection);
    // Instructions sent after the save (before a crash) used ids beyond it: skip well past them.
    this.fragmenter.nextId = BigInt(saved.fragmentId) + RESTORE_GAP;
    this.sender.restore(
      saved.sent.map((s) => ({ num: BigInt(s.num), state: local.load(s.state) })),
      local.load(saved.current),
      BigInt(saved.ackNum),
      saved.ackedNum === undefined ? undefined : BigInt(saved.ackedNum),
      saved.stateNumFloor === undefined ? undefined : BigInt(saved.stateNumFloor),
    );
    const now = this.clock.now();
    this.receivedStates.splice(
      0,
      this.receivedStates.length,
      ...saved.received.map((s) => ({ timestamp: now, num: BigInt(s.num), state: remote.load(s.state) })),
    );
  }

  /** The peer has sent its shutdown state (we will acknowledge it). */
  get counterpartyShutdown(): boolean {
    return this.latestRemote().num === SHUTDOWN_NUM;
  }

  /** Closes the connection after flushing datagrams already sent (see Connection.close). */
  close(): Promise<void> {
    return this.connection.close();
  }
}
