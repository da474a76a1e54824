// Tests for src/transport/instruction.ts: byte-exact TransportBuffers.Instruction encoding against the spec
// vectors, 64-bit extremes, absent fields, malformed input and chaff. Not a test of fragments or zlib.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Instruction,
  InstructionError,
  MOSH_PROTOCOL_VERSION,
  SHUTDOWN_NUM,
  decodeInstruction,
  encodeInstruction,
  randomChaff,
} from '../../src/transport/instruction';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function inst(over: Partial<Instruction> = {}): Instruction {
  return {
    protocolVersion: MOSH_PROTOCOL_VERSION,
    oldNum: 0n,
    newNum: 0n,
    ackNum: 0n,
    throwawayNum: 0n,
    diff: new Uint8Array(0),
    chaff: new Uint8Array(0),
    ...over,
  };
}

const VECTOR1 = inst({ newNum: 1n, diff: unhex('0a061a0428503018') });
const VECTOR1_HEX = '0802100018012000280032080a061a04285030183a00';
const VECTOR2 = inst({ newNum: 1n, ackNum: 1n, diff: unhex('0a043a0240010a06120422026869') });
const VECTOR2_HEX = '08021000180120012800320e0a043a0240010a061204220268693a00';

test('constants: protocol version 2 and shutdown number 2^64-1', () => {
  assert.equal(MOSH_PROTOCOL_VERSION, 2);
  assert.equal(SHUTDOWN_NUM, 18446744073709551615n);
});

test('encodes the client->server spec vector byte for byte, all 7 fields in field order', () => {
  assert.equal(hex(encodeInstruction(VECTOR1)), VECTOR1_HEX);
});

test('encodes the server->client spec vector byte for byte', () => {
  assert.equal(hex(encodeInstruction(VECTOR2)), VECTOR2_HEX);
});

test('decodes the spec vectors into their fields', () => {
  assert.deepEqual(decodeInstruction(unhex(VECTOR1_HEX)), VECTOR1);
  assert.deepEqual(decodeInstruction(unhex(VECTOR2_HEX)), VECTOR2);
});

test('an all-zero instruction still carries every field', () => {
  assert.equal(hex(encodeInstruction(inst({ protocolVersion: 0 }))), '080010001800200028003200' + '3a00');
});

test('2^64-1 encodes as the 10-byte varint ff..ff 01 and round-trips in every 64-bit field', () => {
  const enc = encodeInstruction(inst({ newNum: SHUTDOWN_NUM }));
  assert.equal(hex(enc), '08021000' + '18ffffffffffffffffff01' + '20002800' + '3200' + '3a00');
  const all = inst({ oldNum: SHUTDOWN_NUM, newNum: SHUTDOWN_NUM, ackNum: SHUTDOWN_NUM, throwawayNum: SHUTDOWN_NUM });
  assert.deepEqual(decodeInstruction(encodeInstruction(all)), all);
});

test('large 64-bit values round-trip exactly (no float rounding)', () => {
  const v = inst({ oldNum: 2n ** 53n + 1n, newNum: 2n ** 63n + 12345n, ackNum: 2n ** 62n - 1n, throwawayNum: 7n });
  assert.deepEqual(decodeInstruction(encodeInstruction(v)), v);
});

test('absent fields decode as 0 and empty (a missing version reads 0)', () => {
  assert.deepEqual(decodeInstruction(new Uint8Array(0)), inst({ protocolVersion: 0 }));
  assert.deepEqual(decodeInstruction(unhex('1805')), inst({ protocolVersion: 0, newNum: 5n }));
});

test('does not check the protocol version (the receiver does)', () => {
  assert.equal(decodeInstruction(unhex('0803')).protocolVersion, 3);
});

test('unknown fields are skipped', () => {
  // field 9 varint, field 10 bytes, then new_num = 4
  assert.equal(decodeInstruction(unhex('4801' + '5202abcd' + '1804')).newNum, 4n);
});

test('decoded byte fields are copies, not views into the input', () => {
  const bytes = encodeInstruction(inst({ diff: unhex('aabb'), chaff: unhex('cc') }));
  const d = decodeInstruction(bytes);
  bytes.fill(0);
  assert.equal(hex(d.diff), 'aabb');
  assert.equal(hex(d.chaff), 'cc');
  // Also from a Buffer, whose slice() would be a view: the result is a plain, independent Uint8Array.
  const buf = Buffer.from(encodeInstruction(inst({ diff: unhex('aabb') })));
  const e = decodeInstruction(buf);
  buf.fill(0);
  assert.equal(hex(e.diff), 'aabb');
  assert.equal(Object.getPrototypeOf(e.diff), Uint8Array.prototype);
});

test('malformed bytes throw InstructionError', () => {
  for (const bad of ['0a', '32', '3205aa', '18ff', '18ffffffffffffffffffff01', '0f', '07']) {
    assert.throws(() => decodeInstruction(unhex(bad)), InstructionError, bad);
  }
});

test('encoding rejects values outside uint64/uint32', () => {
  assert.throws(() => encodeInstruction(inst({ newNum: 2n ** 64n })), RangeError);
  assert.throws(() => encodeInstruction(inst({ ackNum: -1n })), RangeError);
  assert.throws(() => encodeInstruction(inst({ protocolVersion: -1 })), RangeError);
});

test('chaff is 0-16 bytes and varies in length', () => {
  const lengths = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const c = randomChaff();
    assert.ok(c instanceof Uint8Array);
    assert.ok(c.length >= 0 && c.length <= 16);
    lengths.add(c.length);
  }
  assert.equal(lengths.size, 17);
});
