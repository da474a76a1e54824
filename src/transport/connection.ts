// The packet layer of one mosh "connection" (mosh-protocol.md section 3): owns the UDP socket(s), the send
// sequence counter (so no nonce is ever reused), the 16-bit timestamp exchange and RTT estimate, replay/order
// checks, server-side roaming and client-side port hopping. It moves opaque payloads (fragments); it knows
// nothing of instructions or states. Sockets and clock are injected so tests can run it without a network.

import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from './clock';
import {
  MAX_SEQ,
  OPEN_FAILURE_TEXT,
  type OpenFailure,
  openPacket,
  sealPacket,
  TIMESTAMP_NONE,
  timestamp16,
  timestampDiff,
  TO_CLIENT,
  TO_SERVER,
} from './datagram';
import { MTU_FALLBACK, MTU_IPV4, MTU_IPV6 } from './fragment';
import type { Aead } from './ocb';
import { RttEstimator, type RttSnapshot } from './rtt';

export const TIMESTAMP_REPLY_FRESHNESS = 1000;
export const SERVER_ASSOCIATION_TIMEOUT = 40000;
export const PORT_HOP_INTERVAL = 10000;
export const MAX_PORTS_OPEN = 10;
export const MAX_OLD_SOCKET_AGE = 60000;

export interface Endpoint {
  address: string;
  port: number;
}

/** The part of a UDP socket the connection uses (node's dgram.Socket fits). */
export interface PacketSocket {
  send(msg: Buffer, port: number, address: string, callback: (err: Error | null) => void): void;
  close(): void;
}

/** Opens a client socket on an ephemeral port; received datagrams go to `onMessage`. */
export type SocketFactory = (family: 'udp4' | 'udp6', onMessage: (msg: Buffer, from: Endpoint) => void) => PacketSocket;

/** Node's dgram, binding implicitly on first send. Socket errors are reported through send callbacks. */
export const nodeSocketFactory: SocketFactory = (family, onMessage) =>
  adapt(dgram.createSocket({ type: family }), onMessage);

export interface SavedConnection {
  /** The next sequence number this connection would have used. */
  nextSeq: string;
  expectedReceiverSeq: string;
  rtt: RttSnapshot;
}

export interface ConnectionStats {
  sent: number;
  received: number;
  outOfOrder: number;
  dropped: Record<OpenFailure | 'wrong-direction', number>;
  roams: number;
  portHops: number;
  sendErrors: number;
  /** Datagrams not sent because they would have used a sequence number at or past the send limit. */
  heldAtLimit: number;
}

interface ClientSocket {
  socket: PacketSocket;
  openedAt: number;
}

export type ConnectionEvent =
  | { type: 'roam'; to: Endpoint }
  | { type: 'detached' }
  | { type: 'port-hop'; sockets: number }
  | { type: 'drop'; reason: OpenFailure | 'wrong-direction'; text: string }
  | { type: 'send-error'; text: string };

interface CommonOptions {
  aead: Aead;
  clock: Clock;
  /** First sequence number to send (a restored client continues beyond every number it used). */
  firstSeq?: bigint;
  onEvent?: (e: ConnectionEvent) => void;
}

export interface ClientOptions extends CommonOptions {
  server: Endpoint;
  socketFactory?: SocketFactory;
}

export interface ServerOptions extends CommonOptions {
  /** The bound server socket (see bindServerSocket). Datagrams must be fed to `receive`. */
  socket: PacketSocket;
  family: 'udp4' | 'udp6';
}

export class Connection {
  readonly isServer: boolean;
  readonly rtt = new RttEstimator();
  readonly stats: ConnectionStats = {
    sent: 0,
    received: 0,
    outOfOrder: 0,
    dropped: { 'too-short': 0, oversize: 0, integrity: 0, 'no-timestamps': 0, 'wrong-direction': 0 },
    roams: 0,
    portHops: 0,
    sendErrors: 0,
    heldAtLimit: 0,
  };
  mtu: number;
  /**
   * Sequence numbers at or past this are never used (null: no limit). A side whose session may be continued from
   * a saved copy sets it to the lowest sequence floor any saved copy holds, so this process and a restored one
   * can never seal two datagrams with one nonce. A datagram that would cross it is not sent (as if it were lost).
   */
  sendLimit: bigint | null = null;

  private readonly aead: Aead;
  private readonly clock: Clock;
  private readonly onEvent: (e: ConnectionEvent) => void;
  private nextSeq: bigint;
  private expectedReceiverSeq = 0n;
  private savedTimestamp: number | null = null;
  private savedTimestampReceivedAt = 0;
  private remote: Endpoint | null;
  private remoteAttached: boolean;
  private lastHeardAt: number | null = null;
  private lastSendErrorText: string | null = null;
  private lastSendErrorAt = 0;

  // server
  private readonly serverSocket: PacketSocket | null;
  // client
  private readonly sockets: ClientSocket[] = [];
  private readonly socketFactory: SocketFactory | null;
  private readonly family: 'udp4' | 'udp6';
  private lastPortChoice: number;
  private lastRoundtripSuccess: number | null = null;
  private closed = false;
  private inflight = 0;
  private closedResolve: (() => void) | null = null;
  private closedPromise: Promise<void> | null = null;

  private constructor(opts: CommonOptions, server: ServerOptions | null, client: ClientOptions | null) {
    this.aead = opts.aead;
    this.clock = opts.clock;
    this.onEvent = opts.onEvent ?? (() => undefined);
    this.nextSeq = opts.firstSeq ?? 0n;
    this.lastPortChoice = this.clock.now();
    if (server) {
      this.isServer = true;
      this.serverSocket = server.socket;
      this.socketFactory = null;
      this.family = server.family;
      this.remote = null;
      this.remoteAttached = false;
    } else {
      this.isServer = false;
      this.serverSocket = null;
      this.socketFactory = client!.socketFactory ?? nodeSocketFactory;
      this.remote = { ...client!.server };
      this.family = isIPv6(this.remote.address) ? 'udp6' : 'udp4';
      this.remoteAttached = true;
      this.hopPort();
    }
    this.mtu = this.family === 'udp6' ? MTU_IPV6 : MTU_IPV4;
  }

  static client(opts: ClientOptions): Connection {
    return new Connection(opts, null, opts);
  }

  static server(opts: ServerOptions): Connection {
    return new Connection(opts, opts, null);
  }

  /** The sequence number the next datagram will use. Every number below it has been used. */
  get sequence(): bigint {
    return this.nextSeq;
  }

  /** Whether there is a peer to send to (the server has none until the first authentic datagram). */
  hasRemoteAddr(): boolean {
    return this.remoteAttached;
  }

  remoteAddr(): Endpoint | null {
    return this.remote ? { ...this.remote } : null;
  }

  /** Time of the last authentic, in-order datagram, or null. */
  lastHeard(): number | null {
    return this.lastHeardAt;
  }

  /** Retransmission timeout in ms. */
  timeout(): number {
    return this.rtt.rto();
  }

  srtt(): number {
    return this.rtt.srtt;
  }

  /** The last send error, if one happened in the last `withinMs`. */
  sendError(withinMs = 3100): string | null {
    if (this.lastSendErrorText && this.clock.now() - this.lastSendErrorAt < withinMs) return this.lastSendErrorText;
    return null;
  }

  /** Told by the transport after each instruction: send time of the newest state the peer acknowledged. */
  setLastRoundtripSuccess(t: number): void {
    this.lastRoundtripSuccess = t;
  }

  /** Number of client sockets currently open (1 on the server). */
  socketCount(): number {
    return this.isServer ? 1 : this.sockets.length;
  }

  /** Seals and sends one payload (a fragment). A no-op while the server has no client. */
  send(payload: Buffer): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (
      this.isServer &&
      this.remoteAttached &&
      this.lastHeardAt !== null &&
      now - this.lastHeardAt > SERVER_ASSOCIATION_TIMEOUT
    ) {
      this.remoteAttached = false;
      this.onEvent({ type: 'detached' });
    }
    if (!this.remoteAttached || !this.remote) return;
    if (this.nextSeq > MAX_SEQ) throw new Error('sequence numbers exhausted for this key; the session must end');
    if (this.sendLimit !== null && this.nextSeq >= this.sendLimit) {
      this.stats.heldAtLimit++;
      return;
    }

    let reply = TIMESTAMP_NONE;
    if (this.savedTimestamp !== null && now - this.savedTimestampReceivedAt < TIMESTAMP_REPLY_FRESHNESS) {
      reply = timestamp16(this.savedTimestamp + (now - this.savedTimestampReceivedAt));
      this.savedTimestamp = null;
    }
    const seq = this.nextSeq;
    this.nextSeq += 1n;
    const datagram = sealPacket(this.aead, {
      direction: this.isServer ? TO_CLIENT : TO_SERVER,
      seq,
      timestamp: timestamp16(now),
      timestampReply: reply,
      payload,
    });
    const sock = this.isServer ? this.serverSocket! : this.sockets[this.sockets.length - 1].socket;
    const { address, port } = this.remote;
    this.stats.sent++;
    this.inflight++;
    sock.send(datagram, port, address, (err) => {
      this.inflight--;
      if (this.closed && this.inflight === 0) this.closeSockets();
      if (!err) return;
      this.stats.sendErrors++;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EMSGSIZE') this.mtu = MTU_FALLBACK;
      this.lastSendErrorText = `sendto: ${err.message}`;
      this.lastSendErrorAt = this.clock.now();
      this.onEvent({ type: 'send-error', text: this.lastSendErrorText });
    });

    if (!this.isServer) {
      const t = this.clock.now();
      if (
        t - this.lastPortChoice > PORT_HOP_INTERVAL &&
        (this.lastRoundtripSuccess === null || t - this.lastRoundtripSuccess > PORT_HOP_INTERVAL)
      ) {
        this.hopPort();
      }
    }
  }

  /**
   * Opens one received datagram. Returns the payload (a fragment) of an authentic datagram, in order or not,
   * or null if it was dropped. Only an authentic datagram with a fresh sequence number updates timestamps,
   * RTT, last-heard and (server) the peer address.
   */
  receive(datagram: Buffer, from: Endpoint): Buffer | null {
    if (this.closed) return null;
    const opened = openPacket(this.aead, datagram);
    if (!opened.ok) {
      this.drop(opened.reason);
      return null;
    }
    const p = opened.packet;
    if (p.direction !== (this.isServer ? TO_SERVER : TO_CLIENT)) {
      this.drop('wrong-direction');
      return null;
    }
    this.stats.received++;
    const now = this.clock.now();
    if (p.seq >= this.expectedReceiverSeq) {
      this.expectedReceiverSeq = p.seq + 1n;
      if (p.timestamp !== TIMESTAMP_NONE) {
        this.savedTimestamp = p.timestamp;
        this.savedTimestampReceivedAt = now;
      }
      if (p.timestampReply !== TIMESTAMP_NONE) {
        this.rtt.sample(timestampDiff(timestamp16(now), p.timestampReply));
      }
      this.remoteAttached = true;
      this.lastHeardAt = now;
      if (this.isServer && (!this.remote || this.remote.address !== from.address || this.remote.port !== from.port)) {
        this.remote = { address: from.address, port: from.port };
        this.stats.roams++;
        this.onEvent({ type: 'roam', to: { ...this.remote } });
      }
    } else {
      this.stats.outOfOrder++;
    }
    if (!this.isServer) this.pruneSockets(now);
    return p.payload;
  }

  /**
   * Stops sending and receiving. Datagrams already handed to a socket (e.g. the last shutdown ack) are flushed
   * first; the promise resolves when the sockets are closed (at most `flushMs` later).
   */
  close(flushMs = 500): Promise<void> {
    if (!this.closedPromise) {
      this.closed = true;
      this.closedPromise = new Promise((resolve) => (this.closedResolve = resolve));
      if (this.inflight === 0) this.closeSockets();
      else setTimeout(() => this.closeSockets(), flushMs).unref();
    }
    return this.closedPromise;
  }

  private closeSockets(): void {
    if (!this.closedResolve) return;
    for (const s of this.sockets.splice(0)) s.socket.close();
    this.serverSocket?.close();
    this.closedResolve();
    this.closedResolve = null;
  }

  /** What a new process needs to continue this connection (session resume). */
  save(): SavedConnection {
    return {
      nextSeq: this.nextSeq.toString(),
      expectedReceiverSeq: this.expectedReceiverSeq.toString(),
      rtt: this.rtt.snapshot(),
    };
  }

  /** Continues a saved connection's receive side and RTT estimate (the send side starts at `firstSeq`). */
  restore(saved: SavedConnection): void {
    this.expectedReceiverSeq = BigInt(saved.expectedReceiverSeq);
    this.rtt.restore(saved.rtt);
  }

  private drop(reason: OpenFailure | 'wrong-direction'): void {
    this.stats.dropped[reason]++;
    const text =
      reason === 'wrong-direction'
        ? 'Datagram in the wrong direction (a replay of our own?).'
        : OPEN_FAILURE_TEXT[reason];
    this.onEvent({ type: 'drop', reason, text });
  }

  private hopPort(): void {
    const now = this.clock.now();
    const socket = this.socketFactory!(this.family, (msg, from) => this.onSocketMessage(msg, from));
    this.sockets.push({ socket, openedAt: now });
    this.lastPortChoice = now;
    while (this.sockets.length > MAX_PORTS_OPEN) this.sockets.shift()!.socket.close();
    if (this.sockets.length > 1) {
      this.stats.portHops++;
      this.onEvent({ type: 'port-hop', sockets: this.sockets.length });
    }
  }

  private pruneSockets(now: number): void {
    if (this.sockets.length > 1 && now - this.lastPortChoice > MAX_OLD_SOCKET_AGE) {
      for (const s of this.sockets.splice(0, this.sockets.length - 1)) s.socket.close();
    }
  }

  /** Client sockets deliver here; the owner (transport) installs the handler. */
  onSocketMessage: (msg: Buffer, from: Endpoint) => void = () => undefined;
}

/** Adapts a node dgram socket to PacketSocket, delivering datagrams to `onMessage`. */
function adapt(s: dgram.Socket, onMessage: (msg: Buffer, from: Endpoint) => void): PacketSocket {
  s.on('message', (msg, rinfo) => onMessage(msg, { address: stripMapped(rinfo.address), port: rinfo.port }));
  s.on('error', () => {
    /* send errors arrive through send callbacks; a socket error here must not crash the process */
  });
  return {
    send: (msg, port, address, cb) => s.send(msg, port, address, (err) => cb(err ?? null)),
    close: () => {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    },
  };
}

/**
 * Binds the server socket (mosh-protocol.md section 3.7): a range [low, high] is scanned in order ([0, 0] =
 * ephemeral). Tries `address` first, then the wildcard (dual-stack IPv6, else IPv4). Resolves with the socket,
 * its family and the bound port.
 */
export async function bindServerSocket(opts: {
  address?: string;
  ports: [number, number];
  onMessage: (msg: Buffer, from: Endpoint) => void;
  onBindError?: (text: string) => void;
}): Promise<{ socket: PacketSocket; family: 'udp4' | 'udp6'; port: number; address: string }> {
  let lastError: Error | null = null;
  const attempts: { family: 'udp4' | 'udp6'; address?: string }[] = opts.address
    ? [
        { family: isIPv6(opts.address) ? 'udp6' : 'udp4', address: opts.address },
        { family: 'udp6' },
        { family: 'udp4' },
      ]
    : [{ family: 'udp6' }, { family: 'udp4' }];
  for (const [i, attempt] of attempts.entries()) {
    const [low, high] = opts.ports;
    for (let port = low; port <= high; port++) {
      try {
        const s = await tryBind(attempt.family, attempt.address, port);
        const bound = s.address();
        return { socket: adapt(s, opts.onMessage), family: attempt.family, port: bound.port, address: bound.address };
      } catch (e) {
        lastError = e as Error;
      }
    }
    if (i === 0 && attempt.address)
      opts.onBindError?.(`Error binding to IP ${attempt.address}: ${lastError?.message ?? 'unknown error'}`);
  }
  throw new Error(
    `could not bind a UDP port in ${opts.ports[0]}:${opts.ports[1]}: ${lastError?.message ?? 'unknown error'}`,
  );
}

function stripMapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function tryBind(family: 'udp4' | 'udp6', address: string | undefined, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: family, ipv6Only: false });
    const onError = (err: Error) => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind({ port, address, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}
