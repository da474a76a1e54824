// Scrollback history as our extension of the terminal state (ARCHITECTURE.md, "History"): lines that scrolled
// off the top of the server's primary screen, numbered from the start of the session. The server keeps them in a
// HistoryRing (bounded by lines and bytes); each terminal state carries only a HistoryMark (how many lines exist,
// where a clear or a replay starts); a diff from an older state carries the lines the older one lacks. The client
// keeps what it received in a HistoryLog until its terminal has them. Also: a line's wire text from a snapshot
// Row, and the check that such text holds nothing but renditions and printable characters.
import { moshStyle, type Row } from '../emulator';
import type { HistoryLine } from './hostmessage';

/** Most lines a server keeps for one session, whatever the client asks for. */
export const SERVER_HISTORY_LINES = 20_000;
/** Most bytes of line text a server keeps for one session (older lines go first). */
export const SERVER_HISTORY_BYTES = 8 << 20;
/** Longest line text accepted (a 2048-column row with a colour change in every cell fits). */
export const MAX_HISTORY_LINE_BYTES = 64 << 10;

/** What a terminal state knows of the history. Plain data; equal marks mean equal history. */
export interface HistoryMark {
  /** Lines that ever scrolled off (the next line's number). */
  count: number;
  /** Lines before this number were cleared (CSI 3J). */
  clearedBefore: number;
  /** Bumped by each replay request of a restored client; the next diff resends from replayFrom. */
  replayEpoch: number;
  replayFrom: number;
}

export const NO_HISTORY: HistoryMark = Object.freeze({ count: 0, clearedBefore: 0, replayEpoch: 0, replayFrom: 0 });

export function marksEqual(a: HistoryMark | null, b: HistoryMark | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.count === b.count && a.clearedBefore === b.clearedBefore && a.replayEpoch === b.replayEpoch && a.replayFrom === b.replayFrom;
}

/** A line kept as what it is made from until it is sent (most lines of a flood never are). */
interface LazyLine {
  make: () => HistoryLine;
  /** What it holds meanwhile, for the byte budget. */
  bytes: number;
}

type Entry = HistoryLine | LazyLine;

const entryBytes = (e: Entry): number => ('make' in e ? e.bytes : e.text.length);

/** The server's store of history lines: the newest ones, within a line and a byte budget. */
export class HistoryRing {
  /** Kept lines are lines[head..]; lines[0..head) are dropped ones not yet compacted away. */
  private lines: Entry[] = [];
  private head = 0;
  /** Number of lines[head]. */
  private first = 0;
  private bytes = 0;
  private cleared = 0;

  constructor(
    private capacity: number,
    private readonly byteBudget = SERVER_HISTORY_BYTES,
  ) {
    this.capacity = Math.max(0, Math.min(capacity, SERVER_HISTORY_LINES));
  }

  private get kept(): number {
    return this.lines.length - this.head;
  }

  /** Lines added so far (the next line's number). */
  get count(): number {
    return this.first + this.kept;
  }

  get clearedBefore(): number {
    return this.cleared;
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

  add(line: HistoryLine): void {
    const text = line.text.length > MAX_HISTORY_LINE_BYTES ? line.text.subarray(0, MAX_HISTORY_LINE_BYTES) : line.text;
    this.lines.push({ text, wraps: line.wraps });
    this.bytes += text.length;
    this.trim();
  }

  /** A line made only if it is ever sent; `bytes` is what it holds until then. */
  addLazy(make: () => HistoryLine, bytes: number): void {
    this.lines.push({ make, bytes });
    this.bytes += bytes;
    this.trim();
  }

  /** CSI 3J: every line so far is gone. */
  clear(): void {
    this.first = this.count;
    this.lines = [];
    this.head = 0;
    this.bytes = 0;
    this.cleared = this.first;
  }

  /** Lines [from, to) that are still kept (from is raised to keptFrom). */
  range(from: number, to: number): { first: number; lines: HistoryLine[] } {
    const start = Math.max(from, this.first);
    const end = Math.min(to, this.count);
    if (end <= start) return { first: Math.max(start, Math.min(to, this.count)), lines: [] };
    const out: HistoryLine[] = [];
    for (let i = this.head + start - this.first; i < this.head + end - this.first; i++) {
      let e = this.lines[i];
      if ('make' in e) {
        const made = e.make();
        const text = made.text.length > MAX_HISTORY_LINE_BYTES ? made.text.subarray(0, MAX_HISTORY_LINE_BYTES) : made.text;
        this.bytes += text.length - e.bytes;
        e = this.lines[i] = { text, wraps: made.wraps };
      }
      out.push(e);
    }
    return { first: start, lines: out };
  }

  private trim(): void {
    while (this.kept > 0 && (this.kept > this.capacity || this.bytes > this.byteBudget)) {
      this.bytes -= entryBytes(this.lines[this.head]);
      this.head++;
      this.first++;
    }
    // Compact now and then (amortized O(1) per line).
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }
}

/** The client's store of received history lines, until its terminal has been given them. */
export class HistoryLog {
  private readonly lines = new Map<number, HistoryLine>();
  private newest = 0;

  constructor(private readonly capacity: number) {}

  /** Lines received from `first` on (a line already held is the same line: it is kept). */
  put(first: number, lines: HistoryLine[]): void {
    for (let i = 0; i < lines.length; i++) {
      const n = first + i;
      if (!this.lines.has(n)) this.lines.set(n, lines[i]);
      if (n + 1 > this.newest) this.newest = n + 1;
    }
    // Keep only the newest `capacity` numbers.
    if (this.lines.size > this.capacity) {
      const keepFrom = this.newest - this.capacity;
      for (const n of this.lines.keys()) if (n < keepFrom) this.lines.delete(n);
    }
  }

  get(n: number): HistoryLine | undefined {
    return this.lines.get(n);
  }

  /** Forgets lines before `n` (written to the terminal, or cleared). */
  dropBefore(n: number): void {
    for (const k of this.lines.keys()) if (k < n) this.lines.delete(k);
  }

  get size(): number {
    return this.lines.size;
  }
}

const SGR_RESET = '\x1b[0m';

/** A row's history text: its cells with SGR renditions (mosh's vocabulary), trailing empty cells left out. */
export function historyText(row: Row): Uint8Array {
  let end = row.text.length;
  while (end > 0 && row.text[end - 1] === '' && row.style[end - 1] === '') end--;
  let out = '';
  let pen = '';
  for (let x = 0; x < end; x++) {
    const w = row.widths === null ? 1 : row.widths.charCodeAt(x) - 48;
    const t = row.text[x];
    if (w === 0 && t === '') continue; // right half of a wide character
    const style = moshStyle(row.style[x]);
    if (style !== pen) {
      out += style === '' ? SGR_RESET : `\x1b[0;${style}m`;
      pen = style;
    }
    out += t === '' ? ' ' : t;
  }
  if (pen !== '') out += SGR_RESET;
  return Buffer.from(out, 'utf8');
}

/**
 * The text of a history line as it may be written to the user's terminal: printable characters and SGR
 * (`CSI digits;...m`) only. Anything else a hostile server might put there (other escapes, controls) is dropped.
 */
export function safeHistoryText(text: Uint8Array): string {
  const s = Buffer.from(text).toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f]/.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;:]{0,64}m|[\x00-\x1f\x7f-\x9f]/g, (m) => (m.length > 1 ? m : ''));
}
