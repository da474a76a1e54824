// Tests for src/transport/fragment.ts: header layout, chunk budgets, the Fragmenter (zlib, splitting, ids) and
// the single-slot FragmentAssembly with its drop rules. Not a test of the datagram layer or SSP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  type Fragment,
  FragmentAssembly,
  Fragmenter,
  MAX_INSTRUCTION_BYTES,
  MTU_FALLBACK,
  MTU_IPV4,
  MTU_IPV6,
  chunkBudget,
  encodeFragment,
  inflateChunk,
  parseFragment,
} from '../../src/transport/fragment';
import { type Instruction, SHUTDOWN_NUM, encodeInstruction } from '../../src/transport/instruction';

function inst(diff: Uint8Array, newNum = 1n): Instruction {
  return {
    protocolVersion: 2,
    oldNum: 0n,
    newNum,
    ackNum: 0n,
    throwawayNum: 0n,
    diff,
    chaff: new Uint8Array(0),
  };
}

/** Random bytes as a plain Uint8Array (decoded fields are plain Uint8Arrays, not Buffers). */
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function parsed(frags: Buffer[]): Fragment[] {
  return frags.map((b) => {
    const f = parseFragment(b);
    assert.ok(f);
    return f;
  });
}

/** Fragments of an arbitrary compressed body, as a (possibly hostile) peer could send them. */
function rawFragments(id: bigint, body: Buffer, budget: number): Fragment[] {
  const out: Fragment[] = [];
  const n = Math.max(1, Math.ceil(body.length / budget));
  for (let i = 0; i < n; i++) {
    out.push({ id, num: i, final: i === n - 1, chunk: body.subarray(i * budget, (i + 1) * budget) });
  }
  return out;
}

test('MTU constants and chunk budgets: 1252 -> 1214, 1216 -> 1178, 500 -> 462', () => {
  assert.deepEqual([MTU_IPV4, MTU_IPV6, MTU_FALLBACK], [1252, 1216, 500]);
  assert.equal(chunkBudget(MTU_IPV4), 1214);
  assert.equal(chunkBudget(MTU_IPV6), 1178);
  assert.equal(chunkBudget(MTU_FALLBACK), 462);
});

test('header is an 8-byte big-endian id then final bit 15 | number', () => {
  const b = encodeFragment({ id: 0x0102030405060708n, num: 0x1234, final: true, chunk: Buffer.from('xyz') });
  assert.equal(b.toString('hex'), '0102030405060708' + '9234' + '78797a');
  const f = parseFragment(b);
  assert.deepEqual(f, { id: 0x0102030405060708n, num: 0x1234, final: true, chunk: Buffer.from('xyz') });
  const g = parseFragment(encodeFragment({ id: SHUTDOWN_NUM, num: 0x7fff, final: false, chunk: Buffer.alloc(0) }));
  assert.deepEqual(g, { id: SHUTDOWN_NUM, num: 0x7fff, final: false, chunk: Buffer.alloc(0) });
});

test('parseFragment returns null below 10 bytes and accepts exactly 10', () => {
  for (let n = 0; n < 10; n++) assert.equal(parseFragment(Buffer.alloc(n)), null);
  assert.deepEqual(parseFragment(Buffer.alloc(10)), { id: 0n, num: 0, final: false, chunk: Buffer.alloc(0) });
  assert.equal(parseFragment(new Uint8Array(Buffer.from('00000000000000078000ab', 'hex')))?.id, 7n);
});

test('the spec vector instruction becomes one final fragment 0 with id 1 carrying an RFC 1950 zlib stream', () => {
  const fr = new Fragmenter();
  const [one, ...rest] = fr.makeFragments(inst(Buffer.from('0a061a0428503018', 'hex')), MTU_IPV4);
  assert.equal(rest.length, 0);
  assert.equal(one.subarray(0, 10).toString('hex'), '0000000000000001' + '8000');
  assert.equal(one.subarray(10, 12).toString('hex'), '789c');
  assert.equal(inflateSync(one.subarray(10)).toString('hex'), '0802100018012000280032080a061a04285030183a00');
});

test('every makeFragments call takes a fresh id starting at 1, and nextId can be restored', () => {
  const fr = new Fragmenter();
  const i = inst(new Uint8Array(0));
  const ids = [1, 2, 3].map(() => parseFragment(fr.makeFragments(i, MTU_IPV4)[0])?.id);
  assert.deepEqual(ids, [1n, 2n, 3n]);
  assert.equal(fr.nextId, 4n);
  const restored = new Fragmenter();
  restored.nextId = 1000n;
  assert.equal(parseFragment(restored.makeFragments(i, MTU_IPV4)[0])?.id, 1000n);
  assert.equal(restored.nextId, 1001n);
});

for (const mtu of [MTU_IPV4, MTU_IPV6, MTU_FALLBACK]) {
  test(`a 50 kB incompressible diff round-trips in several fragments at MTU ${mtu}`, () => {
    const diff = rnd(50_000);
    const sent = inst(diff, 42n);
    const frags = new Fragmenter().makeFragments(sent, mtu);
    const budget = chunkBudget(mtu);
    const compressed = deflateSync(encodeInstruction(sent)).length;
    assert.equal(frags.length, Math.ceil(compressed / budget));
    assert.ok(frags.length > 40);
    const fs = parsed(frags);
    fs.forEach((f, n) => {
      assert.equal(f.id, 1n);
      assert.equal(f.num, n);
      assert.equal(f.final, n === fs.length - 1);
      assert.ok(f.chunk.length <= budget);
      assert.ok(frags[n].length + 28 <= mtu);
      if (n < fs.length - 1) assert.equal(f.chunk.length, budget);
    });
    const asm = new FragmentAssembly();
    const results = fs.map((f) => asm.add(f));
    assert.ok(results.slice(0, -1).every((r) => r === null));
    assert.deepEqual(results.at(-1), sent);
    assert.equal(asm.stats.instructions, 1);
  });
}

test('fragments of one id assemble in any arrival order', () => {
  const sent = inst(rnd(5000));
  const fs = parsed(new Fragmenter().makeFragments(sent, MTU_FALLBACK));
  assert.ok(fs.length >= 10);
  // final first, then the rest reversed, with the middle one last
  const mid = fs[5];
  const order = [
    fs[fs.length - 1],
    ...fs
      .slice(0, -1)
      .reverse()
      .filter((f) => f !== mid),
    mid,
  ];
  const asm = new FragmentAssembly();
  const results = order.map((f) => asm.add(f));
  assert.ok(results.slice(0, -1).every((r) => r === null));
  assert.deepEqual(results.at(-1), sent);
});

test('an identical duplicate is ignored and counted; assembly still completes once', () => {
  const sent = inst(rnd(2000));
  const fs = parsed(new Fragmenter().makeFragments(sent, MTU_FALLBACK));
  const asm = new FragmentAssembly();
  assert.equal(asm.add(fs[0]), null);
  assert.equal(asm.add({ ...fs[0], chunk: Buffer.from(fs[0].chunk) }), null);
  let got: Instruction | null = null;
  for (const f of fs.slice(1)) got = asm.add(f);
  assert.deepEqual(got, sent);
  assert.equal(asm.stats.duplicates, 1);
});

test('interleaving two ids loses the older partial assembly', () => {
  const fr = new Fragmenter();
  const a = inst(rnd(3000), 1n);
  const b = inst(rnd(3000), 2n);
  const fa = parsed(fr.makeFragments(a, MTU_FALLBACK));
  const fb = parsed(fr.makeFragments(b, MTU_FALLBACK));
  const asm = new FragmentAssembly();
  asm.add(fa[0]);
  asm.add(fa[1]);
  let got: Instruction | null = null;
  for (const f of fb) got = asm.add(f);
  assert.deepEqual(got, b);
  // the rest of a arrives, but its first fragments are gone
  const rest = fa.slice(2).map((f) => asm.add(f));
  assert.ok(rest.every((r) => r === null));
  assert.equal(asm.stats.partialsDiscarded, 1);
  assert.equal(asm.stats.instructions, 1);
});

test('a conflicting duplicate drops the assembly and is counted', () => {
  const sent = inst(rnd(3000));
  const fs = parsed(new Fragmenter().makeFragments(sent, MTU_FALLBACK));
  const asm = new FragmentAssembly();
  asm.add(fs[0]);
  asm.add(fs[1]);
  const evil = Buffer.from(fs[1].chunk);
  evil[0] ^= 1;
  assert.equal(asm.add({ ...fs[1], chunk: evil }), null);
  assert.equal(asm.stats.conflicts, 1);
  // the slot was reset: the remaining fragments cannot complete it
  assert.ok(fs.slice(2).every((f) => asm.add(f) === null));
  assert.equal(asm.stats.instructions, 0);
  // a later instruction still assembles
  const next = inst(new Uint8Array([1, 2, 3]), 2n);
  const [nf] = parsed(new Fragmenter().makeFragments(next, MTU_IPV4));
  assert.deepEqual(asm.add({ ...nf, id: 99n }), next);
});

test('a duplicate number with a different final flag is a conflict', () => {
  const asm = new FragmentAssembly();
  asm.add({ id: 5n, num: 0, final: false, chunk: Buffer.from('ab') });
  assert.equal(asm.add({ id: 5n, num: 0, final: true, chunk: Buffer.from('ab') }), null);
  assert.equal(asm.stats.conflicts, 1);
});

test('final flags inconsistent with the numbers seen are dropped and counted', () => {
  const asm = new FragmentAssembly();
  // a higher number was seen before the final
  asm.add({ id: 1n, num: 3, final: false, chunk: Buffer.from('a') });
  assert.equal(asm.add({ id: 1n, num: 1, final: true, chunk: Buffer.from('b') }), null);
  // a fragment beyond the final
  asm.add({ id: 2n, num: 1, final: true, chunk: Buffer.from('a') });
  assert.equal(asm.add({ id: 2n, num: 2, final: false, chunk: Buffer.from('b') }), null);
  // a second final with another number
  asm.add({ id: 3n, num: 2, final: true, chunk: Buffer.from('a') });
  assert.equal(asm.add({ id: 3n, num: 4, final: true, chunk: Buffer.from('b') }), null);
  assert.equal(asm.stats.finalInconsistent, 3);
});

test('a fragment number >= 0x8000 is dropped and counted', () => {
  const asm = new FragmentAssembly();
  assert.equal(asm.add({ id: 1n, num: 0x8000, final: true, chunk: Buffer.alloc(4) }), null);
  assert.equal(asm.add({ id: 1n, num: -1, final: true, chunk: Buffer.alloc(4) }), null);
  assert.equal(asm.stats.badNumbers, 2);
  assert.throws(() => encodeFragment({ id: 1n, num: 0x8000, final: true, chunk: Buffer.alloc(0) }), RangeError);
});

test('a zlib bomb inflating past 4 MiB is dropped and counted; exactly 4 MiB is accepted', () => {
  const asm = new FragmentAssembly();
  const bomb = deflateSync(Buffer.alloc(MAX_INSTRUCTION_BYTES + 1));
  let got: Instruction | null = null;
  for (const f of rawFragments(7n, bomb, chunkBudget(MTU_IPV4))) got = asm.add(f);
  assert.equal(got, null);
  assert.equal(asm.stats.oversize, 1);

  // An instruction whose serialized form is exactly 4 MiB still gets through.
  const probe = encodeInstruction(inst(new Uint8Array(MAX_INSTRUCTION_BYTES - 20))).length;
  const sent = inst(new Uint8Array(MAX_INSTRUCTION_BYTES - 20 + (MAX_INSTRUCTION_BYTES - probe)).fill(0x61));
  assert.equal(encodeInstruction(sent).length, MAX_INSTRUCTION_BYTES);
  for (const f of parsed(new Fragmenter().makeFragments(sent, MTU_IPV4))) got = asm.add(f);
  assert.ok(got);
  assert.equal(got.diff.length, sent.diff.length);
  assert.equal(asm.stats.instructions, 1);
});

test('inflating takes one output chunk for a compressed frame (8x its size), 16 KiB for acks, at most 256 KiB', () => {
  assert.equal(inflateChunk(30), 16 * 1024);
  assert.equal(inflateChunk(10_000), 80_000);
  assert.equal(inflateChunk(1 << 20), 256 * 1024);
  // A diff that compresses about 5x comes out whole from one chunk; one that compresses 1000x from many.
  const text = Buffer.from(
    Array.from({ length: 6000 }, (_, i) => `\x1b[38;5;${i % 256}m${(i * 7919) % 10007}`).join(''),
  );
  for (const diff of [new Uint8Array(text), new Uint8Array(300_000).fill(0x20)]) {
    const asm = new FragmentAssembly();
    let got: Instruction | null = null;
    for (const f of parsed(new Fragmenter().makeFragments(inst(diff), MTU_IPV4))) got = asm.add(f);
    assert.ok(got);
    assert.deepEqual(Buffer.from(got.diff), Buffer.from(diff));
  }
});

test('invalid zlib and unparseable protobuf are dropped and counted, never thrown', () => {
  const asm = new FragmentAssembly();
  assert.equal(asm.add({ id: 1n, num: 0, final: true, chunk: Buffer.from('not zlib at all') }), null);
  const truncated = deflateSync(Buffer.from('hello hello hello')).subarray(0, 8);
  assert.equal(asm.add({ id: 2n, num: 0, final: true, chunk: truncated }), null);
  assert.equal(asm.stats.inflateErrors, 2);
  assert.equal(asm.add({ id: 3n, num: 0, final: true, chunk: deflateSync(Buffer.from('0aff', 'hex')) }), null);
  assert.equal(asm.stats.decodeErrors, 1);
});

test('the slot keeps its id after completing: a network duplicate of a one-fragment instruction re-assembles', () => {
  const sent = inst(new Uint8Array([9]));
  const [f] = parsed(new Fragmenter().makeFragments(sent, MTU_IPV4));
  const asm = new FragmentAssembly();
  assert.deepEqual(asm.add(f), sent);
  assert.deepEqual(asm.add(f), sent);
  assert.equal(asm.stats.partialsDiscarded, 0);
});
