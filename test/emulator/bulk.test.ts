// writeBulk skips plain text that scrolls off unseen: it must leave exactly the snapshot write() leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, snapshotsEqual } from '../../src/emulator';
import { rng as prng } from './support/generators';

const PIECES = ['alpha', 'beta ', '中文', 'e\u0301', '\t', '😀', 'ünï', ' ', 'x'.repeat(30)];
const PREFIXES = [
  '',
  '\x1b[31;44m',
  '\x1b[5;10r',
  '\x1b[?6h',
  '\x1b[?1049h',
  '\x1b[10;20H',
  '\x1b[?7l',
  '\x1b[4h',
  '\x1b(0',
  '\x07',
  '\x1b]0;t\x07',
];

test('writeBulk leaves the same snapshot as write, over random states and text', () => {
  const r = prng(7);
  let skipped = 0;
  for (let round = 0; round < 300; round++) {
    const cols = 10 + Math.floor(r() * 90);
    const rows = 3 + Math.floor(r() * 30);
    const a = new Emulator(cols, rows);
    const b = new Emulator(cols, rows);
    const prefix =
      PREFIXES[Math.floor(r() * PREFIXES.length)] + 'some\r\nstate ' + PREFIXES[Math.floor(r() * PREFIXES.length)];
    a.write(prefix);
    b.write(prefix);
    let text = '';
    const lines = Math.floor(r() * rows * 4);
    for (let i = 0; i < lines; i++) {
      let line = '';
      const n = Math.floor(r() * 8);
      for (let j = 0; j < n; j++) line += PIECES[Math.floor(r() * PIECES.length)];
      text += line + (r() < 0.05 ? '\n' : r() < 0.05 ? '\r' : '\r\n');
    }
    if (r() < 0.1) text += '\x1b[1mbold';
    if (r() < 0.1) text = text.replace('\r\n', '\x07\r\n');
    const bytes = Buffer.from(text + 'tail');
    const padded = bytes.length < 2048 ? Buffer.concat([Buffer.from('y'.repeat(cols) + '\r\n'), bytes]) : bytes;
    a.write(padded);
    b.writeBulk(padded);
    assert.ok(
      snapshotsEqual(a.snapshot(), b.snapshot()),
      `round ${round}: ${cols}x${rows} prefix ${JSON.stringify(prefix)}`,
    );
    assert.deepEqual(a.snapshot().cursor, b.snapshot().cursor);
    skipped += b.skippedBytes;
    a.dispose();
    b.dispose();
  }
  assert.ok(skipped > 0, 'the fast path was taken in some rounds');
});

test('writeBulk skips most of a large plain-text chunk on a full screen', () => {
  const e = new Emulator(80, 24);
  let text = '';
  for (let i = 0; i < 2000; i++) text += `line ${i} of a long listing\r\n`;
  e.writeBulk(Buffer.from(text));
  assert.ok(e.skippedBytes > text.length * 0.9, `skipped ${e.skippedBytes} of ${text.length}`);
  const ref = new Emulator(80, 24);
  ref.write(text);
  assert.ok(snapshotsEqual(e.snapshot(), ref.snapshot()));
});
