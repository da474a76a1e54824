// Channels on the wire (proto/statesync/gen/channels.proto): the client's channel event (an extension event in
// the user stream) and the server's channel updates (a host instruction in the terminal state's diff), as plain
// data, with the size and range limits every decoder applies. The limits themselves, and what the updates mean
// for a terminal state, are in channels.ts; the behaviour (sockets, credit, closing) is the client's and the
// server's (src/client/channels.ts, server/channelhost.ts).
import { create, fromBinary, getExtension, hasExtension, setExtension, toBinary } from '@bufbuild/protobuf';
import {
  channel_event,
  ChannelEventSchema,
  type ChannelUpdates,
  ChannelUpdateSchema,
  ChannelUpdatesSchema,
} from './gen/channels_pb';
import { InstructionSchema } from './gen/userinput_pb';

/** Most bytes of data in one channel event (the client splits larger writes). */
export const MAX_EVENT_DATA = 16 << 10;
/** Most bytes of channel data in one host message: a diff never carries more (see MAX_IN_FLIGHT). */
export const MAX_UPDATE_DATA = 16 << 10;
/** Most channel updates in one host message, and the longest kind name and agent error text. */
export const MAX_UPDATES = 64;
export const MAX_KIND_LENGTH = 32;
export const MAX_AGENT_ERROR_LENGTH = 512;

/** A channel event of the client (client -> server). */
export interface ChannelEventInfo {
  id: number;
  /** Offset of `data`'s first byte in the client's stream on this channel. */
  offset: number;
  data: Uint8Array;
  /** Credit: the client takes the server's bytes up to this offset (0 on the wire: not said). */
  window?: number;
  /** The client is done with the channel (after `data`). */
  close: boolean;
  /** The client opens this channel (an even id) for this kind of service. */
  open?: string;
}

/** One channel's part of a host diff (server -> client). */
export interface ChannelUpdateInfo {
  id: number;
  /** Set for a channel the older state lacks. */
  kind?: string;
  /** Offset of `data`'s first byte in the server's stream on this channel (the older state's count). */
  offset: number;
  data: Uint8Array;
  /** The server's side ended after `data`. */
  closed: boolean;
  /** Credit: the server takes the client's bytes up to this offset. */
  window?: number;
  /** The channel is over: forget it. */
  gone: boolean;
}

/** The channel part of a host diff. */
export interface ChannelUpdatesInfo {
  updates: ChannelUpdateInfo[];
  /** Agent forwarding was asked for but could not be set up on the server: why. */
  agentError?: string;
}

/** A uint64 from the wire as a safe integer, or an error. */
function safe(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`channel ${what} out of range`);
  return Number(n);
}

/** The event as an encoded ClientBuffers.Instruction, for UserStream.pushExt. */
export function encodeChannelEvent(e: ChannelEventInfo): Uint8Array {
  const inst = create(InstructionSchema);
  setExtension(
    inst,
    channel_event,
    create(ChannelEventSchema, {
      id: BigInt(e.id),
      offset: e.offset > 0 ? BigInt(e.offset) : undefined,
      data: e.data.length > 0 ? e.data : undefined,
      window: e.window === undefined ? undefined : BigInt(e.window),
      close: e.close || undefined,
      open: e.open,
    }),
  );
  return toBinary(InstructionSchema, inst);
}

/**
 * Reads an extension event: the channel event it carries, null if it is not one (another extension), or 'bad'
 * for a channel event beyond the limits (numbers past 2^53, more than MAX_EVENT_DATA bytes) or unreadable bytes.
 */
export function decodeChannelEvent(event: Uint8Array): ChannelEventInfo | 'bad' | null {
  let inst;
  try {
    inst = fromBinary(InstructionSchema, event);
  } catch {
    return null;
  }
  if (!hasExtension(inst, channel_event)) return null;
  try {
    const e = getExtension(inst, channel_event);
    if (e.data.length > MAX_EVENT_DATA || e.open.length > MAX_KIND_LENGTH) return 'bad';
    const out: ChannelEventInfo = {
      id: safe(e.id, 'id'),
      offset: safe(e.offset, 'offset'),
      data: e.data,
      window: e.window === 0n ? undefined : safe(e.window, 'window'),
      close: e.close,
    };
    if (e.open !== '') out.open = e.open;
    return out;
  } catch {
    return 'bad';
  }
}

/** Wire form of the channel part of a host diff. */
export function channelUpdatesToWire(u: ChannelUpdatesInfo): ChannelUpdates {
  return create(ChannelUpdatesSchema, {
    channel: u.updates.map((c) =>
      create(ChannelUpdateSchema, {
        id: BigInt(c.id),
        kind: c.kind,
        offset: c.offset > 0 ? BigInt(c.offset) : undefined,
        data: c.data.length > 0 ? c.data : undefined,
        closed: c.closed || undefined,
        window: c.window === undefined ? undefined : BigInt(c.window),
        gone: c.gone || undefined,
      }),
    ),
    agentError: u.agentError,
  });
}

/**
 * The channel part of a host diff from its wire form, within the limits (MAX_UPDATES updates, MAX_UPDATE_DATA
 * bytes of data in all, numbers below 2^53, short kind and error texts). Throws on anything beyond them. Whether
 * the updates fit the state they are applied to is checked there (channels.ts).
 */
export function channelUpdatesFromWire(w: ChannelUpdates): ChannelUpdatesInfo {
  if (w.channel.length > MAX_UPDATES)
    throw new RangeError(`${w.channel.length} channel updates in one message (at most ${MAX_UPDATES})`);
  let bytes = 0;
  const updates: ChannelUpdateInfo[] = [];
  for (const c of w.channel) {
    bytes += c.data.length;
    if (bytes > MAX_UPDATE_DATA)
      throw new RangeError(`more than ${MAX_UPDATE_DATA} bytes of channel data in one message`);
    if (c.kind.length > MAX_KIND_LENGTH) throw new RangeError('channel kind too long');
    updates.push({
      id: safe(c.id, 'id'),
      kind: c.kind === '' ? undefined : c.kind,
      offset: safe(c.offset, 'offset'),
      data: new Uint8Array(c.data),
      closed: c.closed,
      window: c.window === 0n ? undefined : safe(c.window, 'window'),
      gone: c.gone,
    });
  }
  const agentError = w.agentError === '' ? undefined : w.agentError.slice(0, MAX_AGENT_ERROR_LENGTH);
  return agentError === undefined ? { updates } : { updates, agentError };
}
