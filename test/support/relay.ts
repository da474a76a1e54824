// Userspace UDP impairment relay for tests, benchmarks and demos (the kernel here has no netem):
// client -> relay.port -> upstream and back, with per-direction delay, jitter, loss, duplication,
// reordering, a rate cap with a drop-tail queue, a blackhole switch, and NAT-style "rebind" of the
// upstream socket so the server sees the client roam. Randomness is seeded, so patterns reproduce.
// It is not a protocol-aware component: it never parses datagrams (the `tap` hook lets a test do that),
// and it is only meant for loopback addresses.
import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';

export type Direction = 'toServer' | 'toClient';

/** Impairments applied to one direction. Every field can be changed live with `ImpairmentRelay.set`. */
export interface LinkParams {
  /** Fixed one-way delay added to every datagram, in ms. */
  delayMs: number;
  /**
   * Uniform random variation of the delay in [-jitterMs, +jitterMs] (the total never goes below 0).
   * Jitter alone keeps order (datagrams leave FIFO like in a real queue); use `reorder` to reorder.
   */
  jitterMs: number;
  /** Probability (0..1) that a datagram is dropped. */
  loss: number;
  /** Probability (0..1) that a datagram is sent twice (each copy gets its own jitter/reorder draw). */
  duplicate: number;
  /** Probability (0..1) that a datagram is held back an extra `reorderExtraMs`, so later ones overtake it. */
  reorder: number;
  /** Extra delay of a reordered datagram, in ms. */
  reorderExtraMs: number;
  /** Bottleneck rate in payload bytes per second; 0 = unlimited. Datagrams queue FIFO at this rate. */
  rateBytesPerSec: number;
  /**
   * Drop-tail limit of the rate queue in bytes (a datagram that would exceed it is dropped).
   * 0 = automatic: max(3000, half a second's worth of `rateBytesPerSec`). Ignored when the rate is unlimited.
   */
  queueLimitBytes: number;
  /** Drop everything, including datagrams already in flight when they would leave. */
  blackhole: boolean;
}

export const DEFAULT_LINK_PARAMS: Readonly<LinkParams> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderExtraMs: 10,
  rateBytesPerSec: 0,
  queueLimitBytes: 0,
  blackhole: false,
});

/** Counters for one direction (datagram counts unless named ...Bytes). */
export interface LinkStats {
  /** Datagrams that arrived at the relay for this direction. */
  received: number;
  receivedBytes: number;
  /** Datagrams actually sent on (duplicates count twice). */
  forwarded: number;
  forwardedBytes: number;
  /** Dropped by the random `loss` draw. */
  dropped: number;
  /** Extra copies made by `duplicate`. */
  duplicated: number;
  /** Copies held back by `reorder`. */
  reordered: number;
  /** Copies dropped because the rate queue was full. */
  queueDrops: number;
  /** Datagrams/copies dropped by `blackhole` (on arrival or when they would have left). */
  blackholed: number;
  /** toClient datagrams dropped because no client had sent anything yet. */
  noClient: number;
  /** Socket send errors (reported, never thrown). */
  sendErrors: number;
}

export interface RelayStats {
  toServer: LinkStats;
  toClient: LinkStats;
  /** Number of completed `rebind()` calls. */
  rebinds: number;
}

export type TapFn = (direction: Direction, datagram: Buffer) => void;

export interface RelayOptions {
  /** Port of the real server. */
  upstreamPort: number;
  /** Host of the real server; default 127.0.0.1 (an IPv6 literal such as ::1 makes the relay use udp6). */
  upstreamHost?: string;
  /** Port clients send to; 0 (default) = ephemeral. */
  listenPort?: number;
  /** Address the listen socket binds; default the loopback address of the upstream's family. */
  listenHost?: string;
  /** PRNG seed; default a random one (readable afterwards as `relay.seed`, to reproduce a run). */
  seed?: number;
  toServer?: Partial<LinkParams>;
  toClient?: Partial<LinkParams>;
  /** Called synchronously for every datagram that arrives, before any impairment. Exceptions propagate. */
  tap?: TapFn;
  /** How long a replaced upstream socket keeps receiving after `rebind()`, in ms; default 1000. */
  rebindGraceMs?: number;
}

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: tiny 32-bit PRNG, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes the seed with a stream number so each decision kind has its own independent stream. */
function subSeed(seed: number, stream: number): number {
  let z = (seed + Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// A single-timer scheduler that never fires an event before its due time (node timers may run a little
// early relative to the moment they were armed, because libuv measures from the loop's cached time).

interface Scheduled {
  due: number;
  seq: number;
  fn: () => void;
}

class Scheduler {
  private heap: Scheduled[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;

  at(due: number, fn: () => void): void {
    if (this.stopped) return;
    const item = { due, seq: this.seq++, fn };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!Scheduler.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get pending(): number {
    return this.heap.length;
  }

  private static before(a: Scheduled, b: Scheduled): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && Scheduler.before(h[l], h[m])) m = l;
        if (r < h.length && Scheduler.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.stopped || this.heap.length === 0) return;
    const due = this.heap[0].due;
    if (this.timer && due >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = due;
    const wait = Math.max(0, Math.ceil(due - performance.now()));
    this.timer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    // Bounded: only events already due run; new events scheduled by them have due >= now.
    let budget = this.heap.length;
    while (!this.stopped && budget-- > 0 && this.heap.length > 0 && this.heap[0].due <= performance.now()) {
      const item = this.pop();
      item?.fn();
    }
    this.arm();
  }
}

// ---------------------------------------------------------------------------------------------------
// One direction of the link

function emptyStats(): LinkStats {
  return {
    received: 0,
    receivedBytes: 0,
    forwarded: 0,
    forwardedBytes: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    queueDrops: 0,
    blackholed: 0,
    noClient: 0,
    sendErrors: 0,
  };
}

function validate(p: Partial<LinkParams>): void {
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LINK_PARAMS)) throw new TypeError(`unknown link parameter "${k}"`);
    if (k === 'blackhole') {
      if (typeof v !== 'boolean') throw new TypeError('blackhole must be a boolean');
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${k} must be a finite number >= 0 (got ${String(v)})`);
    }
    if ((k === 'loss' || k === 'duplicate' || k === 'reorder') && v > 1) {
      throw new RangeError(`${k} is a probability in 0..1 (got ${v})`);
    }
  }
}

class Link {
  params: LinkParams = { ...DEFAULT_LINK_PARAMS };
  readonly stats = emptyStats();
  private readonly lossRng: () => number;
  private readonly dupRng: () => number;
  private readonly jitterRng: () => number;
  private readonly reorderRng: () => number;
  /** When the rate queue becomes idle (ms, performance.now() timebase). */
  private busyUntil = 0;
  /** Departure time of the last in-order copy (FIFO floor for jitter). */
  private lastDeparture = 0;

  constructor(
    seed: number,
    streamBase: number,
    private readonly scheduler: Scheduler,
    private readonly send: (datagram: Buffer, stats: LinkStats) => void,
  ) {
    this.lossRng = mulberry32(subSeed(seed, streamBase + 0));
    this.dupRng = mulberry32(subSeed(seed, streamBase + 1));
    this.jitterRng = mulberry32(subSeed(seed, streamBase + 2));
    this.reorderRng = mulberry32(subSeed(seed, streamBase + 3));
  }

  set(p: Partial<LinkParams>): void {
    for (const [k, v] of Object.entries(p)) {
      if (v !== undefined) (this.params as unknown as Record<string, unknown>)[k] = v;
    }
  }

  handle(datagram: Buffer): void {
    const s = this.stats;
    const p = this.params;
    s.received++;
    s.receivedBytes += datagram.length;
    // Draw from every stream for every datagram, so one parameter's pattern does not depend on another's.
    const lost = this.lossRng() < p.loss;
    const dup = this.dupRng() < p.duplicate;
    if (p.blackhole) {
      s.blackholed++;
      return;
    }
    if (lost) {
      s.dropped++;
      return;
    }
    if (dup) s.duplicated++;
    const copies = dup ? 2 : 1;
    for (let c = 0; c < copies; c++) this.schedule(datagram);
  }

  private schedule(datagram: Buffer): void {
    const s = this.stats;
    const p = this.params;
    const now = performance.now();
    const jitterDraw = this.jitterRng();
    const reorderDraw = this.reorderRng();

    // Bottleneck first: serialization at the configured rate with a drop-tail queue.
    let leaveQueue = now;
    if (p.rateBytesPerSec > 0) {
      const start = Math.max(now, this.busyUntil);
      const backlogBytes = ((start - now) * p.rateBytesPerSec) / 1000;
      const limit = p.queueLimitBytes > 0 ? p.queueLimitBytes : Math.max(3000, p.rateBytesPerSec / 2);
      if (backlogBytes > 0 && backlogBytes + datagram.length > limit) {
        s.queueDrops++;
        return;
      }
      leaveQueue = start + (datagram.length * 1000) / p.rateBytesPerSec;
      this.busyUntil = leaveQueue;
    }

    // Then propagation: delay +- jitter, kept FIFO unless this copy is picked for reordering.
    const jitter = p.jitterMs > 0 ? (jitterDraw * 2 - 1) * p.jitterMs : 0;
    let due = leaveQueue + Math.max(0, p.delayMs + jitter);
    const reorder = p.reorder > 0 && reorderDraw < p.reorder && p.reorderExtraMs > 0;
    if (reorder) {
      s.reordered++;
      due += p.reorderExtraMs;
    } else {
      due = Math.max(due, this.lastDeparture);
      this.lastDeparture = due;
    }

    if (due <= now) this.depart(datagram);
    else this.scheduler.at(due, () => this.depart(datagram));
  }

  private depart(datagram: Buffer): void {
    if (this.params.blackhole) {
      this.stats.blackholed++;
      return;
    }
    this.send(datagram, this.stats);
  }
}

// ---------------------------------------------------------------------------------------------------

export class ImpairmentRelay {
  /** Where clients send (the listen socket's port). */
  readonly port: number;
  /** The PRNG seed in use (pass it back as `seed` to reproduce a run). */
  readonly seed: number;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** Called for every datagram seen, per direction, before impairment. May be replaced at any time. */
  tap: TapFn | undefined;

  private readonly rebindGraceMs: number;
  private readonly scheduler = new Scheduler();
  private readonly links: Record<Direction, Link>;
  private readonly retired = new Set<dgram.Socket>();
  private client: dgram.RemoteInfo | undefined;
  private rebinds = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly family: 'udp4' | 'udp6',
    private readonly front: dgram.Socket,
    private upstream: dgram.Socket,
    opts: RelayOptions,
    seed: number,
  ) {
    this.port = front.address().port;
    this.seed = seed;
    this.upstreamHost = opts.upstreamHost ?? '127.0.0.1';
    this.upstreamPort = opts.upstreamPort;
    this.rebindGraceMs = opts.rebindGraceMs ?? 1000;
    this.tap = opts.tap;
    this.links = {
      toServer: new Link(seed, 0, this.scheduler, (d, s) => this.sendUpstream(d, s)),
      toClient: new Link(seed, 16, this.scheduler, (d, s) => this.sendToClient(d, s)),
    };
    this.links.toServer.set(opts.toServer ?? {});
    this.links.toClient.set(opts.toClient ?? {});
    front.on('message', (msg, rinfo) => {
      if (this.closed) return;
      this.client = rinfo;
      this.tap?.('toServer', msg);
      this.links.toServer.handle(msg);
    });
    this.attachUpstream(upstream);
  }

  static async start(opts: RelayOptions): Promise<ImpairmentRelay> {
    validate(opts.toServer ?? {});
    validate(opts.toClient ?? {});
    const upstreamHost = opts.upstreamHost ?? '127.0.0.1';
    const family = isIPv6(upstreamHost) ? 'udp6' : 'udp4';
    const listenHost = opts.listenHost ?? (family === 'udp6' ? '::1' : '127.0.0.1');
    const seed = (opts.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    const front = dgram.createSocket(family);
    let up: dgram.Socket | undefined;
    try {
      await bindSocket(front, opts.listenPort ?? 0, listenHost);
      up = dgram.createSocket(family);
      await bindSocket(up, 0, loopbackOf(family));
    } catch (err) {
      await closeSocket(front);
      if (up) await closeSocket(up);
      throw err;
    }
    return new ImpairmentRelay(family, front, up, opts, seed);
  }

  /** Changes impairments live (only the given fields). */
  set(direction: Direction | 'both', params: Partial<LinkParams>): void {
    validate(params);
    if (direction === 'both' || direction === 'toServer') this.links.toServer.set(params);
    if (direction === 'both' || direction === 'toClient') this.links.toClient.set(params);
  }

  /** A copy of the current parameters of one direction. */
  params(direction: Direction): LinkParams {
    return { ...this.links[direction].params };
  }

  /** A snapshot of the counters. */
  get stats(): RelayStats {
    return {
      toServer: { ...this.links.toServer.stats },
      toClient: { ...this.links.toClient.stats },
      rebinds: this.rebinds,
    };
  }

  /** The upstream socket's current source port (what the server sees as the client's port). */
  get sourcePort(): number {
    return this.upstream.address().port;
  }

  /** The newest client address (replies go there), if any client has sent yet. */
  get clientAddress(): { address: string; port: number } | undefined {
    return this.client ? { address: this.client.address, port: this.client.port } : undefined;
  }

  /** Datagrams and timers waiting in the relay. */
  get inFlight(): number {
    return this.scheduler.pending;
  }

  /**
   * Replaces the upstream socket with a fresh one on a new source port (NAT rebinding: the server sees
   * the client roam). The old socket keeps relaying replies for `rebindGraceMs`, then closes.
   * Resolves with the new source port.
   */
  async rebind(): Promise<number> {
    if (this.closed) throw new Error('relay is closed');
    const old = this.upstream;
    const next = dgram.createSocket(this.family);
    try {
      await bindSocket(next, 0, loopbackOf(this.family));
    } catch (err) {
      await closeSocket(next);
      throw err;
    }
    if (this.closed) {
      await closeSocket(next);
      throw new Error('relay is closed');
    }
    this.attachUpstream(next);
    this.upstream = next;
    this.rebinds++;
    this.retired.add(old);
    this.scheduler.at(performance.now() + this.rebindGraceMs, () => {
      this.retired.delete(old);
      void closeSocket(old);
    });
    return next.address().port;
  }

  /** Closes every socket and cancels every pending timer. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.scheduler.stop();
      const sockets = [this.front, this.upstream, ...this.retired];
      this.retired.clear();
      this.closing = Promise.all(sockets.map(closeSocket)).then(() => undefined);
    }
    return this.closing;
  }

  private attachUpstream(sock: dgram.Socket): void {
    sock.on('message', (msg) => {
      if (this.closed) return;
      this.tap?.('toClient', msg);
      this.links.toClient.handle(msg);
    });
    sock.on('error', () => {
      // Unconnected UDP sockets rarely error; counted per send instead. Never crash the test process.
    });
  }

  private sendUpstream(datagram: Buffer, stats: LinkStats): void {
    if (this.closed) return;
    this.sendOn(this.upstream, datagram, this.upstreamPort, this.upstreamHost, stats);
  }

  private sendToClient(datagram: Buffer, stats: LinkStats): void {
    if (this.closed) return;
    const c = this.client;
    if (!c) {
      stats.noClient++;
      return;
    }
    this.sendOn(this.front, datagram, c.port, c.address, stats);
  }

  private sendOn(sock: dgram.Socket, datagram: Buffer, port: number, host: string, stats: LinkStats): void {
    stats.forwarded++;
    stats.forwardedBytes += datagram.length;
    try {
      sock.send(datagram, port, host, (err) => {
        if (err) stats.sendErrors++;
      });
    } catch {
      stats.sendErrors++;
    }
  }
}

function loopbackOf(family: 'udp4' | 'udp6'): string {
  return family === 'udp6' ? '::1' : '127.0.0.1';
}

function bindSocket(sock: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    sock.once('error', onError);
    sock.bind(port, host, () => {
      sock.off('error', onError);
      sock.on('error', () => {});
      resolve();
    });
  });
}

function closeSocket(sock: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve(); // already closed or never bound
    }
  });
}
