// Our extensions to mosh's streams (ARCHITECTURE.md, "Beyond stock mosh"), as plain data: the client's hello (an
// extension event in the user stream: what it takes, how much history it keeps, where a restored terminal wants
// history replayed from) and its wire form. The server's side (its hello and history lines) travels as host
// instructions (hostmessage.ts). Limits on everything a peer may send are here too. Not the behaviour: the server
// (server/) and the client (src/client/) decide what to do with them.
import { create, fromBinary, getExtension, hasExtension, isFieldSet, setExtension, toBinary } from '@bufbuild/protobuf';
import { client_hello, ClientHelloSchema } from './gen/extensions_pb';
import { InstructionSchema } from './gen/userinput_pb';

/** Version of our extension protocol. */
export const EXTENSIONS_VERSION = 1;
/** Feature names a hello may carry. */
export const FEATURE_HISTORY = 'history';
export const FEATURE_CHANNELS = 'channels';
/** Most history lines a client may ask a server to keep for it, and most features a hello may list. */
export const MAX_HISTORY_LINES = 100_000;
const MAX_FEATURES = 32;
const MAX_FEATURE_LENGTH = 64;

export interface ClientHello {
  version: number;
  features: string[];
  /** History lines the client keeps (its scrollback); 0: none. */
  historyLines: number;
  /** A restored client's terminal is new: replay the history lines from this number. */
  replayFrom?: bigint;
}

/** The client's hello as an extension event for the user stream (an encoded ClientBuffers.Instruction). */
export function encodeClientHello(h: ClientHello): Uint8Array {
  const inst = create(InstructionSchema);
  setExtension(
    inst,
    client_hello,
    create(ClientHelloSchema, {
      version: h.version,
      features: h.features,
      historyLines: h.historyLines,
      replayFrom: h.replayFrom,
    }),
  );
  return toBinary(InstructionSchema, inst);
}

/**
 * Reads an extension event. Returns the hello it carries (bounded: features capped, history lines clamped to
 * MAX_HISTORY_LINES), or null for anything else (an extension this version does not know, or bad bytes).
 */
export function decodeClientHello(event: Uint8Array): ClientHello | null {
  try {
    const inst = fromBinary(InstructionSchema, event);
    if (!hasExtension(inst, client_hello)) return null;
    const h = getExtension(inst, client_hello);
    return {
      version: h.version,
      features: h.features.slice(0, MAX_FEATURES).filter((f) => f.length <= MAX_FEATURE_LENGTH),
      historyLines: Math.min(h.historyLines >>> 0, MAX_HISTORY_LINES),
      // proto2: a field left out reads as 0, so presence tells a replay from 0 (a restore wanting it all) from none.
      replayFrom: isFieldSet(h, ClientHelloSchema.field.replayFrom) ? h.replayFrom : undefined,
    };
  } catch {
    return null;
  }
}
