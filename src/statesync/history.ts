// Scrollback history as our extension of the terminal state (ARCHITECTURE.md, "History"): lines that scrolled
// off the top of the server's primary screen, numbered from the start of the session. The server keeps them in a
// HistoryRing (bounded by lines and bytes); each terminal state carries only a HistoryMark (how many lines exist,
// where a clear or a replay starts); a diff from an older state carries the lines the older one lacks. The client
// keeps what it received in a HistoryLog until its terminal has them. The server's HistoryRing is historyring.ts. Also: the check that a line's text (made
// by the emulator, emulator/cells.ts) holds nothing but renditions and printable characters.
import type { HistoryLine } from './hostmessage';

export {
  HistoryRing,
  LAZY_HISTORY_BYTES,
  MAX_HISTORY_LINE_BYTES,
  SERVER_HISTORY_BYTES,
  SERVER_HISTORY_LINES,
} from './historyring';

/** What a terminal state knows of the history. Plain data; equal marks mean equal history. */
export interface HistoryMark {
  /** Lines that ever scrolled off (the next line's number). */
  count: number;
  /** Lines before this number were cleared (CSI 3J). */
  clearedBefore: number;
  /** Bumped by each replay request of a restored client; the next diff resends from replayFrom. */
  replayEpoch: number;
  replayFrom: number;
  /**
   * Server side: lines before this number are never sent (a flood skipped them: they were older than the client
   * keeps when their shipment began). Absent: 0.
   */
  sendFrom?: number;
}

export const NO_HISTORY: HistoryMark = Object.freeze({ count: 0, clearedBefore: 0, replayEpoch: 0, replayFrom: 0 });

export function historyMarksEqual(a: HistoryMark | null, b: HistoryMark | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return (
    a.count === b.count &&
    a.clearedBefore === b.clearedBefore &&
    a.replayEpoch === b.replayEpoch &&
    a.replayFrom === b.replayFrom &&
    (a.sendFrom ?? 0) === (b.sendFrom ?? 0)
  );
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
