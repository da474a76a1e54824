// TransportBuffers.Instruction (mosh-protocol.md section 5): the plain-data Instruction type and its exact wire
// encoding (all 7 fields, field-number order, as the stock peer sends), decoding, and chaff generation.
// Not the fragment layer (fragment.ts) and not the SSP receiver: the protocol version is NOT checked here.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { InstructionSchema } from './gen/transportinstruction_pb';

export const MOSH_PROTOCOL_VERSION = 2;
/** new_num of the shutdown state, and the ack that acknowledges it. */
export const SHUTDOWN_NUM = 2n ** 64n - 1n;

const U64_MAX = SHUTDOWN_NUM;
const U32_MAX = 0xffffffff;

export interface Instruction {
  protocolVersion: number;
  oldNum: bigint;
  newNum: bigint;
  ackNum: bigint;
  throwawayNum: bigint;
  diff: Uint8Array;
  chaff: Uint8Array;
}

/** Thrown by decodeInstruction (and only there) when the bytes are not a parseable Instruction. */
export class InstructionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InstructionError';
  }
}

function checkU64(name: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new RangeError(`${name} out of uint64 range: ${String(v)}`);
}

/** Serializes with every field present (zeros and empty bytes included), in field-number order. */
export function encodeInstruction(i: Instruction): Uint8Array {
  if (!Number.isInteger(i.protocolVersion) || i.protocolVersion < 0 || i.protocolVersion > U32_MAX) {
    throw new RangeError(`protocolVersion out of uint32 range: ${i.protocolVersion}`);
  }
  checkU64('oldNum', i.oldNum);
  checkU64('newNum', i.newNum);
  checkU64('ackNum', i.ackNum);
  checkU64('throwawayNum', i.throwawayNum);
  // proto2: values given to create() are explicitly set, so zero/empty fields are still written.
  const msg = create(InstructionSchema, {
    protocolVersion: i.protocolVersion,
    oldNum: i.oldNum,
    newNum: i.newNum,
    ackNum: i.ackNum,
    throwawayNum: i.throwawayNum,
    diff: i.diff,
    chaff: i.chaff,
  });
  return toBinary(InstructionSchema, msg);
}

/** Parses an Instruction; absent fields read as 0 / empty. Throws InstructionError on malformed bytes. */
export function decodeInstruction(bytes: Uint8Array): Instruction {
  let msg;
  try {
    msg = fromBinary(InstructionSchema, bytes);
  } catch (e) {
    throw new InstructionError(`malformed transport instruction: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  return {
    protocolVersion: msg.protocolVersion,
    oldNum: msg.oldNum,
    newNum: msg.newNum,
    ackNum: msg.ackNum,
    throwawayNum: msg.throwawayNum,
    // Plain Uint8Array copies: the parser returns views into `bytes` (Buffer views if it is a Buffer).
    diff: new Uint8Array(msg.diff),
    chaff: new Uint8Array(msg.chaff),
  };
}

/** 0-16 random bytes (length = random byte % 17), as the stock sender pads instructions. */
export function randomChaff(): Uint8Array {
  const pool = randomBytes(17);
  return new Uint8Array(pool.subarray(1, 1 + (pool[0] % 17)));
}
