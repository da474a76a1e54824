// Channels as part of the synchronized terminal state (ARCHITECTURE.md, "Channels"): byte streams between our
// client and our server, e.g. one per connection to the forwarded ssh agent. The server -> client direction is a
// bounded log in the state: a state carries, per channel, how many bytes the server has sent (and whether its side
// ended, and how much it will take from the client); the server keeps the bytes themselves (a ChannelSource) until
// the client acknowledged a state that has them; a diff from an older state carries the bytes that state lacks;
// the client keeps what it received in a ChannelInbox until it has passed them on. The client -> server direction
// is events in the user stream (channelwire.ts). Here: the limits, the table a state carries, its diff and its
// checked apply, and the inbox. Not the sockets, the credit policy or when channels open and close: that is the
// behaviour of the client (src/client/channels.ts) and the server (server/channelhost.ts).
//
// Either side opens channels: the server's have odd ids (1, 3, 5, ...), the client's even ones (2, 4, ...), each
// side numbering upwards and never reusing a number; either side closes one (the client with a close event; the
// server by ending its side, then forgetting the channel once the client closed too).
//
// Limits (each side enforces them on what the other sends):
// - each side has at most MAX_CHANNELS channels open at a time (the server refuses more connections and ignores
//   the client's opens beyond it; a diff that would make a table of more than 2 * MAX_CHANNELS is refused);
// - each side takes at most CHANNEL_WINDOW bytes of a channel beyond what it has consumed (credit; a side that
//   sends beyond the other's credit has its diff refused, or its channel reset);
// - at most MAX_IN_FLIGHT channel bytes are unacknowledged in each direction, so a diff never carries more than
//   MAX_UPDATE_DATA bytes of channel data and a keystroke never waits behind a large one;
// - one event carries at most MAX_EVENT_DATA bytes (channelwire.ts).
import { type ChannelUpdateInfo, type ChannelUpdatesInfo, MAX_UPDATE_DATA, MAX_UPDATES } from './channelwire';

/** Feature names in the hellos: channels at all, and ssh-agent forwarding over them. */
export const FEATURE_AGENT = 'agent';
/** What a channel carries: a connection to the forwarded ssh agent. */
export const KIND_AGENT = 'agent';
/** Most channels each side has open at a time in one session (a table holds at most twice this). */
export const MAX_CHANNELS = 32;

/** Whether the server opened channel `id` (odd ids; the client's are even). */
export function serverOpened(id: number): boolean {
  return id % 2 === 1;
}
/** Credit per channel and direction: the bytes a side takes beyond what it has consumed (also the initial credit). */
export const CHANNEL_WINDOW = 64 << 10;
/** Most unacknowledged channel bytes per direction, all channels together. */
export const MAX_IN_FLIGHT = MAX_UPDATE_DATA;

/** One channel as a state carries it. Immutable. */
export interface ChannelMark {
  readonly kind: string;
  /** Bytes the server has sent on it (its stream's length so far). */
  readonly sent: number;
  /** The server's side has ended: no bytes follow `sent`. */
  readonly closed: boolean;
  /** Credit: the server takes the client's bytes up to this offset. */
  readonly window: number;
}

/** The channels of a state, by id (in increasing order). Immutable: a change makes a new table. */
export interface ChannelTable {
  readonly marks: ReadonlyMap<number, ChannelMark>;
  /** Agent forwarding was asked for but could not be set up: why (null: not said). */
  readonly agentError: string | null;
}

export const EMPTY_TABLE: ChannelTable = Object.freeze({ marks: new Map<number, ChannelMark>(), agentError: null });

/** A host diff's channel part that does not fit the state it is applied to (or the inbox's credit). */
export class ChannelStateError extends RangeError {
  override name = 'ChannelStateError';
}

/** Where the server finds the bytes a diff must carry: [from, to) of channel `id`. Throws if they are gone. */
export interface ChannelSource {
  bytes(id: number, from: number, to: number): Uint8Array;
}

export function channelMarksEqual(a: ChannelMark, b: ChannelMark): boolean {
  return a === b || (a.kind === b.kind && a.sent === b.sent && a.closed === b.closed && a.window === b.window);
}

export function tablesEqual(a: ChannelTable | null, b: ChannelTable | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (a.agentError !== b.agentError || a.marks.size !== b.marks.size) return false;
  for (const [id, m] of a.marks) {
    const o = b.marks.get(id);
    if (!o || !channelMarksEqual(m, o)) return false;
  }
  return true;
}

/** Channel bytes `current` has beyond `acked`, all channels together (the unacknowledged bytes). */
export function bytesBeyond(current: ChannelTable | null, acked: ChannelTable | null): number {
  if (current === null) return 0;
  let n = 0;
  for (const [id, m] of current.marks) n += m.sent - Math.min(m.sent, acked?.marks.get(id)?.sent ?? 0);
  return n;
}

/** The updates that turn `older` into `newer` (server side; the bytes come from `source`), or null for none. */
export function diffTables(
  older: ChannelTable | null,
  newer: ChannelTable,
  source: ChannelSource | null,
): ChannelUpdatesInfo | null {
  const updates: ChannelUpdateInfo[] = [];
  const bytes = (id: number, from: number, to: number): Uint8Array => {
    if (to <= from) return new Uint8Array(0);
    if (!source) throw new Error('this terminal state has no channel bytes to send');
    return source.bytes(id, from, to);
  };
  const olderMarks = older?.marks ?? EMPTY_TABLE.marks;
  const ids = new Set<number>([...olderMarks.keys(), ...newer.marks.keys()]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const m = newer.marks.get(id);
    const o = olderMarks.get(id);
    if (!m) {
      updates.push({ id, offset: 0, data: new Uint8Array(0), closed: false, gone: true });
    } else if (!o) {
      updates.push({
        id,
        kind: m.kind,
        offset: 0,
        data: bytes(id, 0, m.sent),
        closed: m.closed,
        window: m.window,
        gone: false,
      });
    } else if (!channelMarksEqual(m, o)) {
      updates.push({
        id,
        offset: o.sent,
        data: bytes(id, o.sent, m.sent),
        closed: m.closed && !o.closed,
        window: m.window !== o.window ? m.window : undefined,
        gone: false,
      });
    }
  }
  const agentError = newer.agentError !== null && (older?.agentError ?? null) === null ? newer.agentError : undefined;
  if (updates.length === 0 && agentError === undefined) return null;
  return agentError === undefined ? { updates } : { updates, agentError };
}

/**
 * Checks that `u` fits `table` (client side, before anything changes): ids in increasing order, a new channel
 * named and above every id of its side the table has, bytes that continue each channel's stream exactly, nothing
 * after a channel's end, credit that never shrinks, at most 2 * MAX_CHANNELS channels after, and (with an inbox) no
 * bytes beyond the credit the client gives. Throws ChannelStateError.
 */
export function checkUpdates(table: ChannelTable | null, u: ChannelUpdatesInfo, inbox: ChannelInbox | null): void {
  const marks = table?.marks ?? EMPTY_TABLE.marks;
  const maxId = [-1, -1]; // per side: [client (even), server (odd)]
  for (const id of marks.keys()) maxId[id % 2] = Math.max(maxId[id % 2], id);
  let count = marks.size;
  let prev = -1;
  let newOnes = 0;
  const bad = (why: string): never => {
    throw new ChannelStateError(`channel update refused: ${why}`);
  };
  if (u.updates.length > MAX_UPDATES) bad('too many updates');
  for (const c of u.updates) {
    if (c.id <= prev) bad('ids out of order');
    prev = c.id;
    const m = marks.get(c.id);
    if (c.gone) {
      if (!m) bad(`channel ${c.id} is not open`);
      count--;
      continue;
    }
    if (c.offset + c.data.length > Number.MAX_SAFE_INTEGER) bad('offset out of range');
    if (!m) {
      if (c.kind === undefined || c.kind === '') bad(`new channel ${c.id} without a kind`);
      if (c.id <= maxId[c.id % 2]) bad(`new channel ${c.id} is not above the open ones of its side`);
      if (c.offset !== 0) bad(`new channel ${c.id} starts at ${c.offset}`);
      count++;
      newOnes++;
      inbox?.check(c.id, 0, c.data.length, true, newOnes);
      continue;
    }
    if (c.kind !== undefined && c.kind !== m.kind) bad(`channel ${c.id} changed its kind`);
    if (c.offset !== m.sent) bad(`channel ${c.id}: bytes from ${c.offset}, the state has ${m.sent}`);
    if (m.closed && c.data.length > 0) bad(`channel ${c.id}: bytes after its end`);
    if (c.window !== undefined && c.window < m.window) bad(`channel ${c.id}: credit shrank`);
    inbox?.check(c.id, c.offset, c.data.length, false, newOnes);
  }
  if (count > 2 * MAX_CHANNELS) bad(`more than ${2 * MAX_CHANNELS} channels`);
}

/** Applies updates already checked with checkUpdates: the new table; the bytes go to the inbox. */
export function applyUpdates(
  table: ChannelTable | null,
  u: ChannelUpdatesInfo,
  inbox: ChannelInbox | null,
): ChannelTable {
  const marks = new Map(table?.marks ?? EMPTY_TABLE.marks);
  for (const c of u.updates) {
    if (c.gone) {
      marks.delete(c.id);
      continue;
    }
    const m = marks.get(c.id);
    if (c.data.length > 0) inbox?.put(c.id, c.offset, c.data);
    else if (!m) inbox?.put(c.id, 0, c.data); // a new channel with nothing in it yet: the inbox still learns of it
    marks.set(c.id, {
      kind: m?.kind ?? c.kind!,
      sent: c.offset + c.data.length,
      closed: (m?.closed ?? false) || c.closed,
      window: c.window ?? m?.window ?? CHANNEL_WINDOW,
    });
  }
  return { marks, agentError: u.agentError ?? table?.agentError ?? null };
}

interface InboxEntry {
  /** Bytes taken out so far. */
  delivered: number;
  /** Bytes received so far (delivered + the ones held). */
  have: number;
  held: Uint8Array[];
}

/**
 * The client's store of the server's channel bytes, shared by every terminal state it holds: the bytes of a
 * channel arrive once or several times (diffs from different older states overlap) and are held, in order and
 * once, until taken. Bounded: each live channel holds at most CHANNEL_WINDOW bytes beyond those taken (checked
 * before a diff is applied), and at most 4 * MAX_CHANNELS channels are live. Each side numbers its channels
 * upwards and never reuses an id: an id at or below the newest seen of its side that is not live is over, and its
 * bytes are ignored.
 */
export class ChannelInbox {
  private readonly entries = new Map<number, InboxEntry>();
  /** Per side: [client (even ids), server (odd ids)]. */
  private readonly newest = [-1, -1];

  /** Live channels' ids. */
  get ids(): number[] {
    return [...this.entries.keys()];
  }

  /** The newest channel id seen, of either side (-1: none). */
  get newestId(): number {
    return Math.max(this.newest[0], this.newest[1]);
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** Bytes of channel `id` taken so far (0 for one not live). */
  delivered(id: number): number {
    return this.entries.get(id)?.delivered ?? 0;
  }

  /** Bytes of channel `id` held (received, not yet taken). */
  held(id: number): number {
    const e = this.entries.get(id);
    return e ? e.have - e.delivered : 0;
  }

  /** Throws ChannelStateError unless bytes [offset, offset+length) of `id` fit: no gap, within the credit. */
  check(id: number, offset: number, length: number, isNew: boolean, newInThisDiff: number): void {
    const e = this.entries.get(id);
    if (!e) {
      if (id <= this.newest[id % 2]) return; // over: ignored
      if (!isNew) return; // a channel this inbox never knew (a restored client's): nothing to keep
      if (this.entries.size + newInThisDiff > 4 * MAX_CHANNELS)
        throw new ChannelStateError('channel update refused: too many live channels');
      if (length > CHANNEL_WINDOW)
        throw new ChannelStateError(`channel update refused: channel ${id} sent beyond its credit`);
      return;
    }
    if (offset > e.have)
      throw new ChannelStateError(`channel update refused: channel ${id} has a gap (${e.have} to ${offset})`);
    if (offset + length > e.delivered + CHANNEL_WINDOW)
      throw new ChannelStateError(`channel update refused: channel ${id} sent beyond its credit`);
  }

  /** Stores bytes [offset, offset+data.length) of channel `id` (the part not held already). */
  put(id: number, offset: number, data: Uint8Array): void {
    let e = this.entries.get(id);
    if (!e) {
      if (id <= this.newest[id % 2] || offset !== 0) return;
      this.newest[id % 2] = id;
      e = { delivered: 0, have: 0, held: [] };
      this.entries.set(id, e);
    }
    const end = offset + data.length;
    if (end <= e.have || offset > e.have) return;
    e.held.push(data.subarray(e.have - offset));
    e.have = end;
  }

  /** Takes up to `max` held bytes of channel `id` (an empty array when there are none). */
  take(id: number, max: number): Uint8Array {
    const e = this.entries.get(id);
    if (!e || e.have === e.delivered || max <= 0) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let n = 0;
    while (e.held.length > 0 && n < max) {
      const h = e.held[0];
      const want = max - n;
      if (h.length <= want) {
        parts.push(h);
        n += h.length;
        e.held.shift();
      } else {
        parts.push(h.subarray(0, want));
        e.held[0] = h.subarray(want);
        n += want;
      }
    }
    e.delivered += n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Channel `id` is over for the client: its held bytes go, and later ones are ignored. */
  finish(id: number): void {
    this.entries.delete(id);
    if (id > this.newest[id % 2]) this.newest[id % 2] = id;
  }

  /** Every channel up to `id`, of both sides, is over (a restored client: the saved states' channels are not its own). */
  retire(id: number): void {
    for (const k of this.entries.keys()) if (k <= id) this.entries.delete(k);
    for (const side of [0, 1]) if (id > this.newest[side]) this.newest[side] = id;
  }
}
