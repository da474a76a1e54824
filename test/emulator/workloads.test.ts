// Recorded real workloads (bash with ls --color, CJK, emoji, combining marks, 256/true colour; ls; vim editing;
// top redrawing; tmux) replayed as a server would: a snapshot per pty read, and a client-side terminal that only
// ever sees newFrame diffs. Every frame must come out cell-exact, in both vocabularies, and full repaints too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Emulator, newFrame, rowText, type Snapshot, type Vocabulary } from '../../src/emulator/index';
import { assertClean, assertSameScreen, checkRoundTrip, moshView, int, rng } from './support/generators';

interface Fixture {
  name: string;
  cols: number;
  rows: number;
  chunks: string[];
}

const dir = join(__dirname, '..', '..', '..', 'test', 'emulator', 'fixtures');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture);

function frames(f: Fixture, split: (b: Buffer) => Buffer[] = (b) => [b]): Snapshot[] {
  const em = new Emulator(f.cols, f.rows);
  const out: Snapshot[] = [em.snapshot()];
  for (const c of f.chunks) {
    for (const part of split(Buffer.from(c, 'base64'))) em.write(part);
    out.push(em.snapshot());
  }
  em.dispose();
  return out;
}

test('the recorded fixtures are there and show what they recorded', () => {
  const names = fixtures.map((f) => f.name);
  for (const n of ['ls-color', 'shell', 'tmux', 'top', 'vim']) assert.ok(names.includes(n), `fixture ${n}`);
  const shell = frames(fixtures.find((f) => f.name === 'shell')!);
  const text = (s: Snapshot) => Array.from({ length: s.rows }, (_, y) => rowText(s, y)).join('\n');
  const all = shell.map(text).join('\n');
  assert.match(all, /wide: 中文字符 日本語 한국어/);
  assert.match(all, /emoji: 😀🎉👍 ok/);
  assert.match(all, /combining: e\u0301 a\u0308 n\u0303 x\u20dd/);
  const vim = frames(fixtures.find((f) => f.name === 'vim')!);
  assert.ok(
    vim.some((s) => s.modes.altScreen),
    'vim uses the alternate screen',
  );
  assert.ok(vim.map(text).join('\n').includes('hello world 中文 inserted'));
});

for (const f of fixtures) {
  for (const vocabulary of ['xterm', 'mosh'] as Vocabulary[]) {
    test(`${f.name}: a client fed only newFrame diffs shows every frame exactly (${vocabulary} vocabulary)`, () => {
      const snaps = frames(f);
      const view = vocabulary === 'mosh' ? moshView : (s: Snapshot) => s;
      const client = new Emulator(f.cols, f.rows);
      let prev: Snapshot | null = null;
      let bytes = 0;
      for (let i = 0; i < snaps.length; i++) {
        const out = newFrame(prev !== null, prev, snaps[i], { vocabulary });
        assertClean(out, `${f.name} frame ${i}`);
        bytes += out.length;
        client.write(out);
        assertSameScreen(client.snapshot(), view(snaps[i]), `${f.name} frame ${i}`);
        prev = snaps[i];
      }
      client.dispose();
      assert.ok(bytes > 0);
    });
  }

  test(`${f.name}: full repaints and diffs between any two frames round-trip`, () => {
    const snaps = frames(f);
    const r = rng(f.name.length * 31);
    for (let n = 0; n < 40; n++) {
      const a = snaps[int(r, snaps.length)];
      const b = snaps[int(r, snaps.length)];
      checkRoundTrip(a, b, n % 2 === 0 ? 'xterm' : 'mosh', `${f.name} pair ${n}`);
    }
  });

  test(`${f.name}: writes split at arbitrary byte boundaries (inside UTF-8 and escape sequences) give the same frames`, () => {
    const whole = frames(f);
    const r = rng(7);
    const split = (b: Buffer): Buffer[] => {
      const parts: Buffer[] = [];
      let i = 0;
      while (i < b.length) {
        const n = 1 + int(r, 7);
        parts.push(b.subarray(i, i + n));
        i += n;
      }
      return parts;
    };
    const pieces = frames(f, split);
    for (let i = 0; i < whole.length; i++) assertSameScreen(pieces[i], whole[i], `${f.name} frame ${i}`);
  });
}
