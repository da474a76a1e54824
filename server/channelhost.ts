// The server's side of the channels (src/statesync/channels.ts): one channel per accepted socket (a connection to
// the forwarded agent's socket: the server opens it, odd ids), or per channel the client opens (even ids) for a
// service this side offers (`service`; none offered: such a channel is ended at once, a refusal the client sees
// as an end). Bytes read from a socket go into the terminal state's channel table as fast as
// the client's credit and the in-flight limit allow, and are kept (a ChannelSource) until the client acknowledged
// a state that has them; the client's channel events (data, credit, close) come from the user stream and are
// written to the socket as long as they stay within the credit this side gave. Everything is bounded: at most
// MAX_CHANNELS channels opened by each side, at most CHANNEL_WINDOW bytes read ahead of the state per channel (then the socket is not
// read until the client catches up), MAX_IN_FLIGHT unacknowledged bytes in all, and at most CHANNEL_WINDOW bytes of
// the client's waiting to be written per channel (a client that sends more has its channel reset).
// Not the listening socket (agentsocket.ts) nor the session's event loop (session.ts).
import {
  CHANNEL_WINDOW,
  type ChannelEventInfo,
  type ChannelMark,
  type ChannelSource,
  type ChannelTable,
  MAX_CHANNELS,
  MAX_IN_FLIGHT,
  serverOpened,
  tablesEqual,
} from '../src/statesync';

/** What a channel needs of its socket (a net.Socket has it; tests use in-memory ones). */
export interface ChannelSocket {
  write(data: Uint8Array): boolean;
  /** Ends the write side; `done` once what was written is flushed. */
  end(done?: () => void): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  readonly writableLength: number;
  on(event: 'data', f: (d: Buffer) => void): unknown;
  on(event: 'end' | 'close', f: () => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
}

interface HostChannel {
  readonly id: number;
  readonly kind: string;
  readonly socket: ChannelSocket;
  /** Our bytes from `base` on: [base, sent) are in the state until acknowledged, [sent, end) read but not yet in it. */
  base: number;
  chunks: Uint8Array[];
  end: number;
  sent: number;
  /** The socket's read side is over (end, close or error). */
  readEnded: boolean;
  /** The state says our side has ended. */
  closed: boolean;
  paused: boolean;
  /** The client's credit for our bytes (absolute offset). */
  peerWindow: number;
  /** The client's bytes received (and written to the socket), and the credit the state shows for them. */
  received: number;
  window: number;
}

export interface ChannelHostOptions {
  /** Something changed (bytes read, a socket ended): run the session's step soon. */
  kick: () => void;
  log?: (line: string) => void;
  /** The socket a channel the client opens for `kind` connects to, or null to refuse it (default: refuse all). */
  service?: (kind: string) => ChannelSocket | null;
}

/** The far end of a refused channel: takes nothing, says nothing (the channel is ended at once). */
const NOWHERE: ChannelSocket = {
  write: () => false,
  end: (done) => done?.(),
  destroy: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
  writableLength: 0,
  on: () => undefined,
};

export class ChannelHost implements ChannelSource {
  private readonly channels = new Map<number, HostChannel>();
  /** Our next channel's id (odd), and the newest id of a channel the client opened (even). */
  private nextId = 1;
  private clientNewest = 0;
  private agentError: string | null = null;
  /** Channels reset because the client broke the rules (for tests and logs). */
  resets = 0;

  constructor(private readonly opts: ChannelHostOptions) {}

  /** Channels open now. */
  get size(): number {
    return this.channels.size;
  }

  /** Agent forwarding was asked for and could not be set up: the client is told why, in the state. */
  setAgentError(text: string): void {
    this.agentError = text;
  }

  /** A new connection: a channel of `kind` we open, or false (the socket is closed) when MAX_CHANNELS are open. */
  accept(socket: ChannelSocket, kind: string): boolean {
    if (this.opened(true) >= MAX_CHANNELS) {
      this.opts.log?.(`refused a ${kind} connection: ${MAX_CHANNELS} channels are open`);
      socket.destroy();
      return false;
    }
    this.add(this.nextId, kind, socket);
    this.nextId += 2;
    return true;
  }

  /** Channels open that `server` (true) or the client (false) opened. */
  private opened(server: boolean): number {
    let n = 0;
    for (const id of this.channels.keys()) if (serverOpened(id) === server) n++;
    return n;
  }

  private add(id: number, kind: string, socket: ChannelSocket): HostChannel {
    const ch: HostChannel = {
      id,
      kind,
      socket,
      base: 0,
      chunks: [],
      end: 0,
      sent: 0,
      readEnded: false,
      closed: false,
      paused: false,
      peerWindow: CHANNEL_WINDOW,
      received: 0,
      window: CHANNEL_WINDOW,
    };
    this.channels.set(ch.id, ch);
    if (socket === NOWHERE) {
      ch.readEnded = true;
      this.opts.kick();
      return ch;
    }
    socket.on('data', (d: Buffer) => {
      if (ch.readEnded || this.channels.get(ch.id) !== ch) return;
      ch.chunks.push(d);
      ch.end += d.length;
      if (ch.end - ch.sent >= CHANNEL_WINDOW && !ch.paused) {
        ch.paused = true;
        socket.pause();
      }
      this.opts.kick();
    });
    const ended = () => {
      if (ch.readEnded) return;
      ch.readEnded = true;
      this.opts.kick();
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', ended);
    this.opts.kick();
    return ch;
  }

  /** A channel event of the client's (from the user stream, in order, once each). */
  event(e: ChannelEventInfo | 'bad'): void {
    if (e === 'bad') {
      // Unreadable: the channel it was for cannot be known. Its stream now has a hole, which the next event of
      // that channel reveals (its offset), and that channel is reset then.
      this.opts.log?.('ignored a malformed channel event');
      return;
    }
    if (e.open !== undefined && !this.open(e.id, e.open)) return;
    const ch = this.channels.get(e.id);
    if (!ch) return; // over (closed or reset): its late events are expected
    if (e.data.length > 0) {
      if (e.offset !== ch.received) return this.reset(ch, `bytes from ${e.offset}, expected ${ch.received}`);
      if (ch.received + e.data.length > ch.window) return this.reset(ch, 'bytes beyond the credit given');
      ch.received += e.data.length;
      ch.socket.write(e.data);
    }
    if (e.window !== undefined && e.window > ch.peerWindow) ch.peerWindow = e.window;
    if (e.close) this.drop(ch, false);
  }

  /**
   * Whether update(..., moveBytes) would move bytes into the state now: some are read and not in it yet, within
   * the client's credit and MAX_IN_FLIGHT counted from `acked` (the owner then wakes when a background frame may go).
   */
  canMove(acked: ChannelTable | null): boolean {
    let budget = MAX_IN_FLIGHT;
    let movable = false;
    for (const ch of this.channels.values()) {
      budget -= ch.sent - Math.min(ch.sent, acked?.marks.get(ch.id)?.sent ?? 0);
      if (ch.end > ch.sent && ch.peerWindow > ch.sent) movable = true;
    }
    return movable && budget > 0;
  }

  /**
   * The client opens channel `id` for `kind`: connected to our service for it, or refused (ended at once). An open
   * that breaks the rules (an odd id, one not above the client's earlier ones, more than MAX_CHANNELS of the
   * client's open) is ignored, and so are the events that follow for it.
   */
  private open(id: number, kind: string): boolean {
    if (serverOpened(id) || id <= this.clientNewest || this.opened(false) >= MAX_CHANNELS) {
      this.opts.log?.(`ignored the client's open of channel ${id}`);
      return false;
    }
    this.clientNewest = id;
    const socket = this.opts.service?.(kind) ?? null;
    if (!socket) this.opts.log?.(`refused the client's ${kind} channel`);
    this.add(id, kind, socket ?? NOWHERE);
    return true;
  }

  /**
   * The channel table for the next state: bytes move from the sockets into it (if `moveBytes`: the owner adds them
   * only when a background frame may leave, so they never ride on a keystroke's echo) within the client's credit
   * and MAX_IN_FLIGHT (counted from `acked`, the state the client has acknowledged, whose bytes are no longer
   * kept), ends and credit are updated, channels the client closed are gone. Returns `current` itself when nothing
   * changed; null while there were never channels.
   */
  update(current: ChannelTable | null, acked: ChannelTable | null, moveBytes = true): ChannelTable | null {
    for (const ch of this.channels.values()) this.prune(ch, acked?.marks.get(ch.id)?.sent ?? 0);
    let budget = moveBytes ? MAX_IN_FLIGHT : 0;
    for (const ch of this.channels.values()) budget -= ch.sent - Math.min(ch.sent, acked?.marks.get(ch.id)?.sent ?? 0);
    const marks = new Map<number, ChannelMark>();
    for (const ch of this.channels.values()) {
      const more = Math.max(0, Math.min(ch.end - ch.sent, ch.peerWindow - ch.sent, budget));
      ch.sent += more;
      budget -= more;
      if (ch.readEnded && ch.sent === ch.end) ch.closed = true;
      const flushed = ch.received - ch.socket.writableLength;
      if (flushed + CHANNEL_WINDOW - ch.window >= CHANNEL_WINDOW / 4) ch.window = flushed + CHANNEL_WINDOW;
      if (ch.paused && !ch.readEnded && ch.end - ch.sent < CHANNEL_WINDOW / 2) {
        ch.paused = false;
        ch.socket.resume();
      }
      marks.set(ch.id, { kind: ch.kind, sent: ch.sent, closed: ch.closed, window: ch.window });
    }
    if (marks.size === 0 && this.agentError === null && (current === null || current.marks.size === 0)) return current;
    const next: ChannelTable = { marks, agentError: this.agentError };
    return current !== null && tablesEqual(current, next) ? current : next;
  }

  /** Bytes [from, to) of channel `id`, for a diff (ChannelSource). Throws if they are no longer kept. */
  bytes(id: number, from: number, to: number): Uint8Array {
    const ch = this.channels.get(id);
    if (!ch || from < ch.base || to > ch.end) throw new RangeError(`channel ${id}: bytes ${from}..${to} are not kept`);
    const out = new Uint8Array(to - from);
    let at = ch.base;
    let n = 0;
    for (const c of ch.chunks) {
      const cEnd = at + c.length;
      if (cEnd > from && at < to) {
        const s = Math.max(from, at) - at;
        const e = Math.min(to, cEnd) - at;
        out.set(c.subarray(s, e), n);
        n += e - s;
      }
      at = cEnd;
      if (at >= to) break;
    }
    return out;
  }

  /** Bytes held for all channels (read ahead of the state, or in it and not yet acknowledged). */
  get buffered(): number {
    let n = 0;
    for (const ch of this.channels.values()) n += ch.end - ch.base;
    return n;
  }

  /** Ends every channel (the session is over). */
  closeAll(): void {
    for (const ch of [...this.channels.values()]) this.drop(ch, true);
  }

  /** Forgets bytes before `upTo` (the client has them). */
  private prune(ch: HostChannel, upTo: number): void {
    while (ch.chunks.length > 0 && ch.base + ch.chunks[0].length <= upTo) ch.base += ch.chunks.shift()!.length;
    if (ch.chunks.length > 0 && upTo > ch.base) {
      ch.chunks[0] = ch.chunks[0].subarray(upTo - ch.base);
      ch.base = upTo;
    }
  }

  private reset(ch: HostChannel, why: string): void {
    this.resets++;
    this.opts.log?.(`channel ${ch.id} reset: ${why}`);
    this.drop(ch, true);
  }

  /** The channel is over: the socket is ended (after what was written to it) or destroyed, the channel forgotten. */
  private drop(ch: HostChannel, destroy: boolean): void {
    this.channels.delete(ch.id);
    ch.chunks = [];
    ch.readEnded = true;
    if (destroy) ch.socket.destroy();
    else {
      // What it still sends is not wanted: the socket goes once what was written to it is flushed.
      ch.socket.on('error', () => undefined);
      ch.socket.end(() => ch.socket.destroy());
      if (ch.paused) ch.socket.resume();
    }
    this.opts.kick();
  }
}
