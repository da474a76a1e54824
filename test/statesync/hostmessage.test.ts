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
import { create, fromBinary, getExtension, hasExtension, setExtension, toBinary } from '@bufbuild/protobuf';
import {
  EchoAckSchema,
  echoack,
  HostBytesSchema,
  hostbytes,
  HostMessageSchema,
  InstructionSchema,
  resize,
  ResizeMessageSchema,
} from '../../src/statesync/gen/hostinput_pb';
import { history, HistoryLineSchema, HistoryLinesSchema } from '../../src/statesync/gen/extensions_pb';

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

test('an extension given twice in one instruction is merged as protobuf merges it (the later field wins)', () => {
  // one instruction: resize {width 80, height 24}, then resize {width 100}; then hostbytes "a" and hostbytes "b"
  const inst = '1a04' + '2850' + '3018' + '1a02' + '2864';
  const inst2 = '1203' + '220161' + '1203' + '220162';
  const msg = '0a' + (inst.length / 2).toString(16).padStart(2, '0') + inst + '0a' + '0a' + inst2;
  assert.deepEqual(decodeHostMessage(unhex(msg)), [
    { type: 'resize', width: 100, height: 24 },
    { type: 'hostbytes', bytes: text('b') },
  ]);
});

test('decoding agrees with protobuf getExtension on random instructions, duplicates and garbage included', () => {
  // Reference: the library's own hasExtension/getExtension over the same bytes.
  const reference = (bytes: Uint8Array): unknown => {
    try {
      const out: unknown[] = [];
      for (const inst of fromBinary(HostMessageSchema, bytes).instruction) {
        if (hasExtension(inst, hostbytes)) out.push(['b', hex(getExtension(inst, hostbytes).hoststring)]);
        if (hasExtension(inst, resize))
          out.push(['r', getExtension(inst, resize).width, getExtension(inst, resize).height]);
        if (hasExtension(inst, echoack)) out.push(['e', getExtension(inst, echoack).echoAckNum]);
      }
      return out;
    } catch {
      return 'error';
    }
  };
  const ours = (bytes: Uint8Array): unknown => {
    try {
      return decodeHostMessage(bytes).map((h) =>
        h.type === 'hostbytes'
          ? ['b', hex(h.bytes)]
          : h.type === 'resize'
            ? ['r', h.width, h.height]
            : h.type === 'echoack'
              ? ['e', h.num]
              : [h.type],
      );
    } catch (e) {
      assert.ok(e instanceof HostMessageError);
      return 'error';
    }
  };
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pieces = [
    '1203220161',
    '120122',
    '1a042850' + '3018',
    '1a022864',
    '3a024005',
    '3a00',
    '1200',
    '4801',
    '1a0130',
  ];
  for (let round = 0; round < 3000; round++) {
    let body = '';
    for (let k = rnd(5); k > 0; k--) body += pieces[rnd(pieces.length)];
    if (rnd(4) === 0) body += rnd(256).toString(16).padStart(2, '0'); // a stray byte: often malformed
    const bytes = unhex('0a' + (body.length / 2).toString(16).padStart(2, '0') + body);
    assert.deepEqual(ours(bytes), reference(bytes), hex(bytes));
  }
});

test('encoding gives the bytes protobuf setExtension and toBinary give, for random instruction lists', () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 500; round++) {
    const list: HostInstruction[] = [];
    for (let k = rnd(5); k > 0; k--) {
      const kind = rnd(4);
      if (kind === 0) list.push({ type: 'hostbytes', bytes: new Uint8Array(rnd(300)).map(() => rnd(256)) });
      else if (kind === 1) list.push({ type: 'resize', width: rnd(3000), height: rnd(3000) });
      else if (kind === 2) list.push({ type: 'echoack', num: BigInt(rnd(1 << 30)) * BigInt(rnd(1 << 30)) });
      else
        list.push({
          type: 'history',
          first: BigInt(rnd(100000)),
          lines: Array.from({ length: rnd(4) }, () => ({ text: text('line ' + rnd(999)), wraps: rnd(2) === 1 })),
          clearedBefore: BigInt(rnd(10)),
          keptFrom: BigInt(rnd(100)),
        });
    }
    const instruction = list.map((h) => {
      const inst = create(InstructionSchema);
      if (h.type === 'hostbytes') setExtension(inst, hostbytes, create(HostBytesSchema, { hoststring: h.bytes }));
      else if (h.type === 'resize')
        setExtension(inst, resize, create(ResizeMessageSchema, { width: h.width, height: h.height }));
      else if (h.type === 'echoack') setExtension(inst, echoack, create(EchoAckSchema, { echoAckNum: h.num }));
      else if (h.type === 'history')
        setExtension(
          inst,
          history,
          create(HistoryLinesSchema, {
            first: h.first,
            line: h.lines.map((l) => create(HistoryLineSchema, l)),
            clearedBefore: h.clearedBefore,
            keptFrom: h.keptFrom,
          }),
        );
      return inst;
    });
    const want = list.length === 0 ? '' : hex(toBinary(HostMessageSchema, create(HostMessageSchema, { instruction })));
    assert.equal(hex(encodeHostMessage(list)), want, `round ${round}`);
  }
});
