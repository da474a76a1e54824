// The server's store of history lines (history.ts has the rest of the scrollback extension): the newest lines
// that left the primary screen, numbered from the start of the session, within a line and a byte budget. Lines
// come as chunks: rows the emulator emulated (their text made at once) and runs of plain text lines that
// Emulator.writeBulk skipped (one shared copy of their bytes, each line laid out only if it is ever sent, which
// most lines of a flood never are). A flood of 700000 lines thus costs one small object per 64 KiB of output,
// not one per line. Not the wire format (hostmessage.ts) and not where lines come from (emulator/).
import { type HistoryRowText, type LazyHistoryText, plainLineBytes } from '../emulator';
import type { HistoryLine } from './hostmessage';

/** Most lines a server keeps for one session, whatever the client asks for. */
export const SERVER_HISTORY_LINES = 20_000;
/** Most bytes of line text a server keeps for one session (older lines go first). */
export const SERVER_HISTORY_BYTES = 8 << 20;
/** Longest line text accepted (a 2048-column row with a colour change in every cell fits). */
export const MAX_HISTORY_LINE_BYTES = 64 << 10;

/**
 * Rows a made chunk takes before the next one starts (also once it holds 1/16 of the byte budget): the oldest
 * chunk goes whole, so this bounds what goes at once.
 */
const MADE_CHUNK_LINES = 256;

/**
 * Most bytes of rows kept as copies of their cells, their text not made yet (emulator's LazyHistoryText): in a
 * flood most rows are pushed out before they are sent, and never made. Past this (no client taking the lines),
 * rows are made at once.
 */
export const LAZY_HISTORY_BYTES = 1 << 20;
const NO_TEXT = new Uint8Array(0);

/** Consecutive emulated rows, their text made or to be made when first needed. */
interface MadeChunk {
  readonly kind: 'made';
  /** Number of its first line. */
  readonly first: number;
  readonly texts: (Uint8Array | LazyHistoryText)[];
  readonly wraps: boolean[];
  size: number;
  /** Bytes of its rows whose text is not made yet. */
  lazy: number;
}

/** Consecutive plain text lines, each ending in CR LF in `bytes` (which nothing changes). */
interface PlainChunk {
  readonly kind: 'plain';
  readonly first: number;
  readonly n: number;
  readonly bytes: Uint8Array;
  readonly style: string;
  readonly cols: number;
  /** Where each line starts, and where the last one ends; found when a line is first needed. */
  offsets: Int32Array | null;
  /** Lines laid out so far. */
  made: (Uint8Array | undefined)[] | null;
  size: number;
}

type Chunk = MadeChunk | PlainChunk;

const linesIn = (c: Chunk): number => (c.kind === 'made' ? c.texts.length : c.n);
/**
 * A line's text as the ring keeps it: at most MAX_HISTORY_LINE_BYTES, in memory of its own. Node makes a Buffer
 * under 4 KiB (Buffer.from, Buffer.concat, the emulator's ByteWriter) as a slice of an 8 KiB pool shared with
 * everything else it makes; one such line kept for hours would keep its whole pool alive, so the byte budget
 * would not bound what the lines hold (a busy session's server grew by 2 MiB a minute, past the budget).
 */
const owned = (t: Uint8Array): Uint8Array => {
  const n = Math.min(t.length, MAX_HISTORY_LINE_BYTES);
  return t.byteOffset === 0 && t.buffer.byteLength === n ? t : new Uint8Array(t.subarray(0, n));
};

export class HistoryRing {
  /** Kept chunks are chunks[head..]; the head chunk's lines before `first` are dropped. */
  private chunks: Chunk[] = [];
  private head = 0;
  /** Number of the oldest line kept. */
  private first = 0;
  /** Lines added so far. */
  private total = 0;
  private bytes = 0;
  /** Bytes of kept rows whose text is not made yet. */
  private lazyBytes = 0;
  private cleared = 0;

  constructor(
    private capacity: number,
    private readonly byteBudget = SERVER_HISTORY_BYTES,
  ) {
    this.capacity = Math.max(0, Math.min(capacity, SERVER_HISTORY_LINES));
  }

  /** Lines added so far (the next line's number). */
  get count(): number {
    return this.total;
  }

  get clearedBefore(): number {
    return this.cleared;
  }

  /** How many of the newest lines are kept. */
  get keeps(): number {
    return this.capacity;
  }

  /** Number of the oldest line still kept. */
  get keptFrom(): number {
    return this.first;
  }

  /** Keeps at most `lines` lines from now on (never more than SERVER_HISTORY_LINES). */
  setCapacity(lines: number): void {
    this.capacity = Math.max(0, Math.min(lines, SERVER_HISTORY_LINES));
    this.trim();
  }

  /** One line with its text made. */
  add(line: HistoryLine): void {
    this.push(owned(line.text), line.wraps);
  }

  /**
   * One emulated row (valid during this call only), its text made when first needed while copies fit
   * LAZY_HISTORY_BYTES, else now (null: the row is counted, its text is empty).
   */
  addRow(row: HistoryRowText | null, wraps: boolean): void {
    if (row === null) this.push(NO_TEXT, wraps);
    else if (this.lazyBytes + row.size > LAZY_HISTORY_BYTES) this.push(owned(row.bytes()), wraps);
    else this.push(row.detach(), wraps);
  }

  private push(text: Uint8Array | LazyHistoryText, wraps: boolean): void {
    let c = this.chunks[this.chunks.length - 1];
    if (
      c === undefined ||
      this.chunks.length === this.head ||
      c.kind !== 'made' ||
      c.texts.length >= MADE_CHUNK_LINES ||
      c.size * 16 >= this.byteBudget
    ) {
      c = { kind: 'made', first: this.total, texts: [], wraps: [], size: 0, lazy: 0 };
      this.chunks.push(c);
    }
    const size = text instanceof Uint8Array ? text.length : text.size;
    if (!(text instanceof Uint8Array)) {
      c.lazy += size;
      this.lazyBytes += size;
    }
    c.texts.push(text);
    c.wraps.push(wraps);
    c.size += size;
    this.bytes += size;
    this.total++;
    this.trim();
  }

  /**
   * `n` plain text lines, each ending in CR LF, in `bytes` (copied: the caller may reuse them), printed with
   * `style` on a screen of `cols` columns: each laid out (emulator/plainline.ts) only if it is ever sent.
   */
  addPlain(bytes: Uint8Array, n: number, style: string, cols: number): void {
    if (n <= 0) return;
    this.chunks.push({
      kind: 'plain',
      first: this.total,
      n,
      bytes: new Uint8Array(bytes),
      style,
      cols,
      offsets: null,
      made: null,
      size: bytes.length,
    });
    this.bytes += bytes.length;
    this.total += n;
    this.trim();
  }

  /** CSI 3J: every line so far is gone. */
  clear(): void {
    this.first = this.total;
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
    this.lazyBytes = 0;
    this.cleared = this.first;
  }

  /** Lines [from, to) that are still kept (from is raised to keptFrom). */
  range(from: number, to: number): { first: number; lines: HistoryLine[] } {
    const start = Math.max(from, this.first);
    const end = Math.min(to, this.total);
    if (end <= start) return { first: Math.max(start, Math.min(to, this.total)), lines: [] };
    const out: HistoryLine[] = [];
    let k = this.chunkOf(start);
    for (let n = start; n < end;) {
      const c = this.chunks[k++];
      const stop = Math.min(end, c.first + linesIn(c));
      for (; n < stop; n++) out.push(this.lineOf(c, n - c.first));
    }
    return { first: start, lines: out };
  }

  /** Index of the chunk holding line `n` (kept). */
  private chunkOf(n: number): number {
    let lo = this.head;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid].first <= n) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private lineOf(c: Chunk, i: number): HistoryLine {
    if (c.kind === 'made') {
      const t = c.texts[i];
      if (t instanceof Uint8Array) return { text: t, wraps: c.wraps[i] };
      const text = owned(t.bytes());
      c.texts[i] = text;
      c.size += text.length - t.size;
      c.lazy -= t.size;
      this.bytes += text.length - t.size;
      this.lazyBytes -= t.size;
      return { text, wraps: c.wraps[i] };
    }
    const made = (c.made ??= new Array<Uint8Array | undefined>(c.n));
    let text = made[i];
    if (text === undefined) {
      const o = (c.offsets ??= lineOffsets(c.bytes, c.n));
      // The line without its CR LF.
      made[i] = text = owned(plainLineBytes(c.bytes.subarray(o[i], o[i + 1] - 2), c.style, c.cols));
      c.size += text.length;
      this.bytes += text.length;
    }
    return { text, wraps: false };
  }

  private trim(): void {
    while (this.total > this.first) {
      const kept = this.total - this.first;
      const c = this.chunks[this.head];
      const inHead = c.first + linesIn(c) - this.first;
      if (this.bytes > this.byteBudget || kept - inHead >= this.capacity) {
        // The whole oldest chunk goes (over the byte budget, or every line of it is beyond the line budget).
        this.bytes -= c.size;
        if (c.kind === 'made') this.lazyBytes -= c.lazy;
        this.first += inHead;
        (this.chunks as (Chunk | undefined)[])[this.head] = undefined;
        this.head++;
        continue;
      }
      if (kept > this.capacity) this.first += kept - this.capacity; // part of the oldest chunk
      break;
    }
    if (this.total === this.first && this.head > 0) {
      this.chunks = [];
      this.head = 0;
      this.bytes = 0;
      this.lazyBytes = 0;
    }
    // Compact now and then (amortized O(1) per chunk).
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

/** Where each of the `n` CR LF-ended lines in `bytes` starts, then where the last one ends. */
function lineOffsets(bytes: Uint8Array, n: number): Int32Array {
  const o = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    o[i] = at;
    const lf = bytes.indexOf(0x0a, at);
    at = lf < 0 ? bytes.length : lf + 1;
  }
  o[n] = at;
  return o;
}
