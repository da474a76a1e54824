// Tests for src/statesync/userstream.ts: UserMessage wire vectors, diff/apply round trips, run merging and resize
// ordering, copy-on-write clones, subtract, serialization, bulk input speed, and a randomized model check.
// Not a test of the SSP transport that carries these diffs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, setExtension, toBinary } from '@bufbuild/protobuf';
import {
  InstructionSchema,
  ResizeMessageSchema,
  UserMessageSchema,
  resize as resizeExt,
} from '../../src/statesync/gen/userinput_pb';
import { type UserEvent, UserMessageError, UserStream } from '../../src/statesync/userstream';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const keys = (s: string): UserEvent[] => [...bytes(s)].map((byte) => ({ type: 'key', byte }));
const rs = (width: number, height: number): UserEvent => ({ type: 'resize', width, height });

/** Hand-built wire form: a Keystroke instruction is 12 <len> 22 <len> keys; a resize is 1a <len> 28 w 30 h. */
function wireKeystroke(s: string): string {
  const k = Buffer.from(s, 'latin1');
  assert.ok(k.length < 120);
  const inner = Buffer.concat([Buffer.from([0x22, k.length]), k]);
  const inst = Buffer.concat([Buffer.from([0x12, inner.length]), inner]);
  return Buffer.concat([Buffer.from([0x0a, inst.length]), inst]).toString('hex');
}
function wireResize(w: number, h: number): string {
  assert.ok(w < 128 && h < 128);
  return Buffer.from([0x0a, 0x06, 0x1a, 0x04, 0x28, w, 0x30, h]).toString('hex');
}

test('spec vector: a resize 80x24 diff is 0a061a0428503018', () => {
  const s = new UserStream();
  s.pushResize(80, 24);
  assert.equal(hex(s.initDiff()), '0a061a0428503018');
  assert.equal(hex(s.diffFrom(new UserStream())), '0a061a0428503018');
});

test('spec vector: a keystroke "ab" diff is 0a06120422026162', () => {
  const s = new UserStream();
  s.pushBytes(bytes('ab'));
  assert.equal(hex(s.initDiff()), '0a06120422026162');
});

test('applying the spec vectors yields the events they carry', () => {
  const s = new UserStream();
  s.apply(unhex('0a061a0428503018'));
  s.apply(unhex('0a06120422026162'));
  assert.equal(s.count, 3);
  assert.deepEqual(s.eventsSince(0), [rs(80, 24), ...keys('ab')]);
});

test('diff merges consecutive bytes into one Keystroke and gives each resize its own instruction', () => {
  const s = new UserStream();
  for (const c of 'abc') s.pushBytes(bytes(c));
  s.pushResize(100, 30);
  s.pushBytes(bytes('d'));
  assert.equal(hex(s.initDiff()), wireKeystroke('abc') + wireResize(100, 30) + wireKeystroke('d'));
});

test('consecutive resizes each stay a separate instruction, in order', () => {
  const s = new UserStream();
  s.pushResize(80, 24);
  s.pushResize(100, 30);
  s.pushBytes(bytes('x'));
  s.pushResize(90, 20);
  assert.equal(hex(s.initDiff()), wireResize(80, 24) + wireResize(100, 30) + wireKeystroke('x') + wireResize(90, 20));
  const t = new UserStream();
  t.apply(s.initDiff());
  assert.deepEqual(t.eventsSince(0), [rs(80, 24), rs(100, 30), ...keys('x'), rs(90, 20)]);
});

test('diffFrom an older state carries only the newer events; applied to the older copy it gives an equal state', () => {
  const s = new UserStream();
  s.pushResize(80, 24);
  s.pushBytes(bytes('ls'));
  const older = s.clone();
  s.pushBytes(bytes(' -l'));
  s.pushResize(120, 40);
  s.pushBytes(bytes('\r'));
  const d = s.diffFrom(older);
  assert.equal(hex(d), wireKeystroke(' -l') + wireResize(120, 40) + wireKeystroke('\r'));
  const peer = older.clone();
  peer.apply(d);
  assert.ok(peer.equals(s));
  assert.equal(peer.count, 8);
  assert.deepEqual(peer.eventsSince(3), [...keys(' -l'), rs(120, 40), ...keys('\r')]);
});

test('the diff from an equal state is empty and applying an empty diff changes nothing', () => {
  const s = new UserStream();
  s.pushBytes(bytes('abc'));
  assert.equal(s.diffFrom(s.clone()).length, 0);
  assert.equal(new UserStream().initDiff().length, 0);
  const c = s.clone();
  c.apply(new Uint8Array(0));
  assert.ok(c.equals(s));
  assert.equal(c.count, 3);
});

test('diffFrom a state with more events throws', () => {
  const a = new UserStream();
  const b = a.clone();
  b.pushBytes(bytes('x'));
  assert.throws(() => a.diffFrom(b), RangeError);
});

test('instructions without a mosh extension add no keys or resizes: they are kept as extension events, byte for byte', () => {
  // instruction with extension field 9 (varint), then one with field 20 (bytes), then keystroke "q"
  const unknown = '0a024801' + '0a04a201016b';
  const s = new UserStream();
  s.apply(unhex(unknown + wireKeystroke('q')));
  const events = s.eventsSince(0);
  assert.deepEqual(
    events.filter((e) => e.type !== 'ext'),
    keys('q'),
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'ext').map((e) => Buffer.from((e as { bytes: Uint8Array }).bytes).toString('hex')),
    ['4801', 'a201016b'],
  );
  // ... and they travel on unchanged: the diff from state 0 is the message that was applied.
  assert.equal(Buffer.from(s.initDiff()).toString('hex'), unknown + wireKeystroke('q'));
});

test('apply throws UserMessageError on malformed bytes and appends nothing', () => {
  const s = new UserStream();
  s.pushBytes(bytes('z'));
  const good = wireKeystroke('ab');
  for (const bad of ['0a', '0aff', good + '0a0712', '0a03120122', '0a02107f', '0a021aff', 'ff']) {
    assert.throws(() => s.apply(unhex(bad)), UserMessageError, bad);
  }
  assert.equal(s.count, 1);
  assert.deepEqual(s.eventsSince(0), keys('z'));
});

test('a resize with absent fields applies as 0x0; negative int32 values survive', () => {
  const s = new UserStream();
  s.apply(unhex('0a021a00'));
  const m = create(UserMessageSchema, { instruction: [create(InstructionSchema)] });
  setExtension(m.instruction[0], resizeExt, create(ResizeMessageSchema, { width: -1, height: 2 ** 31 - 1 }));
  s.apply(toBinary(UserMessageSchema, m));
  assert.deepEqual(s.eventsSince(0), [rs(0, 0), rs(-1, 2 ** 31 - 1)]);
});

test('pushResize rejects values outside int32', () => {
  const s = new UserStream();
  assert.throws(() => s.pushResize(2 ** 31, 24), RangeError);
  assert.throws(() => s.pushResize(80, 1.5), RangeError);
  assert.equal(s.count, 0);
});

test('clones are independent: diverging branches of one state each see only their own events', () => {
  const base = new UserStream();
  base.pushBytes(bytes('hello'));
  const a = base.clone();
  const b = base.clone();
  a.pushBytes(bytes(' a'));
  b.pushBytes(bytes(' b'));
  b.pushResize(10, 10);
  base.pushBytes(bytes('!'));
  assert.deepEqual(base.eventsSince(0), keys('hello!'));
  assert.deepEqual(a.eventsSince(0), keys('hello a'));
  assert.deepEqual(b.eventsSince(0), [...keys('hello b'), rs(10, 10)]);
  assert.ok(!a.equals(b));
  assert.ok(!a.equals(base));
  const peer = base.clone();
  peer.apply(b.diffFrom(base.clone()));
  assert.equal(peer.count, 8);
});

test('equals compares content across unrelated streams', () => {
  const a = new UserStream();
  const b = new UserStream();
  a.pushBytes(bytes('ab'));
  a.pushResize(1, 2);
  b.pushBytes(bytes('a'));
  b.pushBytes(bytes('b'));
  b.pushResize(1, 2);
  assert.ok(a.equals(b));
  const c = new UserStream();
  c.pushBytes(bytes('ac'));
  c.pushResize(1, 2);
  assert.ok(!a.equals(c));
  const d = new UserStream();
  d.pushBytes(bytes('ab'));
  d.pushResize(1, 3);
  assert.ok(!a.equals(d));
  const e = new UserStream();
  e.pushBytes(bytes('ab'));
  assert.ok(!a.equals(e));
});

test('subtract drops events before the front but keeps absolute numbering and diffs between retained states', () => {
  const s1 = new UserStream();
  s1.pushResize(80, 24);
  s1.pushBytes(bytes('abc'));
  const s2 = s1.clone();
  s2.pushBytes(bytes('de'));
  s2.pushResize(90, 30);
  const s3 = s2.clone();
  s3.pushBytes(bytes('fgh'));
  const d32 = hex(s3.diffFrom(s2));
  const d31 = hex(s3.diffFrom(s1));
  const d21 = hex(s2.diffFrom(s1));
  for (const s of [s1, s2, s3]) s.subtract(s1);
  assert.deepEqual([s1.count, s2.count, s3.count], [4, 7, 10]);
  assert.equal(s3.retainedFrom, 4);
  assert.equal(hex(s3.diffFrom(s2)), d32);
  assert.equal(hex(s3.diffFrom(s1)), d31);
  assert.equal(hex(s2.diffFrom(s1)), d21);
  assert.deepEqual(s3.eventsSince(4), [...keys('de'), rs(90, 30), ...keys('fgh')]);
  assert.throws(() => s3.eventsSince(3), RangeError);
  // initDiff now carries only what is retained
  assert.equal(hex(s3.initDiff()), d31);
  // A subtracted state still equals an unsubtracted copy with the same events, and keeps working.
  const full = new UserStream();
  full.pushResize(80, 24);
  full.pushBytes(bytes('abcde'));
  full.pushResize(90, 30);
  full.pushBytes(bytes('fgh'));
  assert.ok(s3.equals(full));
  assert.ok(full.equals(s3));
  s3.pushBytes(bytes('i'));
  assert.equal(hex(s3.diffFrom(s2)), hex(s3.diffFrom(s2)));
  const peer = s2.clone();
  peer.apply(s3.diffFrom(s2));
  assert.ok(peer.equals(s3));
  // subtracting everything leaves an empty window with the count intact
  s3.subtract(s3);
  assert.equal(s3.count, 11);
  assert.deepEqual(s3.eventsSince(11), []);
  assert.throws(() => s3.diffFrom(s2), RangeError);
});

test('long-lived streams with many resizes stay correct as subtract advances (log compaction)', () => {
  const s = new UserStream();
  const model: UserEvent[] = [];
  let front = s.clone();
  for (let i = 0; i < 400; i++) {
    s.pushResize(10 + (i % 50), 5 + (i % 7));
    model.push(rs(10 + (i % 50), 5 + (i % 7)));
    s.pushBytes(bytes(String.fromCharCode(97 + (i % 26))));
    model.push(...keys(String.fromCharCode(97 + (i % 26))));
    if (i % 40 === 39) {
      const older = front;
      front = s.clone();
      s.subtract(older);
      const peer = older.clone();
      peer.apply(s.diffFrom(older));
      assert.ok(peer.equals(s));
      assert.deepEqual(s.eventsSince(older.count), model.slice(older.count));
    }
  }
  assert.equal(s.count, 800);
  assert.deepEqual(s.eventsSince(s.retainedFrom), model.slice(s.retainedFrom));
});

test('serialize/deserialize round-trips through JSON, including a subtracted prefix', () => {
  const s = new UserStream();
  s.pushResize(80, 24);
  s.pushBytes(bytes('hello'));
  const front = s.clone();
  s.pushResize(100, 50);
  s.pushBytes(new Uint8Array([0, 255, 27]));
  s.subtract(front);
  const json = JSON.stringify(s);
  const back = UserStream.deserialize(JSON.parse(json));
  assert.equal(back.count, s.count);
  assert.equal(back.retainedFrom, 6);
  assert.ok(back.equals(s));
  assert.equal(hex(back.diffFrom(front)), hex(s.diffFrom(front)));
  assert.throws(() => UserStream.deserialize({ ...s.serialize(), count: 99 }), UserMessageError);
  assert.throws(() => UserStream.deserialize({ first: 0, count: 0, message: '/w==' }), UserMessageError);
});

test('a 1 MB paste pushes, diffs, applies and compares quickly', () => {
  const paste = new Uint8Array(1 << 20);
  for (let i = 0; i < paste.length; i++) paste[i] = (i * 7) & 0xff;
  const t0 = performance.now();
  const s = new UserStream();
  s.pushResize(80, 24);
  const before = s.clone();
  s.pushBytes(paste);
  const d = s.diffFrom(before);
  const peer = before.clone();
  peer.apply(d);
  assert.ok(peer.equals(s));
  const runs = peer.runsSince(1);
  const clones = Array.from({ length: 1000 }, () => s.clone());
  const ms = performance.now() - t0;
  assert.equal(clones.length, 1000);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].type, 'keys');
  assert.ok(runs[0].type === 'keys' && Buffer.from(runs[0].bytes).equals(paste));
  assert.equal(peer.count, paste.length + 1);
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('runsSince returns copies: mutating them does not change the stream', () => {
  const s = new UserStream();
  s.pushBytes(bytes('abc'));
  const [r] = s.runsSince(0);
  assert.ok(r.type === 'keys');
  r.bytes[0] = 0x7a;
  assert.deepEqual(s.eventsSince(0), keys('abc'));
});

test('randomized: branches, pushes, diffs and subtracts agree with a plain array model', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const token = (e: UserEvent): string =>
    e.type === 'key'
      ? `k${e.byte}`
      : e.type === 'resize'
        ? `r${e.width}x${e.height}`
        : `x${Buffer.from(e.bytes).toString('hex')}`;
  const tokens = (evs: UserEvent[]): string => evs.map(token).join(',');
  interface Entry {
    s: UserStream;
    model: string[];
    first: number;
  }
  const pool: Entry[] = [{ s: new UserStream(), model: [], first: 0 }];
  const isPrefix = (older: Entry, newer: Entry): boolean =>
    older.model.length <= newer.model.length &&
    older.model.length >= newer.first &&
    older.model.every((t, i) => t === newer.model[i]);
  let syncs = 0;
  let subtracts = 0;
  for (let step = 0; step < 6000; step++) {
    const e = pool[rand(pool.length)];
    const op = rand(12);
    if (op < 5) {
      const n = rand(4) === 0 ? rand(60) : 1 + rand(3);
      const b = new Uint8Array(n).map(() => rand(256));
      e.s.pushBytes(b);
      for (const byte of b) e.model.push(`k${byte}`);
    } else if (op < 6) {
      const w = rand(300);
      const h = rand(100);
      e.s.pushResize(w, h);
      e.model.push(`r${w}x${h}`);
    } else if (op < 8) {
      if (pool.length < 10) pool.push({ s: e.s.clone(), model: [...e.model], first: e.first });
    } else if (op < 10) {
      // a peer holding an older state catches up through diff/apply
      const older = pool.find((p) => p !== e && isPrefix(p, e));
      if (older) {
        const copy = older.s.clone();
        copy.apply(e.s.diffFrom(older.s));
        assert.ok(copy.equals(e.s));
        assert.ok(e.s.equals(copy));
        const from = Math.max(e.first, older.first);
        assert.equal(tokens(copy.eventsSince(from)), e.model.slice(from).join(','));
        syncs++;
      }
    } else if (op < 11) {
      const front = pool.find((p) => p !== e && p.model.length <= e.model.length && isPrefix(p, e));
      if (front) {
        e.s.subtract(front.s);
        e.first = Math.max(e.first, front.model.length);
        subtracts++;
      }
    } else if (pool.length > 1) {
      pool.splice(pool.indexOf(e), 1);
      continue;
    }
    assert.equal(e.s.count, e.model.length);
    assert.equal(e.s.retainedFrom, e.first);
    assert.equal(tokens(e.s.eventsSince(e.first)), e.model.slice(e.first).join(','));
    if (step % 10 === 0) {
      const fresh = new UserStream();
      fresh.apply(e.s.initDiff());
      assert.equal(tokens(fresh.eventsSince(0)), e.model.slice(e.first).join(','));
    }
  }
  assert.ok(syncs > 50 && subtracts > 50, `syncs ${syncs}, subtracts ${subtracts}`);
});
