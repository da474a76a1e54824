// In-memory connected stream pairs for the channel tests: synchronous (a write reaches the other end's 'data'
// listeners at once, unless that end is paused, in which case it waits there and counts in the writer's
// writableLength), with ends like a net.Socket's without half-open (an end received ends this side too, and both
// close). Deterministic, so the channel layer can run on the fake network. Test support only.

type Listener = (...a: never[]) => void;

/** Most bytes handed to a 'data' listener at once (a socket read). */
const READ_CHUNK = 16 << 10;

export class MemEnd {
  peer!: MemEnd;
  /** Bytes this end received so far (when `collect` is on). */
  readonly got: Buffer[] = [];
  private readonly listeners: Record<string, Listener[]> = {};
  private queue: Buffer[] = [];
  private queued = 0;
  private paused = false;
  private pendingEnd = false;
  private endCallbacks: (() => void)[] = [];
  /** This end ended its write side / got the peer's end / is closed. */
  ended = false;
  gotEnd = false;
  closed = false;

  constructor(private readonly collect = false) {}

  static pair(collectA = false, collectB = false): [MemEnd, MemEnd] {
    const a = new MemEnd(collectA);
    const b = new MemEnd(collectB);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  on(event: string, f: Listener): this {
    (this.listeners[event] ??= []).push(f);
    return this;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const f of [...(this.listeners[event] ?? [])]) (f as (...a: unknown[]) => void)(...args);
  }

  /** The bytes this end received, as one buffer. */
  text(): Buffer {
    return Buffer.concat(this.got);
  }

  get writableLength(): number {
    return this.peer.queued;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  write(data: Uint8Array): boolean {
    if (this.ended || this.closed) return false;
    this.peer.deliver(Buffer.from(data));
    return this.peer.queued === 0;
  }

  end(done?: () => void): void {
    if (done) this.endCallbacks.push(done);
    if (this.ended || this.closed) return this.flushed();
    this.ended = true;
    this.peer.receiveEnd();
    this.flushed();
    this.maybeClose();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (this.queue.length > 0 && !this.paused) {
      const b = this.queue.shift()!;
      this.queued -= b.length;
      this.take(b);
    }
    if (this.queue.length === 0) {
      this.peer.flushed();
      if (this.pendingEnd) {
        this.pendingEnd = false;
        this.gotEndNow();
      }
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queued = 0;
    this.emit('close');
    this.peer.peerGone();
  }

  private deliver(b: Buffer): void {
    if (this.closed) return;
    // In pieces of at most READ_CHUNK, as a socket reads: a reader that pauses gets no more pieces.
    for (let at = 0; at < b.length; at += READ_CHUNK) {
      const piece = b.subarray(at, at + READ_CHUNK);
      if (this.paused || this.queue.length > 0) {
        this.queue.push(piece);
        this.queued += piece.length;
      } else this.take(piece);
    }
  }

  private take(b: Buffer): void {
    if (this.collect) this.got.push(b);
    this.emit('data', b);
  }

  private receiveEnd(): void {
    if (this.closed) return;
    if (this.queue.length > 0) this.pendingEnd = true;
    else this.gotEndNow();
  }

  private gotEndNow(): void {
    if (this.gotEnd) return;
    this.gotEnd = true;
    this.emit('end');
    // Not half-open: our side ends too.
    if (!this.ended) this.end();
    this.maybeClose();
  }

  private flushed(): void {
    if (this.peer.queued > 0) return;
    const cbs = this.endCallbacks;
    this.endCallbacks = [];
    for (const f of cbs) f();
  }

  private maybeClose(): void {
    if (this.ended && this.gotEnd && !this.closed) {
      this.closed = true;
      this.emit('close');
    }
  }

  private peerGone(): void {
    if (this.closed) return;
    if (!this.gotEnd) {
      this.gotEnd = true;
      this.emit('end');
    }
    this.closed = true;
    this.emit('close');
  }
}
