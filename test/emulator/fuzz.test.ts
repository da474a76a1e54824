// Fuzz: at least 50 MiB of random and hostile terminal input (random bytes with invalid UTF-8, huge and numerous
// parameters, unterminated and nested sequences, giant OSC and DCS strings, queries, rapid resizes) through an
// Emulator and the differ. Nothing may throw, memory must stay bounded, the differ's output must stay in
// vocabulary, and a client terminal fed only the diffs must keep showing exactly what the emulator shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Emulator, newFrame, type Snapshot } from '../../src/emulator/index';
import { assertClean, assertSameScreen, int, moshView, rng } from './support/generators';
import { hostile, randomBytes } from './support/fuzzinput';

const TOTAL = Number(process.env.FUZZ_MIB ?? 50) * 1024 * 1024;

test('fuzz: 50 MiB of random and hostile input through emulator and differ, no crash, bounded memory, exact diffs', () => {
  const r = rng(Number(process.env.FUZZ_SEED ?? 20240501));
  let cols = 80;
  let rows = 24;
  const em = new Emulator(cols, rows);
  const client = new Emulator(cols, rows);
  const moshClient = new Emulator(cols, rows);
  let prev: Snapshot | null = null;
  let fed = 0;
  let frames = 0;
  let diffBytes = 0;
  let resizes = 0;
  const started = Date.now();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let rssMax = rss0;
  const pool = randomBytes(r, 4 * 1024 * 1024);
  while (fed < TOTAL) {
    const k = r();
    let chunk: Uint8Array;
    if (k < 0.45) {
      const n = 1 + int(r, r() < 0.01 ? 1024 * 1024 : 4 * 1024);
      const at = int(r, pool.length - n);
      chunk = pool.subarray(at, at + n);
    } else {
      chunk = hostile(r, cols, rows);
    }
    em.write(chunk);
    fed += chunk.length;
    if (r() < 0.08) {
      // Rapid resizes, some of them several in a row between two frames.
      const times = 1 + int(r, 4);
      for (let i = 0; i < times; i++) {
        cols = 2 + int(r, 160);
        rows = 1 + int(r, 60);
        em.resize(cols, rows);
        resizes++;
      }
    }
    const s = em.snapshot();
    assert.ok(s.title.length <= 4096 && s.iconName.length <= 4096, 'titles stay bounded');
    // A host resize instruction reaches the client before the diff (mosh-protocol.md 8.2).
    if (client.cols !== s.cols || client.rows !== s.rows) {
      client.resize(s.cols, s.rows);
      moshClient.resize(s.cols, s.rows);
    }
    const out = newFrame(prev !== null, prev, s, { vocabulary: 'xterm' });
    assertClean(out, `frame ${frames}`);
    client.write(out);
    diffBytes += out.length;
    const moshOut = newFrame(prev !== null, prev, s, { vocabulary: 'mosh' });
    assertClean(moshOut, `frame ${frames} (mosh)`);
    moshClient.write(moshOut);
    assertSameScreen(moshClient.snapshot(), moshView(s), `frame ${frames} (mosh)`);
    try {
      assertSameScreen(client.snapshot(), s, `frame ${frames}`);
    } catch (e) {
      // FUZZ_DUMP=file keeps the failing pair for a look: { prev, next, out }.
      if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, JSON.stringify({ prev, next: s, out }));
      throw e;
    }
    prev = s;
    frames++;
    if (frames % 64 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  gc();
  const heapGrowth = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
  const seconds = (Date.now() - started) / 1000;
  assert.equal(client.recoveryCount + moshClient.recoveryCount, 0, 'terminals fed only diffs never need a rebuild');
  const growth = (rssMax - rss0) / 1024 / 1024;
  console.log(
    `fuzz: ${(fed / 1024 / 1024).toFixed(1)} MiB in ${frames} frames, ${resizes} resizes, ${(diffBytes / 1024 / 1024).toFixed(1)} MiB of diffs, ` +
      `${seconds.toFixed(1)} s (${(fed / 1024 / 1024 / seconds).toFixed(1)} MiB/s), emulator rebuilds ${em.recoveryCount}, peak RSS growth ${growth.toFixed(0)} MiB, heap growth after GC ${heapGrowth.toFixed(1)} MiB`,
  );
  assert.ok(growth < 600, `peak RSS grew by ${growth.toFixed(0)} MiB`);
  assert.ok(heapGrowth < 64, `heap grew by ${heapGrowth.toFixed(1)} MiB after GC`);
  em.dispose();
  client.dispose();
  moshClient.dispose();
});
