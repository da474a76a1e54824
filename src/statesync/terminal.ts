// The complete terminal state synchronized server -> client (mosh-protocol.md sections 7.2 and 7.3): a
// framebuffer snapshot plus the echo-ack number (the newest client input state the application has had 50 ms
// to echo). Its diff is [echoack][resize][hostbytes = display differ from the old framebuffer]; applying it runs
// the host bytes through a Framebuffer (client side). Between our own client and server it also carries the
// server's hello and the scrollback history (history.ts), ahead of the screen, and the channels (channels.ts),
// after it. Not the echo-ack timing policy (EchoAckTracker below) nor any network code.

import {
  blankSnapshot,
  Framebuffer,
  newFrameBytes,
  screenSizeProblem,
  type Snapshot,
  snapshotsEqual,
} from '../emulator';
import type { SyncState } from '../transport';
import { type HistoryLog, type HistoryMark, historyMarksEqual, type HistoryRing, NO_HISTORY } from './history';
import { decodeHostMessage, encodeHostMessage, type HostInstruction } from './hostmessage';
import {
  applyUpdates,
  type ChannelInbox,
  type ChannelSource,
  type ChannelTable,
  checkUpdates,
  diffTables,
  tablesEqual,
} from './channels';

/** A diff that would resize the screen beyond the limits (emulator/limits.ts): refused before any allocation. */
export class ScreenSizeError extends RangeError {
  override name = 'ScreenSizeError';
}

/** Our server's hello, as a terminal state carries it once the client said hello (extensions.ts). */
export interface ServerHelloInfo {
  readonly version: number;
  readonly features: readonly string[];
  readonly historyLines: number;
}

/** The parts of a terminal state beyond stock mosh's (all absent with a stock peer). */
export interface TerminalExtras {
  /** The server's hello (null: not said: a stock peer, or a client that did not say hello). */
  hello?: ServerHelloInfo | null;
  /** Where the history stands (null: none kept). */
  history?: HistoryMark | null;
  /** Server side: where diffFrom finds history lines. */
  ring?: HistoryRing | null;
  /** Client side: where apply puts history lines. */
  log?: HistoryLog | null;
  /** The channels (null: none: a stock peer, or a client that did not ask for them). */
  channels?: ChannelTable | null;
  /** Server side: where diffFrom finds channel bytes. */
  channelSource?: ChannelSource | null;
  /** Client side: where apply puts channel bytes. */
  inbox?: ChannelInbox | null;
}

/**
 * The history instruction for lines [start, end) of a server's ring, encoded as a HostMessage of its own. The
 * sender diffs the same states again at every frame until the client acknowledges them (and from two states when
 * it weighs a resend): the last few encodings are kept per ring, so a flood's 10000-line shipment is encoded once.
 */
const historyEncodings = new WeakMap<HistoryRing, { key: string; bytes: Uint8Array }[]>();
const HISTORY_ENCODINGS_KEPT = 3;

function encodedHistory(ring: HistoryRing, start: number, end: number, clearedBefore: number): Uint8Array {
  const key = `${start} ${end} ${clearedBefore} ${ring.keptFrom}`;
  let cache = historyEncodings.get(ring);
  if (cache === undefined) historyEncodings.set(ring, (cache = []));
  const hit = cache.find((e) => e.key === key);
  if (hit) return hit.bytes;
  const { first, lines } = ring.range(start, end);
  const bytes = encodeHostMessage([
    {
      type: 'history',
      first: BigInt(first),
      lines,
      clearedBefore: BigInt(clearedBefore),
      keptFrom: BigInt(ring.keptFrom),
    },
  ]);
  cache.unshift({ key, bytes });
  if (cache.length > HISTORY_ENCODINGS_KEPT) cache.pop();
  return bytes;
}

export class TerminalState implements SyncState<TerminalState> {
  hello: ServerHelloInfo | null;
  history: HistoryMark | null;
  private readonly ring: HistoryRing | null;
  private readonly log: HistoryLog | null;
  channels: ChannelTable | null;
  private readonly channelSource: ChannelSource | null;
  private readonly inbox: ChannelInbox | null;

  /** @param snapshot the framebuffer (immutable; shared freely between states) */
  constructor(
    public snapshot: Snapshot,
    public echoAck = 0n,
    extras: TerminalExtras = {},
  ) {
    this.hello = extras.hello ?? null;
    this.history = extras.history ?? null;
    this.ring = extras.ring ?? null;
    this.log = extras.log ?? null;
    this.channels = extras.channels ?? null;
    this.channelSource = extras.channelSource ?? null;
    this.inbox = extras.inbox ?? null;
  }

  /** State 0 as a client sees it: a blank screen of the client's own size. */
  static initial(cols: number, rows: number, extras: TerminalExtras = {}): TerminalState {
    return new TerminalState(blankSnapshot(cols, rows), 0n, extras);
  }

  private extras(): TerminalExtras {
    return {
      hello: this.hello,
      history: this.history,
      ring: this.ring,
      log: this.log,
      channels: this.channels,
      channelSource: this.channelSource,
      inbox: this.inbox,
    };
  }

  /** This state with another screen and echo-ack, and `extras` replaced (the server's next state; the rest carried over). */
  withScreen(snapshot: Snapshot, echoAck: bigint, extras: TerminalExtras = {}): TerminalState {
    return new TerminalState(snapshot, echoAck, { ...this.extras(), ...extras });
  }

  /** This state with another channel table. */
  withChannels(channels: ChannelTable | null): TerminalState {
    return new TerminalState(this.snapshot, this.echoAck, { ...this.extras(), channels });
  }

  /**
   * Whether this state differs from `older` in its channels only (background traffic, which the sender paces on
   * its own clock so that it never holds back a screen update: TransportSender.isBackground).
   */
  backgroundChangeFrom(older: TerminalState): boolean {
    return (
      !tablesEqual(this.channels, older.channels) &&
      this.echoAck === older.echoAck &&
      (this.hello === null) === (older.hello === null) &&
      historyMarksEqual(this.history, older.history) &&
      (this.snapshot === older.snapshot || snapshotsEqual(this.snapshot, older.snapshot))
    );
  }

  diffFrom(older: TerminalState): Uint8Array {
    const head: HostInstruction[] = [];
    if (this.echoAck !== older.echoAck) head.push({ type: 'echoack', num: this.echoAck });
    const hello = this.hello;
    if (hello !== null && older.hello === null)
      head.push({
        type: 'hello',
        version: hello.version,
        features: [...hello.features],
        historyLines: hello.historyLines,
      });
    // History lines go ahead of the screen diff: the client writes them into its terminal before the new screen.
    let historyBytes: Uint8Array | null = null;
    const h = this.history;
    if (h !== null && this.ring !== null && !historyMarksEqual(h, older.history)) {
      const o = older.history ?? NO_HISTORY;
      let start = o.count;
      if (h.replayEpoch !== o.replayEpoch) start = Math.min(start, h.replayFrom);
      start = Math.max(start, h.count - (hello?.historyLines ?? 0), h.clearedBefore, h.sendFrom ?? 0);
      historyBytes = encodedHistory(this.ring, start, h.count, h.clearedBefore);
    }
    const tail: HostInstruction[] = [];
    if (this.snapshot !== older.snapshot && !snapshotsEqual(this.snapshot, older.snapshot)) {
      if (this.snapshot.cols !== older.snapshot.cols || this.snapshot.rows !== older.snapshot.rows) {
        tail.push({ type: 'resize', width: this.snapshot.cols, height: this.snapshot.rows });
      }
      const bytes = newFrameBytes(true, older.snapshot, this.snapshot, { vocabulary: 'mosh' });
      if (bytes.length > 0) tail.push({ type: 'hostbytes', bytes });
    }
    if (this.channels !== null && this.channels !== older.channels) {
      const u = diffTables(older.channels, this.channels, this.channelSource);
      if (u) tail.push({ type: 'channels', ...u });
    }
    if (historyBytes === null) return encodeHostMessage([...head, ...tail]);
    // A HostMessage is a list of instructions: encoded lists put one after another are the joined list.
    return Buffer.concat([encodeHostMessage(head), historyBytes, encodeHostMessage(tail)]);
  }

  initDiff(): Uint8Array {
    return this.diffFrom(TerminalState.initial(this.snapshot.cols, this.snapshot.rows));
  }

  /**
   * Applies a host diff (client side): the host bytes run through a Framebuffer that starts from this state's
   * snapshot and shares every row they do not touch, so a diff based on an older state costs no more than one
   * based on the newest. History lines go to the client's log.
   */
  apply(diff: Uint8Array): void {
    const list = decodeHostMessage(diff); // throws before anything changes
    let channelParts = 0;
    for (const i of list) {
      if (i.type === 'resize') {
        const problem = screenSizeProblem(i.width, i.height);
        if (problem) throw new ScreenSizeError(`server screen ${problem}`);
      } else if (i.type === 'history') {
        if (i.first > BigInt(Number.MAX_SAFE_INTEGER) || i.clearedBefore > i.first + BigInt(i.lines.length))
          throw new RangeError('history line numbers out of range');
      } else if (i.type === 'channels') {
        if (channelParts++ > 0) throw new RangeError('more than one channel part in a diff');
        checkUpdates(this.channels, i, this.inbox);
      }
    }
    let fb: Framebuffer | null = null;
    for (const i of list) {
      if (i.type === 'echoack') {
        if (i.num > this.echoAck) this.echoAck = i.num;
        continue;
      }
      if (i.type === 'hello') {
        this.hello = { version: i.version, features: i.features, historyLines: i.historyLines };
        continue;
      }
      if (i.type === 'history') {
        const first = Number(i.first);
        this.log?.put(first, i.lines);
        const count = first + i.lines.length;
        const prev = this.history ?? NO_HISTORY;
        this.history = {
          count: Math.max(count, prev.count),
          clearedBefore: Math.max(Number(i.clearedBefore), prev.clearedBefore),
          replayEpoch: 0,
          replayFrom: 0,
        };
        continue;
      }
      if (i.type === 'channels') {
        this.channels = applyUpdates(this.channels, i, this.inbox);
        continue;
      }
      fb ??= Framebuffer.from(this.snapshot);
      if (i.type === 'resize') fb.resize(Math.max(2, i.width), i.height);
      else fb.write(i.bytes);
    }
    if (fb) this.snapshot = fb.snapshot();
  }

  equals(other: TerminalState): boolean {
    return (
      this.echoAck === other.echoAck &&
      (this.hello === null) === (other.hello === null) &&
      historyMarksEqual(this.history, other.history) &&
      tablesEqual(this.channels, other.channels) &&
      (this.snapshot === other.snapshot || snapshotsEqual(this.snapshot, other.snapshot))
    );
  }

  clone(): TerminalState {
    return new TerminalState(this.snapshot, this.echoAck, this.extras());
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
