// Tests for src/statesync/hostmessage.ts: the HostMessage spec vector, each instruction kind, 64-bit echo-acks,
// unknown extensions and malformed input. Not a test of the terminal state that produces or applies them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type HostInstruction,
  HostMessageError,
  decodeHostMessage,
  encodeHostMessage,
} from '../../src/statesync/hostmessage';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

test('spec vector: [echoack 1][hostbytes "hi"] is 0a043a0240010a06120422026869', () => {
  const list: HostInstruction[] = [
    { type: 'echoack', num: 1n },
    { type: 'hostbytes', bytes: text('hi') },
  ];
  assert.equal(hex(encodeHostMessage(list)), '0a043a0240010a06120422026869');
  assert.deepEqual(decodeHostMessage(unhex('0a043a0240010a06120422026869')), list);
});

test('a resize encodes as its own instruction with tags 28/30 and round-trips', () => {
  const list: HostInstruction[] = [{ type: 'resize', width: 80, height: 24 }];
  assert.equal(hex(encodeHostMessage(list)), '0a061a0428503018');
  assert.deepEqual(decodeHostMessage(encodeHostMessage(list)), list);
});

test('the observed server diff order [echoack][resize][hostbytes] round-trips in order', () => {
  const list: HostInstruction[] = [
    { type: 'echoack', num: 4n },
    { type: 'resize', width: 132, height: 50 },
    { type: 'hostbytes', bytes: text('\x1b[?25l\n# \x1b[?25h') },
  ];
  assert.deepEqual(decodeHostMessage(encodeHostMessage(list)), list);
});

test('echo-ack numbers are exact 64-bit values, including 2^64-1', () => {
  for (const num of [0n, 127n, 128n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
    assert.deepEqual(decodeHostMessage(encodeHostMessage([{ type: 'echoack', num }])), [{ type: 'echoack', num }]);
  }
  assert.equal(hex(encodeHostMessage([{ type: 'echoack', num: 2n ** 64n - 1n }])), '0a0d3a0b40ffffffffffffffffff01');
  assert.throws(() => encodeHostMessage([{ type: 'echoack', num: 2n ** 64n }]), RangeError);
});

test('large host bytes (1 MB) round-trip', () => {
  const bytes = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  const [got] = decodeHostMessage(encodeHostMessage([{ type: 'hostbytes', bytes }]));
  assert.ok(got.type === 'hostbytes' && Buffer.from(got.bytes).equals(bytes));
});

test('an empty list is the empty message, and the empty message decodes to no instructions', () => {
  assert.equal(encodeHostMessage([]).length, 0);
  assert.deepEqual(decodeHostMessage(new Uint8Array(0)), []);
});

test('absent fields read as empty / 0', () => {
  assert.deepEqual(decodeHostMessage(unhex('0a021200' + '0a021a00' + '0a023a00')), [
    { type: 'hostbytes', bytes: new Uint8Array(0) },
    { type: 'resize', width: 0, height: 0 },
    { type: 'echoack', num: 0n },
  ]);
});

test('instructions without a known extension are skipped', () => {
  // extension 9 (varint), extension 20 (bytes), an empty instruction, then hostbytes "x"
  assert.deepEqual(decodeHostMessage(unhex('0a024801' + '0a04a201016b' + '0a00' + '0a0512032201' + '78')), [
    { type: 'hostbytes', bytes: text('x') },
  ]);
});

test('decoded host bytes are independent copies of the input, even from a Buffer', () => {
  const input = Buffer.from('0a06120422026869', 'hex');
  const [got] = decodeHostMessage(input);
  input.fill(0);
  assert.ok(got.type === 'hostbytes');
  assert.equal(Buffer.from(got.bytes).toString(), 'hi');
  assert.equal(Object.getPrototypeOf(got.bytes), Uint8Array.prototype);
});

test('malformed bytes throw HostMessageError', () => {
  for (const bad of ['0a', '0aff', '0a03120120', '0a03120122', '0a02107f', '0a021aff', '0a023aff', 'ff', '0f']) {
    assert.throws(() => decodeHostMessage(unhex(bad)), HostMessageError, bad);
  }
});
