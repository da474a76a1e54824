// The user input stream (mosh-protocol.md section 7.1): the client -> server SyncState, an append-only list of
// key bytes, resizes and (our additions) extension events with absolute event numbering, and its UserMessage
// diff/apply wire format.
// Not the key translator or the pty writer (server) and not prediction (client): it only stores and syncs events.
//
// Storage: events live in an append-only EventLog that clones share. A stream is a window [first, total) of
// absolute event numbers over a log; it appends in place only when its end is the log's end (it owns the tip),
// otherwise it copies its window into a fresh log first (copy-on-write). Written entries never change, so a
// shared log is safe. Key bytes are stored one byte each; resizes are sparse marks beside them.

import { create, fromBinary, getExtension, hasExtension, setExtension, toBinary } from '@bufbuild/protobuf';
import type { SyncState } from '../transport';
import {
  InstructionSchema,
  KeystrokeSchema,
  ResizeMessageSchema,
  UserMessageSchema,
  keystroke,
  resize,
  type Instruction as UserInstruction,
} from './gen/userinput_pb';

/**
 * An event: a key byte, a resize, or one of our extensions (an encoded ClientBuffers.Instruction carrying an
 * extension field that stock mosh does not know, such as the client's hello: see extensions.ts). The stream stores
 * extension events as opaque bytes; a stock mosh-server ignores them.
 */
export type UserEvent =
  | { type: 'key'; byte: number }
  | { type: 'resize'; width: number; height: number }
  | { type: 'ext'; bytes: Uint8Array };

/** Compact form of a stretch of events: maximal key runs, each resize or extension on its own. */
export type UserRun =
  | { type: 'keys'; bytes: Uint8Array }
  | { type: 'resize'; width: number; height: number }
  | { type: 'ext'; bytes: Uint8Array };

/** Plain JSON-safe form for session resume: retained events as base64 UserMessage bytes. */
export interface SerializedUserStream {
  /** Absolute number of the first retained event. */
  first: number;
  /** Absolute event count (first + retained events). */
  count: number;
  /** base64 of the UserMessage holding the retained events. */
  message: string;
}

/** Thrown by UserStream.apply and UserStream.deserialize on bytes that are not a valid UserMessage. */
export class UserMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserMessageError';
  }
}

interface Mark {
  /** Absolute event number of this resize or extension event. */
  at: number;
  /** Number of key bytes in the log before it (an index into EventLog.keys). */
  key: number;
  width: number;
  height: number;
  /** An extension event: its encoded Instruction (width and height are unused); null for a resize. */
  ext: Uint8Array | null;
}

interface EventLog {
  /** Absolute event number of the first event held. */
  base: number;
  /** Key bytes; only [0, keyLen) is written, the rest is spare capacity. */
  keys: Uint8Array;
  keyLen: number;
  /** Resizes and extension events, sorted by `at`. */
  marks: Mark[];
}

type Run = Uint8Array | Mark;

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const MIN_CAPACITY = 64;

function emptyLog(base: number): EventLog {
  return { base, keys: new Uint8Array(0), keyLen: 0, marks: [] };
}

function logEnd(log: EventLog): number {
  return log.base + log.keyLen + log.marks.length;
}

/** Index of the first mark with at >= abs. */
function marksBefore(marks: Mark[], abs: number): number {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid].at < abs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

function encodeRuns(runs: Run[]): Uint8Array {
  if (runs.length === 0) return new Uint8Array(0);
  const instruction: UserInstruction[] = [];
  for (const r of runs) {
    const inst = create(InstructionSchema);
    if (r instanceof Uint8Array) {
      setExtension(inst, keystroke, create(KeystrokeSchema, { keys: r }));
    } else if (r.ext !== null) {
      // Its fields (unknown to this schema) are kept and written back as they came.
      instruction.push(fromBinary(InstructionSchema, r.ext));
      continue;
    } else {
      setExtension(inst, resize, create(ResizeMessageSchema, { width: r.width, height: r.height }));
    }
    instruction.push(inst);
  }
  return toBinary(UserMessageSchema, create(UserMessageSchema, { instruction }));
}

/** Parses a UserMessage into runs (key runs are views into `bytes`). Throws UserMessageError. */
function decodeRuns(bytes: Uint8Array): Run[] {
  const runs: Run[] = [];
  try {
    const msg = fromBinary(UserMessageSchema, bytes);
    for (const inst of msg.instruction) {
      if (hasExtension(inst, keystroke)) {
        const keys = getExtension(inst, keystroke).keys;
        if (keys.length > 0) runs.push(keys);
      }
      if (hasExtension(inst, resize)) {
        const r = getExtension(inst, resize);
        runs.push({ at: 0, key: 0, width: r.width, height: r.height, ext: null });
      }
      if (!hasExtension(inst, keystroke) && !hasExtension(inst, resize) && inst.$unknown?.length) {
        // Not mosh's: one of our extensions (or a future one), kept as its bytes.
        runs.push({ at: 0, key: 0, width: 0, height: 0, ext: toBinary(InstructionSchema, inst) });
      }
    }
  } catch (e) {
    throw new UserMessageError(`malformed UserMessage: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return runs;
}

export class UserStream implements SyncState<UserStream> {
  private log: EventLog = emptyLog(0);
  /** Absolute number of the first retained event (moved forward by subtract). */
  private first = 0;
  /** Absolute event count since state 0. */
  private total = 0;

  /** Absolute event count since state 0. */
  get count(): number {
    return this.total;
  }

  /** Absolute number of the oldest event still held (events before it were dropped by subtract). */
  get retainedFrom(): number {
    return this.first;
  }

  pushBytes(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.makeWritable(bytes.length);
    const log = this.log;
    log.keys.set(bytes, log.keyLen);
    log.keyLen += bytes.length;
    this.total += bytes.length;
  }

  pushResize(width: number, height: number): void {
    if (!isInt32(width) || !isInt32(height)) throw new RangeError(`resize out of int32 range: ${width}x${height}`);
    this.makeWritable(0);
    const log = this.log;
    log.marks.push({ at: this.total, key: log.keyLen, width, height, ext: null });
    this.total += 1;
  }

  /** Appends an extension event: an encoded ClientBuffers.Instruction with one of our extension fields. */
  pushExt(instruction: Uint8Array): void {
    if (instruction.length === 0) return;
    this.makeWritable(0);
    const log = this.log;
    log.marks.push({ at: this.total, key: log.keyLen, width: 0, height: 0, ext: instruction });
    this.total += 1;
  }

  /** Events [absCount, count), one object per key byte. Prefer runsSince for bulk input. */
  eventsSince(absCount: number): UserEvent[] {
    const out: UserEvent[] = [];
    for (const r of this.runs(this.checkFrom(absCount), this.total)) {
      if (r instanceof Uint8Array) {
        for (const byte of r) out.push({ type: 'key', byte });
      } else if (r.ext !== null) {
        out.push({ type: 'ext', bytes: r.ext });
      } else {
        out.push({ type: 'resize', width: r.width, height: r.height });
      }
    }
    return out;
  }

  /** Events [absCount, count) as maximal key runs (fresh copies) and resizes. */
  runsSince(absCount: number): UserRun[] {
    return this.runs(this.checkFrom(absCount), this.total).map((r) =>
      r instanceof Uint8Array
        ? { type: 'keys', bytes: new Uint8Array(r) }
        : r.ext !== null
          ? { type: 'ext', bytes: r.ext }
          : { type: 'resize', width: r.width, height: r.height },
    );
  }

  diffFrom(older: UserStream): Uint8Array {
    if (older.total > this.total) throw new RangeError('diffFrom: the older state has more events than this one');
    if (older.total < this.first) throw new RangeError('diffFrom: events after the older state were subtracted');
    return encodeRuns(this.runs(older.total, this.total));
  }

  /** All retained events (all events since state 0 unless subtract dropped a prefix). */
  initDiff(): Uint8Array {
    return encodeRuns(this.runs(this.first, this.total));
  }

  /** Appends the events of a UserMessage. Atomic: on UserMessageError nothing is appended. */
  apply(diff: Uint8Array): void {
    if (diff.length === 0) return;
    const runs = decodeRuns(diff);
    for (const r of runs) {
      if (r instanceof Uint8Array) this.pushBytes(r);
      else if (r.ext !== null) this.pushExt(r.ext);
      else this.pushResize(r.width, r.height);
    }
  }

  /**
   * Whether the events this stream has beyond `older` are all extension events (channel traffic: background, which
   * the sender paces on its own clock so that it never holds back a keystroke: TransportSender.isBackground).
   */
  backgroundChangeFrom(older: UserStream): boolean {
    const from = Math.max(older.total, this.first);
    if (from >= this.total) return false;
    const marks = this.log.marks;
    let ext = 0;
    for (let i = marksBefore(marks, from); i < marks.length && marks[i].at < this.total; i++) {
      if (marks[i].ext === null) return false;
      ext++;
    }
    return ext === this.total - from;
  }

  /** Same event count and same events over the range both still hold. */
  equals(other: UserStream): boolean {
    if (this === other) return true;
    if (this.total !== other.total) return false;
    // A log's written entries never change, so two windows ending at the same place in one log agree.
    if (this.log === other.log) return true;
    const from = Math.max(this.first, other.first);
    const a = this.runs(from, this.total);
    const b = other.runs(from, other.total);
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x instanceof Uint8Array) {
        if (!(y instanceof Uint8Array) || !Buffer.from(x.buffer, x.byteOffset, x.length).equals(y)) return false;
      } else if (y instanceof Uint8Array || x.width !== y.width || x.height !== y.height) {
        return false;
      } else if ((x.ext === null) !== (y.ext === null) || (x.ext !== null && !Buffer.from(x.ext).equals(y.ext!))) {
        return false;
      }
    }
    return true;
  }

  /** O(1): shares the event log; whichever copy appends later copies on write if it is not at the tip. */
  clone(): UserStream {
    const c = new UserStream();
    c.log = this.log;
    c.first = this.first;
    c.total = this.total;
    return c;
  }

  /** Drops events before front's count; absolute numbering is kept. */
  subtract(front: UserStream): void {
    const cut = Math.min(front.total, this.total);
    if (cut > this.first) this.first = cut;
  }

  serialize(): SerializedUserStream {
    return { first: this.first, count: this.total, message: Buffer.from(this.initDiff()).toString('base64') };
  }

  toJSON(): SerializedUserStream {
    return this.serialize();
  }

  static deserialize(data: SerializedUserStream): UserStream {
    if (!Number.isSafeInteger(data.first) || data.first < 0 || typeof data.message !== 'string') {
      throw new UserMessageError('malformed serialized user stream');
    }
    const s = new UserStream();
    s.log = emptyLog(data.first);
    s.first = data.first;
    s.total = data.first;
    s.apply(Buffer.from(data.message, 'base64'));
    if (s.total !== data.count) throw new UserMessageError('serialized user stream: count does not match its events');
    return s;
  }

  private checkFrom(absCount: number): number {
    if (!Number.isInteger(absCount) || absCount < this.first) {
      throw new RangeError(`events before ${this.first} are no longer held (asked from ${absCount})`);
    }
    return Math.min(absCount, this.total);
  }

  /** Events [from, to) of this stream's log as runs; key runs are views into the log (do not mutate). */
  private runs(from: number, to: number): Run[] {
    const log = this.log;
    const out: Run[] = [];
    let mi = marksBefore(log.marks, from);
    let k = from - log.base - mi;
    while (mi < log.marks.length && log.marks[mi].at < to) {
      const m = log.marks[mi];
      if (m.key > k) out.push(log.keys.subarray(k, m.key));
      out.push(m);
      k = m.key;
      mi++;
    }
    const kEnd = to - log.base - mi;
    if (kEnd > k) out.push(log.keys.subarray(k, kEnd));
    return out;
  }

  /** Ensures this stream may append `extraKeys` bytes and a mark in place, copying its window if it must. */
  private makeWritable(extraKeys: number): void {
    const log = this.log;
    if (this.total === logEnd(log)) {
      const roomForKeys = log.keyLen + extraKeys <= log.keys.length;
      const deadMarks = marksBefore(log.marks, this.first);
      if (roomForKeys && !(deadMarks > 32 && deadMarks * 2 > log.marks.length)) return;
    }
    // Copy the window [first, total) into a fresh log, leaving room to grow; the dropped prefix goes away.
    const fromMark = marksBefore(log.marks, this.first);
    const toMark = marksBefore(log.marks, this.total);
    const fromKey = this.first - log.base - fromMark;
    const toKey = this.total - log.base - toMark;
    const n = toKey - fromKey;
    const keys = new Uint8Array(Math.max(MIN_CAPACITY, 2 * (n + extraKeys)));
    keys.set(log.keys.subarray(fromKey, toKey));
    const marks: Mark[] = [];
    for (let i = fromMark; i < toMark; i++) {
      const m = log.marks[i];
      marks.push({ at: m.at, key: m.key - fromKey, width: m.width, height: m.height, ext: m.ext });
    }
    this.log = { base: this.first, keys, keyLen: n, marks };
  }
}
