// HostBuffers.HostMessage (mosh-protocol.md section 7.2): the server -> client diff's wire format as a plain
// list of host instructions (host bytes, resize, echo-ack). Not the terminal state: no emulator, no diffing.

import { create, fromBinary, type Message, mergeFromBinary, toBinary } from '@bufbuild/protobuf';
import type { GenExtension, GenMessage } from '@bufbuild/protobuf/codegenv2';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  EchoAckSchema,
  HostBytesSchema,
  HostMessageSchema,
  ResizeMessageSchema,
  echoack,
  hostbytes,
  resize,
  type Instruction as HostWireInstruction,
} from './gen/hostinput_pb';
import { history, server_hello, ServerHelloSchema } from './gen/extensions_pb';
import { MAX_HISTORY_LINES } from './extensions';
import { channels, ChannelUpdatesSchema } from './gen/channels_pb';
import { channelUpdatesFromWire, type ChannelUpdatesInfo, channelUpdatesToWire } from './channelwire';

/** A history line: its text (SGR renditions and printable characters only) and whether it runs on. */
export interface HistoryLine {
  text: Uint8Array;
  wraps: boolean;
}

export type HostInstruction =
  | { type: 'hostbytes'; bytes: Uint8Array }
  | { type: 'resize'; width: number; height: number }
  | { type: 'echoack'; num: bigint }
  /** Ours (extensions.ts): what our server supports, for a client that said hello. */
  | { type: 'hello'; version: number; features: string[]; historyLines: number }
  /** Ours: lines that scrolled off the primary screen, numbered from `first`; see HistoryLines in the proto. */
  | { type: 'history'; first: bigint; lines: HistoryLine[]; clearedBefore: bigint; keptFrom: bigint }
  /** Ours (channelwire.ts): the channel part of the state: bytes, ends, credit, channels opened and gone. */
  | ({ type: 'channels' } & ChannelUpdatesInfo);

/** Thrown by decodeHostMessage (and only there) on bytes that are not a valid HostMessage. */
export class HostMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostMessageError';
  }
}

/**
 * One Instruction per entry, in list order, each carrying exactly one extension: the bytes protobuf's
 * setExtension and toBinary give, written with the library's BinaryWriter (setExtension builds an extension
 * container per call, which made it the larger part of encoding a frame).
 */
export function encodeHostMessage(list: HostInstruction[]): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  const w = new BinaryWriter();
  for (const h of list) {
    let no: number;
    let value: Uint8Array;
    switch (h.type) {
      case 'hostbytes':
        no = hostbytes.number;
        value = toBinary(HostBytesSchema, create(HostBytesSchema, { hoststring: h.bytes }));
        break;
      case 'resize':
        no = resize.number;
        value = toBinary(ResizeMessageSchema, create(ResizeMessageSchema, { width: h.width, height: h.height }));
        break;
      case 'echoack':
        if (h.num < 0n || h.num > 2n ** 64n - 1n) throw new RangeError(`echo ack out of uint64 range: ${h.num}`);
        no = echoack.number;
        value = toBinary(EchoAckSchema, create(EchoAckSchema, { echoAckNum: h.num }));
        break;
      case 'hello':
        no = server_hello.number;
        value = toBinary(
          ServerHelloSchema,
          create(ServerHelloSchema, { version: h.version, features: h.features, historyLines: h.historyLines }),
        );
        break;
      case 'history':
        // Up to a thousand lines: written field by field (what toBinary writes, without a message per line)
        w.tag(1, WireType.LengthDelimited).fork().tag(history.number, WireType.LengthDelimited).fork();
        w.tag(1, WireType.Varint).uint64(h.first);
        for (const l of h.lines) {
          w.tag(2, WireType.LengthDelimited).fork();
          w.tag(1, WireType.LengthDelimited).bytes(l.text).tag(2, WireType.Varint).bool(l.wraps).join();
        }
        w.tag(3, WireType.Varint).uint64(h.clearedBefore).tag(4, WireType.Varint).uint64(h.keptFrom).join().join();
        continue;
      case 'channels':
        no = channels.number;
        value = toBinary(ChannelUpdatesSchema, channelUpdatesToWire(h));
        break;
    }
    // HostMessage.instruction (field 1), holding the extension field alone
    w.tag(1, WireType.LengthDelimited).fork().tag(no, WireType.LengthDelimited).bytes(value).join();
  }
  return w.finish();
}

/**
 * Parses a HostMessage. Instructions without a known extension are skipped; one carrying several known
 * extensions yields them in field-number order. Host bytes are copies. Throws HostMessageError on malformed bytes.
 */
export function decodeHostMessage(bytes: Uint8Array): HostInstruction[] {
  const out: HostInstruction[] = [];
  try {
    const msg = fromBinary(HostMessageSchema, bytes);
    newest.message = msg;
    for (const inst of msg.instruction) {
      const unknown = inst.$unknown;
      if (unknown === undefined || unknown.length === 0) continue;
      const hb = extensionOf(unknown, hostbytes);
      if (hb !== undefined) out.push({ type: 'hostbytes', bytes: new Uint8Array(hb.hoststring) });
      const r = extensionOf(unknown, resize);
      if (r !== undefined) out.push({ type: 'resize', width: r.width, height: r.height });
      const e = extensionOf(unknown, echoack);
      if (e !== undefined) out.push({ type: 'echoack', num: e.echoAckNum });
      const h = extensionOf(unknown, server_hello);
      if (h !== undefined) {
        out.push({
          type: 'hello',
          version: h.version,
          features: h.features.slice(0, 32),
          historyLines: h.historyLines,
        });
      }
      const hl = extensionOf(unknown, history);
      if (hl !== undefined) {
        if (hl.line.length > MAX_HISTORY_LINES)
          throw new Error(`${hl.line.length} history lines in one message (at most ${MAX_HISTORY_LINES})`);
        out.push({
          type: 'history',
          first: hl.first,
          lines: hl.line.map((l) => ({ text: l.text, wraps: l.wraps })),
          clearedBefore: hl.clearedBefore,
          keptFrom: hl.keptFrom,
        });
      }
      const ch = extensionOf(unknown, channels);
      if (ch !== undefined) out.push({ type: 'channels', ...channelUpdatesFromWire(ch) });
    }
  } catch (e) {
    throw new HostMessageError(`malformed HostMessage: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return out;
}

/**
 * A message-typed extension of an Instruction, read from its unknown fields as protobuf's getExtension reads it
 * (every occurrence merged in order; undefined: absent), without building an extension container per call (that
 * made getExtension the largest part of decoding a frame).
 */
function extensionOf<Value extends Message>(
  unknown: readonly { no: number; data: Uint8Array }[],
  ext: GenExtension<HostWireInstruction, Value>,
): Value | undefined {
  let out: Value | undefined;
  for (const uf of unknown) {
    if (uf.no !== ext.number) continue;
    const schema = ext.message as GenMessage<Value>;
    const reader = new BinaryReader(uf.data);
    newest.reader = reader;
    const payload = reader.bytes();
    out = out === undefined ? fromBinary(schema, payload) : mergeFromBinary(schema, out, payload);
  }
  if (out !== undefined) newest.values.set(ext.number, out);
  return out;
}

/**
 * The newest decoded message, reader and extension value of each kind, kept reachable: V8 drops a hidden class
 * (map) once no object has it, and with it every optimized function that checks for it. Decoded messages live for
 * one diff, so without this each major GC would throw away the compiled decoding code (see `newest` in
 * emulator/framebuffer.ts).
 */
const newest: { message: Message | null; reader: BinaryReader | null; values: Map<number, Message> } = {
  message: null,
  reader: null,
  values: new Map(),
};
