// A growable byte buffer for building terminal output without building strings: bytes, ASCII, UTF-8 text and
// decimal numbers appended in place; the result is copied out once. One scratch buffer is reused between uses,
// so a frame costs one allocation of its own size. Not a stream, and not shared between concurrent writers.

let scratch: Buffer | null = Buffer.allocUnsafe(64 * 1024);

export class ByteWriter {
  private buf: Buffer;
  length = 0;

  constructor() {
    // The shared scratch buffer, unless another writer holds it.
    this.buf = scratch ?? Buffer.allocUnsafe(16 * 1024);
    scratch = null;
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /**
   * The buffer with room for `n` more bytes after `length`, to write into directly (then set `length`); valid
   * until the next call that may grow it.
   */
  reserve(n: number): Buffer {
    if (this.length + n > this.buf.length) this.grow(n);
    return this.buf;
  }

  byte(b: number): void {
    if (this.length + 1 > this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }

  /** `n` times the byte `b`. */
  repeat(b: number, n: number): void {
    if (n <= 0) return;
    if (this.length + n > this.buf.length) this.grow(n);
    this.buf.fill(b, this.length, this.length + n);
    this.length += n;
  }

  /** A string known to be ASCII (escape sequences, styles). */
  ascii(s: string): void {
    const n = s.length;
    if (this.length + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    // A native write costs more than copying a few dozen characters by hand (SGR styles run to ~40).
    if (n > 64) {
      this.length += buf.write(s, this.length, n, 'latin1');
      return;
    }
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    if (s.length === 1) {
      const c = s.charCodeAt(0);
      if (c < 0x80) return this.byte(c);
    }
    const max = s.length * 3;
    if (this.length + max > this.buf.length) this.grow(max);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  /** A non-negative integer in decimal. */
  num(n: number): void {
    if (n < 10) return this.byte(48 + n);
    if (n < 100) {
      this.byte(48 + ((n / 10) | 0));
      return this.byte(48 + (n % 10));
    }
    this.ascii(String(n));
  }

  /** Gives the buffer back without a result. */
  discard(): void {
    if (scratch === null || scratch.length < this.buf.length) scratch = this.buf;
    this.length = 0;
  }

  /** The bytes written, copied out; the writer's buffer goes back for the next writer (do not write after this). */
  result(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.length));
    if (scratch === null || scratch.length < this.buf.length) scratch = this.buf;
    return out;
  }
}
