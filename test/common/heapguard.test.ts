// HeapGuard (src/common/heapguard.ts) with a fake heap and clock: it collects once the heap has grown GROWTH_STEP
// past its smallest size since the last collection, never sooner than its time share allows, and does nothing
// without a gc function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GC_TIME_SHARE, GROWTH_STEP, HeapGuard, MIN_GC_SPACING_MS } from '../../src/common';

const MiB = 1024 * 1024;

function rig(gcMs = 2) {
  let used = 10 * MiB;
  let now = 0;
  let live = 8 * MiB;
  const gcs: number[] = [];
  const guard = new HeapGuard({
    gc: () => {
      gcs.push(now);
      now += gcMs;
      used = live;
    },
    used: () => used,
    now: () => now,
  });
  return {
    guard,
    gcs,
    grow: (bytes: number) => (used += bytes),
    advance: (ms: number) => (now += ms),
    setLive: (bytes: number) => (live = bytes),
    setUsed: (bytes: number) => (used = bytes),
  };
}

test('collects once the heap has grown by the step, and not before', () => {
  const r = rig();
  r.guard.check(); // base: 10 MiB
  r.grow(GROWTH_STEP - 1);
  r.guard.check();
  assert.equal(r.gcs.length, 0);
  r.grow(1);
  r.guard.check();
  assert.equal(r.gcs.length, 1);
  assert.equal(r.guard.collections, 1);
});

test('a collection V8 made itself lowers the base', () => {
  const r = rig();
  r.guard.check();
  r.grow(2 * MiB);
  r.setUsed(9 * MiB); // V8 collected
  r.guard.check();
  r.grow(GROWTH_STEP - 1);
  r.guard.check();
  assert.equal(r.gcs.length, 0, 'grown from 9 MiB, not from 10');
  r.grow(1);
  r.guard.check();
  assert.equal(r.gcs.length, 1);
});

test("spacing: at least GC_TIME_SHARE times the last collection's duration, and MIN_GC_SPACING_MS", () => {
  for (const gcMs of [1, 10]) {
    const r = rig(gcMs);
    r.guard.check();
    r.grow(GROWTH_STEP);
    r.guard.check();
    assert.equal(r.gcs.length, 1);
    const spacing = Math.max(MIN_GC_SPACING_MS, GC_TIME_SHARE * gcMs);
    r.grow(GROWTH_STEP);
    r.advance(spacing - 1);
    r.guard.check();
    assert.equal(r.gcs.length, 1, 'too soon');
    r.advance(1);
    r.guard.check();
    assert.equal(r.gcs.length, 2);
  }
});

test('without a gc function it never collects', () => {
  const guard = new HeapGuard({ used: () => 1e12 });
  guard.check();
  assert.equal(guard.collections, 0);
});

test('a guard for this process exposes V8 gc at run time when asked, and collects with it', () => {
  const guard = HeapGuard.forThisProcess({ exposeGc: true });
  guard.check(); // learns the heap's size
  const kept: number[][] = [];
  for (let i = 0; i < 64; i++) kept.push(new Array(16 * 1024).fill(i)); // ~8 MiB, alive across the check
  guard.check();
  assert.equal(guard.collections, 1);
  assert.equal(kept.length, 64);
});

test('a guard with its own step and spacing collects at that step and no sooner than that spacing', () => {
  let used = 0;
  let now = 0;
  let gcs = 0;
  const guard = new HeapGuard({
    gc: () => gcs++,
    used: () => used,
    now: () => now,
    growthStep: 4 << 20,
    timeShare: 100,
    minSpacingMs: 2000,
  });
  guard.check();
  used = 3 << 20;
  guard.check();
  assert.equal(gcs, 0, 'under the step');
  used = 4 << 20;
  guard.check();
  assert.equal(gcs, 1, 'at the step');
  used = 0;
  guard.check();
  used = 8 << 20;
  now = 1999;
  guard.check();
  assert.equal(gcs, 1, 'not within the spacing');
  now = 2000;
  guard.check();
  assert.equal(gcs, 2, 'after the spacing');
});
