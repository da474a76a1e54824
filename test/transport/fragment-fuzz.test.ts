// Fuzz tests: random and mutated bytes (bit flips, truncation, splicing, random ids and numbers) into
// parseFragment + FragmentAssembly + decodeInstruction, and into UserStream.apply / decodeHostMessage.
// Nothing may escape except the documented error classes of apply/decode. Seeded, so failures reproduce.
// Not a test of correct assembly (fragment.test.ts covers that beyond the sanity checks here).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Fragment,
  FragmentAssembly,
  Fragmenter,
  MTU_FALLBACK,
  MTU_IPV4,
  MTU_IPV6,
  parseFragment,
} from '../../src/transport/fragment';
import {
  type Instruction,
  InstructionError,
  decodeInstruction,
  encodeInstruction,
  randomChaff,
} from '../../src/transport/instruction';
import { UserMessageError, UserStream } from '../../src/statesync/userstream';
import {
  type HostInstruction,
  HostMessageError,
  decodeHostMessage,
  encodeHostMessage,
} from '../../src/statesync/hostmessage';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1234);

/** mulberry32: small, fast, seeded. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

type Rand = (n: number) => number;

function randomBytesOf(rand: Rand, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

/** One mutation of `src` (never modifies it); `other` is a second real input for splicing. */
function mutate(rand: Rand, src: Uint8Array, other: Uint8Array): Buffer {
  const b = Buffer.from(src);
  switch (rand(9)) {
    case 0: {
      const flips = 1 + rand(4);
      for (let i = 0; i < flips && b.length > 0; i++) b[rand(b.length)] ^= 1 << rand(8);
      return b;
    }
    case 1:
      if (b.length > 0) b[rand(b.length)] = rand(256);
      return b;
    case 2:
      return b.subarray(0, rand(b.length + 1));
    case 3:
      return Buffer.concat([b, randomBytesOf(rand, 1 + rand(16))]);
    case 4:
      return Buffer.concat([b.subarray(0, rand(b.length + 1)), Buffer.from(other).subarray(rand(other.length + 1))]);
    case 5: {
      // remove a slice from the middle
      const at = rand(b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rand(8)))]);
    }
    case 6: {
      // insert a varint-ish byte (continuation bits stress the protobuf reader)
      const at = rand(b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0x80 | rand(128), rand(256)]), b.subarray(at)]);
    }
    case 7:
      return randomBytesOf(rand, rand(64));
    default: {
      // duplicate a slice
      const at = rand(b.length + 1);
      const len = rand(16);
      return Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
    }
  }
}

/** Mutations aimed at the fragment header: ids, numbers, final flags. */
function mutateHeader(rand: Rand, frag: Buffer): Buffer {
  const b = Buffer.from(frag);
  if (b.length < 10) return b;
  switch (rand(4)) {
    case 0:
      b.writeBigUInt64BE(BigInt(rand(4)), 0); // collide with a few small ids
      return b;
    case 1:
      b.writeUInt16BE((b.readUInt16BE(8) & 0x8000) | rand(6), 8);
      return b;
    case 2:
      b[8] ^= 0x80; // toggle final
      return b;
    default:
      b.writeUInt16BE(rand(0x10000), 8);
      return b;
  }
}

function sampleInstruction(rand: Rand, i: number): Instruction {
  const kind = rand(5);
  let diff: Uint8Array;
  if (kind === 0) {
    const s = new UserStream();
    s.pushResize(80 + rand(100), 24 + rand(50));
    s.pushBytes(randomBytesOf(rand, rand(40)));
    diff = s.initDiff();
  } else if (kind === 1) {
    diff = encodeHostMessage([
      { type: 'echoack', num: BigInt(rand(1000)) },
      { type: 'hostbytes', bytes: Buffer.from(`\x1b[H\x1b[2Jline ${i}\r\n`.repeat(1 + rand(30))) },
    ]);
  } else if (kind === 2) {
    diff = randomBytesOf(rand, 1000 + rand(5000)); // incompressible: several fragments
  } else if (kind === 3) {
    diff = new Uint8Array(0);
  } else {
    diff = Buffer.from('abcdefgh'.repeat(200 + rand(2000))); // compressible
  }
  return {
    protocolVersion: 2,
    oldNum: BigInt(rand(100)),
    newNum: BigInt(100 + rand(100)),
    ackNum: BigInt(rand(1000)),
    throwawayNum: BigInt(rand(100)),
    diff: new Uint8Array(diff),
    chaff: randomChaff(),
  };
}

function onlyThrows<E extends Error>(cls: new (...args: never[]) => E, fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof cls)) throw e;
    return false;
  }
}

test('100,000+ random and mutated fragment payloads never escape FragmentAssembly', () => {
  const rand = prng(SEED);
  const fragmenter = new Fragmenter();
  const mtus = [MTU_IPV4, MTU_IPV6, MTU_FALLBACK];
  const groups: Buffer[][] = [];
  const originals: Instruction[] = [];
  for (let i = 0; i < 40; i++) {
    const inst = sampleInstruction(rand, i);
    originals.push(inst);
    groups.push(fragmenter.makeFragments(inst, mtus[rand(3)]));
  }
  const all = groups.flat();
  const asm = new FragmentAssembly();
  let payloads = 0;
  let completed = 0;
  let intact = 0;

  const feed = (p: Buffer): Instruction | null => {
    payloads++;
    const f = parseFragment(p);
    if (p.length < 10) {
      assert.equal(f, null);
      return null;
    }
    assert.ok(f);
    const got = asm.add(f);
    if (got) {
      completed++;
      // what a receiver does next: the diff goes to the application decoders
      onlyThrows(UserMessageError, () => new UserStream().apply(got.diff));
      onlyThrows(HostMessageError, () => decodeHostMessage(got.diff));
    }
    return got;
  };

  while (payloads < 100_000) {
    const mode = rand(10);
    if (mode < 4) {
      // a whole instruction, shuffled, with a few fragments mutated, dropped or duplicated
      const g = rand(groups.length);
      const frags = groups[g].slice();
      for (let i = frags.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [frags[i], frags[j]] = [frags[j], frags[i]];
      }
      // Move the slot off this id first, so earlier mutated fragments that kept the id cannot interfere.
      feed(Buffer.from('00000000ffffffff0000', 'hex'));
      let clean = true;
      let last: Instruction | null = null;
      for (const fr of frags) {
        const r = rand(20);
        if (r === 0) {
          clean = false;
          continue;
        }
        if (r === 1) {
          clean = false;
          last = feed(rand(2) ? mutateHeader(rand, fr) : mutate(rand, fr, all[rand(all.length)])) ?? last;
        } else {
          last = feed(fr) ?? last;
          if (r === 2) last = feed(fr) ?? last; // identical duplicate (after completion it starts a new slot)
        }
      }
      if (clean) {
        assert.deepEqual(last, originals[g]);
        intact++;
      }
    } else if (mode < 8) {
      const src = all[rand(all.length)];
      feed(rand(3) === 0 ? mutateHeader(rand, src) : mutate(rand, src, all[rand(all.length)]));
    } else if (mode < 9) {
      feed(randomBytesOf(rand, rand(80)));
    } else {
      // fragments built directly, including numbers the header cannot carry
      const f: Fragment = {
        id: BigInt(rand(3)),
        num: [rand(8), 0x7fff, 0x8000, -1, 1.5, 0xffff][rand(6)],
        final: rand(2) === 0,
        chunk: randomBytesOf(rand, rand(32)),
      };
      payloads++;
      assert.equal(asm.add(f), null);
    }
  }
  const s = asm.stats;
  assert.ok(payloads >= 100_000);
  assert.ok(intact > 100, `intact ${intact}`);
  assert.ok(completed >= intact);
  for (const k of ['conflicts', 'finalInconsistent', 'badNumbers', 'inflateErrors', 'partialsDiscarded'] as const) {
    assert.ok(s[k] > 0, `${k} never exercised`);
  }
});

test('mutated instruction bytes only ever throw InstructionError from decodeInstruction', () => {
  const rand = prng(SEED + 1);
  const samples = Array.from({ length: 30 }, (_, i) => {
    const inst = sampleInstruction(rand, i);
    return encodeInstruction({ ...inst, diff: inst.diff.subarray(0, 200) });
  });
  let ok = 0;
  for (let i = 0; i < 40_000; i++) {
    const src = samples[rand(samples.length)];
    const bytes = rand(10) === 0 ? randomBytesOf(rand, rand(40)) : mutate(rand, src, samples[rand(samples.length)]);
    if (onlyThrows(InstructionError, () => decodeInstruction(bytes))) ok++;
  }
  assert.ok(ok > 1000 && ok < 40_000, `decoded ${ok}`);
});

test('mutated UserMessage bytes only ever throw UserMessageError from UserStream.apply, atomically', () => {
  const rand = prng(SEED + 2);
  const samples: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    const s = new UserStream();
    for (let j = rand(6); j >= 0; j--) {
      if (rand(3) === 0) s.pushResize(rand(400), rand(200));
      else s.pushBytes(randomBytesOf(rand, 1 + rand(20)));
    }
    samples.push(s.initDiff());
  }
  const base = new UserStream();
  base.pushBytes(Buffer.from('base'));
  let applied = 0;
  for (let i = 0; i < 40_000; i++) {
    const src = samples[rand(samples.length)];
    const bytes = rand(10) === 0 ? randomBytesOf(rand, rand(40)) : mutate(rand, src, samples[rand(samples.length)]);
    const s = base.clone();
    if (onlyThrows(UserMessageError, () => s.apply(bytes))) {
      applied++;
      // whatever was accepted re-encodes and re-applies to the same state
      const again = base.clone();
      again.apply(s.diffFrom(base));
      assert.ok(again.equals(s));
    } else {
      assert.ok(s.equals(base));
    }
  }
  assert.ok(applied > 1000 && applied < 40_000, `applied ${applied}`);
});

test('mutated HostMessage bytes only ever throw HostMessageError from decodeHostMessage', () => {
  const rand = prng(SEED + 3);
  const samples = Array.from({ length: 30 }, (_, i) =>
    encodeHostMessage(
      (
        [
          { type: 'echoack', num: BigInt(rand(100_000)) },
          { type: 'resize', width: rand(300), height: rand(100) },
          { type: 'hostbytes', bytes: Buffer.from(`\x1b[${i};1Hhello ${i}`) },
        ] satisfies HostInstruction[]
      ).slice(rand(3)),
    ),
  );
  let decoded = 0;
  for (let i = 0; i < 40_000; i++) {
    const src = samples[rand(samples.length)];
    const bytes = rand(10) === 0 ? randomBytesOf(rand, rand(40)) : mutate(rand, src, samples[rand(samples.length)]);
    if (onlyThrows(HostMessageError, () => decodeHostMessage(bytes))) decoded++;
  }
  assert.ok(decoded > 1000 && decoded < 40_000, `decoded ${decoded}`);
});
