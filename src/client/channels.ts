// The client's side of the channels (src/statesync/channels.ts): for each channel the server opens (a program on
// the remote host connected to the forwarded agent's socket), a local stream (the relay to the user's agent,
// agentrelay.ts) that gets the server's bytes from the inbox, while what the local stream says goes back to the
// server as channel events in the user stream. The client opens channels too (openLocal: a local stream for a
// service on the server's side), with even ids; until the server's table has one, it sends within the initial
// credit. Credit both ways and the in-flight limit keep every buffer bounded:
// the inbox holds at most CHANNEL_WINDOW bytes per channel (the credit this side gives), a local stream is written
// only while its own buffer is below LOCAL_WRITE_LIMIT, a local stream is not read while CHANNEL_WINDOW of its
// bytes wait, and at most MAX_IN_FLIGHT bytes of events are unacknowledged (so keystrokes never wait behind a big
// diff). Not the wire (channelwire.ts), the local agent (agentrelay.ts), nor the transport (moshclient.ts runs this
// once per wake-up).
import {
  CHANNEL_WINDOW,
  type ChannelInbox,
  type ChannelTable,
  encodeChannelEvent,
  MAX_CHANNELS,
  MAX_EVENT_DATA,
  MAX_IN_FLIGHT,
  serverOpened,
} from '../statesync';

/** A channel's local end (a net.Socket has all this; tests use in-memory ones). */
export interface LocalStream {
  write(data: Uint8Array): boolean;
  /** Ends the write side. */
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  readonly writableLength: number;
  on(event: 'data', f: (d: Buffer) => void): unknown;
  on(event: 'end' | 'close', f: () => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
}

/** Opens the local end of a new channel of `kind` (at once, or once it connected), or null to refuse it. */
export type ChannelOpener = (kind: string) => LocalStream | Promise<LocalStream> | null;

/** Bytes a local stream may have waiting to be written before the inbox keeps the rest. */
export const LOCAL_WRITE_LIMIT = CHANNEL_WINDOW;
/** After the server's side ended and the local stream was ended, how long it may take to close in turn. */
export const LOCAL_END_GRACE_MS = 5000;

interface ClientChannel {
  readonly id: number;
  stream: LocalStream | null;
  /** Our bytes read from the stream, not yet in the user stream. */
  pending: Uint8Array[];
  pendingLength: number;
  /** Our bytes put into the user stream so far. */
  pushed: number;
  paused: boolean;
  /** The stream's read side is over. */
  localEnded: boolean;
  /** The server's side ended and the stream was ended after its last byte. */
  endedLocal: boolean;
  /** The credit given to the server (absolute offset of its bytes). */
  windowGiven: number;
  /** Our close event is in the user stream: the channel waits only for the server to forget it. */
  closeSent: boolean;
  /** The server's table has had it (always, for the server's channels; for ours, once it took our open). */
  known: boolean;
  /** The user stream's event count once our close was in it. */
  closeAt: number;
}

/** How far a restored client's own channel ids jump past the newest it knows of (its original may have opened more). */
const RESTORED_ID_GAP = 1 << 20;

export interface ChannelManagerOptions {
  inbox: ChannelInbox;
  /** Opens a local stream for a new channel (null: refuse every channel). */
  open: ChannelOpener | null;
  /** Appends an extension event to the user stream; returns the stream's event count after it. */
  push: (event: Uint8Array) => number;
  /** Something happened on a local stream: run the client's step soon. */
  kick: () => void;
  log?: (line: string) => void;
}

export class ChannelManager {
  private readonly channels = new Map<number, ClientChannel>();
  /** The server's channels up to this id have been seen (opened, refused or adopted). */
  private newest = -1;
  /** Our next channel's id (even). */
  private nextOwn = 2;
  /** Our data events not yet acknowledged: the stream count once each was pushed, and its bytes. */
  private inFlight: { at: number; bytes: number }[] = [];
  private disposed = false;
  /** Channels opened so far (for tests and logs). */
  opened = 0;

  constructor(private readonly o: ChannelManagerOptions) {}

  /** Open channels (with a local stream, or waiting for the server to forget them). */
  get size(): number {
    return this.channels.size;
  }

  /** Our unacknowledged bytes in the user stream. */
  get bytesInFlight(): number {
    return this.inFlight.reduce((n, e) => n + e.bytes, 0);
  }

  /**
   * A restored client: the channels of the saved states belong to a process that is gone. Each is closed, and
   * their bytes are ignored.
   */
  adopt(tables: (ChannelTable | null)[]): void {
    let max = this.newest;
    const ids = new Set<number>();
    for (const t of tables) for (const id of t?.marks.keys() ?? []) ids.add(id);
    for (const id of ids) {
      max = Math.max(max, id);
      this.o.push(encodeChannelEvent({ id, offset: 0, data: new Uint8Array(0), close: true }));
      this.channels.set(id, this.closedChannel(id));
    }
    this.newest = max;
    this.o.inbox.retire(max);
    // Our own ids go on well past any the process we continue may have used (it may have opened some after its save).
    const ownFrom = Math.max(this.nextOwn, max + RESTORED_ID_GAP);
    this.nextOwn = ownFrom + (ownFrom % 2);
  }

  /**
   * Opens a channel from this side, for a service of `kind` on the server's side, with `stream` as its local end.
   * Returns its id, or null (the stream is destroyed) when MAX_CHANNELS of ours are open.
   */
  openLocal(kind: string, stream: LocalStream): number | null {
    let own = 0;
    for (const id of this.channels.keys()) if (!serverOpened(id)) own++;
    if (this.disposed || own >= MAX_CHANNELS) {
      stream.destroy();
      return null;
    }
    const id = this.nextOwn;
    this.nextOwn += 2;
    this.o.push(encodeChannelEvent({ id, offset: 0, data: new Uint8Array(0), close: false, open: kind }));
    const ch = this.newChannel(id, false);
    this.channels.set(id, ch);
    this.opened++;
    this.attach(ch, stream);
    return id;
  }

  /**
   * Whether step(..., moveBytes) would put bytes into the user stream now (some wait, within the server's credit
   * and MAX_IN_FLIGHT): the owner then wakes when a background frame may leave.
   */
  canMove(latest: ChannelTable | null): boolean {
    if (this.disposed || MAX_IN_FLIGHT - this.bytesInFlight <= 0) return false;
    for (const ch of this.channels.values()) {
      const m = latest?.marks.get(ch.id);
      if ((m || !ch.known) && !ch.closeSent && ch.pendingLength > 0 && ch.pushed < (m?.window ?? CHANNEL_WINDOW))
        return true;
    }
    return false;
  }

  /**
   * One turn: follows the newest server state's channels (`latest`), given how far the server has acknowledged
   * the user stream (`ackedCount`, the event count of the newest acknowledged state). Our bytes go into the user
   * stream only if `moveBytes` (the owner says so when a background frame may leave, so they never ride on a
   * keystroke); credit and closes go at once (a few bytes).
   */
  step(latest: ChannelTable | null, ackedCount: number, moveBytes = true): void {
    if (this.disposed) return;
    while (this.inFlight.length > 0 && this.inFlight[0].at <= ackedCount) this.inFlight.shift();
    const marks = latest?.marks;
    if (marks) {
      const fresh = [...marks.keys()].filter((id) => serverOpened(id) && id > this.newest).sort((a, b) => a - b);
      for (const id of fresh) {
        const m = marks.get(id)!;
        this.newest = id;
        this.openChannel(id, m.kind, m.closed && m.sent === 0);
      }
    }
    let budget = moveBytes ? MAX_IN_FLIGHT - this.bytesInFlight : 0;
    for (const ch of [...this.channels.values()]) {
      const m = marks?.get(ch.id);
      if (m) ch.known = true;
      else if (ch.known || (ch.closeSent && ackedCount >= ch.closeAt)) {
        // The server forgot it (after our close, or it reset it), or (one of ours it never showed) it has our close.
        this.forget(ch);
        continue;
      }
      // One of ours the server has not taken yet: the initial credit, nothing of the server's yet.
      const serverWindow = m?.window ?? CHANNEL_WINDOW;
      if (ch.closeSent) continue;
      const inbox = this.o.inbox;
      // The server's bytes to the local stream, while it takes them.
      if (ch.stream && m) {
        while (inbox.held(ch.id) > 0 && ch.stream.writableLength < LOCAL_WRITE_LIMIT)
          ch.stream.write(inbox.take(ch.id, LOCAL_WRITE_LIMIT - ch.stream.writableLength));
        if (m.closed && !ch.endedLocal && inbox.delivered(ch.id) >= m.sent && inbox.held(ch.id) === 0) {
          ch.endedLocal = true;
          ch.stream.end();
          // The remote program is gone; a local end that does not close in turn is closed from here after a while.
          setTimeout(() => {
            if (ch.localEnded) return;
            ch.localEnded = true;
            this.o.kick();
          }, LOCAL_END_GRACE_MS).unref();
        }
      }
      // Credit for the server: what we took plus the window, said again once a quarter of it was used.
      const window = inbox.delivered(ch.id) + CHANNEL_WINDOW;
      let give: number | undefined = window - ch.windowGiven >= CHANNEL_WINDOW / 4 ? window : undefined;
      if (give !== undefined) ch.windowGiven = give;
      // Our bytes to the server, within its credit and the in-flight limit.
      while (ch.pendingLength > 0 && budget > 0 && ch.pushed < serverWindow) {
        const n = Math.min(ch.pendingLength, serverWindow - ch.pushed, budget, MAX_EVENT_DATA);
        const data = this.takePending(ch, n);
        const at = this.o.push(encodeChannelEvent({ id: ch.id, offset: ch.pushed, data, window: give, close: false }));
        give = undefined;
        ch.pushed += n;
        budget -= n;
        this.inFlight.push({ at, bytes: n });
      }
      const done = ch.localEnded && ch.pendingLength === 0;
      if (give !== undefined || done) {
        const at = this.o.push(
          encodeChannelEvent({ id: ch.id, offset: ch.pushed, data: new Uint8Array(0), window: give, close: done }),
        );
        if (done) ch.closeAt = at;
      }
      if (done) this.closeSent(ch);
      else if (ch.paused && ch.pendingLength < CHANNEL_WINDOW / 2) {
        ch.paused = false;
        ch.stream?.resume();
      }
    }
  }

  /** Ends every local stream (the session is over). */
  dispose(): void {
    this.disposed = true;
    for (const ch of this.channels.values()) ch.stream?.destroy();
    this.channels.clear();
  }

  private newChannel(id: number, known: boolean): ClientChannel {
    return {
      id,
      stream: null,
      pending: [],
      pendingLength: 0,
      pushed: 0,
      paused: false,
      localEnded: false,
      endedLocal: false,
      windowGiven: CHANNEL_WINDOW,
      closeSent: false,
      known,
      closeAt: Infinity,
    };
  }

  private closedChannel(id: number): ClientChannel {
    return { ...this.newChannel(id, true), localEnded: true, endedLocal: true, closeSent: true };
  }

  private openChannel(id: number, kind: string, over: boolean): void {
    const opening = over || this.o.open === null ? null : this.o.open(kind);
    if (opening === null) {
      // Refused (a kind this client does not take, forwarding not asked for) or over before it began.
      if (!over) this.o.log?.(`refused a ${kind} channel from the server`);
      this.o.push(encodeChannelEvent({ id, offset: 0, data: new Uint8Array(0), close: true }));
      this.channels.set(id, this.closedChannel(id));
      this.o.inbox.finish(id);
      return;
    }
    const ch = this.newChannel(id, true);
    this.channels.set(id, ch);
    this.opened++;
    if (!(opening instanceof Promise)) return this.attach(ch, opening);
    opening.then(
      (stream) => this.attach(ch, stream),
      () => {
        ch.localEnded = true;
        this.o.kick();
      },
    );
  }

  /** `stream` is the channel's local end from now on. */
  private attach(ch: ClientChannel, stream: LocalStream): void {
    if (this.disposed || ch.closeSent) {
      stream.destroy();
      return;
    }
    ch.stream = stream;
    stream.on('data', (d: Buffer) => {
      if (ch.localEnded) return;
      ch.pending.push(d);
      ch.pendingLength += d.length;
      if (ch.pendingLength >= CHANNEL_WINDOW && !ch.paused) {
        ch.paused = true;
        stream.pause();
      }
      this.o.kick();
    });
    const ended = () => {
      if (ch.localEnded) return;
      ch.localEnded = true;
      this.o.kick();
    };
    stream.on('end', ended);
    stream.on('close', ended);
    stream.on('error', ended);
    this.o.kick();
  }

  private takePending(ch: ClientChannel, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const p = ch.pending[0];
      const k = Math.min(p.length, n - at);
      out.set(p.subarray(0, k), at);
      at += k;
      if (k === p.length) ch.pending.shift();
      else ch.pending[0] = p.subarray(k);
    }
    ch.pendingLength -= n;
    return out;
  }

  private closeSent(ch: ClientChannel): void {
    ch.closeSent = true;
    ch.pending = [];
    ch.pendingLength = 0;
    ch.stream?.destroy();
    ch.stream = null;
    this.o.inbox.finish(ch.id);
  }

  private forget(ch: ClientChannel): void {
    ch.stream?.destroy();
    this.channels.delete(ch.id);
    this.o.inbox.finish(ch.id);
  }
}
