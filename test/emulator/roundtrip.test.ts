// Property test for the display differ: for thousands of random screen pairs, newFrame(A, B) applied to a
// terminal showing A yields B cell for cell, and newFrame(null, B) into a fresh terminal yields B.
import { test } from 'node:test';
import { Emulator, type Snapshot, type Vocabulary } from '../../src/emulator/index';
import { checkRoundTrip, int, randomChunk, rng } from './support/generators';

const SIZES: [number, number][] = [
  [80, 24],
  [20, 6],
  [7, 3],
  [41, 10],
  [2, 2],
];

/** Snapshots along one random session: consecutive ones differ a little, far apart ones a lot. */
function session(seed: number, cols: number, rows: number, steps: number): Snapshot[] {
  const r = rng(seed);
  const em = new Emulator(cols, rows);
  const snaps: Snapshot[] = [em.snapshot()];
  for (let i = 0; i < steps; i++) {
    const n = 1 + int(r, 6);
    for (let j = 0; j < n; j++) em.write(randomChunk(r, cols, rows));
    snaps.push(em.snapshot());
  }
  em.dispose();
  return snaps;
}

function run(vocabulary: Vocabulary, seeds: number, steps: number): void {
  let pairs = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const [cols, rows] = SIZES[seed % SIZES.length];
    const snaps = session(seed * 7919 + (vocabulary === 'mosh' ? 1 : 0), cols, rows, steps);
    const r = rng(seed);
    for (let i = 1; i < snaps.length; i++) {
      checkRoundTrip(snaps[i - 1], snaps[i], vocabulary, `${vocabulary} seed ${seed} step ${i}`);
      pairs++;
      if (i % 4 === 0) {
        const j = int(r, snaps.length);
        checkRoundTrip(snaps[j], snaps[i], vocabulary, `${vocabulary} seed ${seed} ${j}->${i}`);
        pairs++;
      }
    }
  }
  return void pairs;
}

test('newFrame turns a terminal showing A into B for random consecutive and distant pairs (xterm vocabulary)', () => {
  run('xterm', Number(process.env.ROUNDTRIP_SEEDS ?? 40), 50);
});

test('newFrame turns a terminal showing A into B for random pairs (mosh vocabulary, styles as a stock client keeps them)', () => {
  run('mosh', Number(process.env.ROUNDTRIP_SEEDS ?? 40), 50);
});
