// The differ never emits a sequence that makes a terminal answer (DA, DSR, DECRQM, OSC queries, ...) nor origin
// mode, whatever the screens: screens built from hostile input full of queries, and hostile snapshot objects
// (controls and escape sequences in cell text, titles, styles and the clipboard). Also checks the checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, blankSnapshot, newFrame, Row, type Snapshot } from '../../src/emulator/index';
import { findForbiddenSequence } from '../support/vocabulary';
import { assertClean, int, pick, randomChunk, rng } from './support/generators';

const QUERIES = [
  '\x1b[c',
  '\x1b[0c',
  '\x1b[>c',
  '\x1b[=c',
  '\x1b[5n',
  '\x1b[6n',
  '\x1b[?6n',
  '\x1b[?25$p',
  '\x1b[2$p',
  '\x1b[18t',
  '\x1b[14t',
  '\x1b[21t',
  '\x1b]4;1;?\x07',
  '\x1b]10;?\x07',
  '\x1b]11;?\x1b\\',
  '\x1b]52;c;?\x07',
  '\x1bP$qm\x1b\\',
  '\x1bP+q544e\x1b\\',
  '\x1bZ',
  '\x05',
  '\x1b[x',
  '\x1b[?6h',
  '\x1b[?996n',
  '\x1b[>0q',
  '\x1b[?u',
];

test('the checker rejects queries, origin mode and stray controls, and accepts the differ vocabulary', () => {
  for (const q of QUERIES) assert.notEqual(findForbiddenSequence(`ok${q}ok`), null, JSON.stringify(q));
  for (const bad of [
    '\x1b[?6h',
    '\x1b[?6;1h',
    '\x0e',
    '\x9b6n',
    '\x1b]2;a\x1b[6n\x07',
    '\x1b]52;c;?\x07',
    '\x1b]8;;http://x\x07',
  ]) {
    assert.notEqual(findForbiddenSequence(bad), null, JSON.stringify(bad));
  }
  const good =
    '\x07\b\r\n\x1b[H\x1b[3;4H\x1b[5C\x1b[X\x1b[12X\x1b[K\x1b[2J\x1b[r\x1b[1;5r\x1b[0;1;4:3;38;2;1;2;3m' +
    '\x1b[?25l\x1b[?1049h\x1b[?2004h\x1b=\x1b>\x1b]0;title\x07\x1b]52;c;aGk=\x07中文 e\u0301';
  assert.equal(findForbiddenSequence(good), null);
});

test('screens built from input full of queries and origin mode diff without any query or origin mode', () => {
  const r = rng(99);
  for (let seed = 0; seed < 60; seed++) {
    const cols = 5 + int(r, 60);
    const rows = 2 + int(r, 15);
    const em = new Emulator(cols, rows);
    let prev: Snapshot | null = null;
    for (let step = 0; step < 30; step++) {
      em.write(r() < 0.4 ? pick(r, QUERIES) : randomChunk(r, cols, rows));
      // Origin mode on in the source terminal must not leak into the diff.
      if (r() < 0.05) em.write('\x1b[?6h\x1b[2;3r');
      const s = em.snapshot();
      for (const vocabulary of ['mosh', 'xterm'] as const) {
        assertClean(newFrame(prev !== null, prev, s, { vocabulary }), `seed ${seed} step ${step} ${vocabulary}`);
        assertClean(newFrame(false, null, s, { vocabulary }), `seed ${seed} step ${step} ${vocabulary} repaint`);
      }
      prev = s;
    }
    em.dispose();
  }
});

function hostileRow(cols: number, r: () => number): Row {
  const evil = ['\x1b[6n', '\x1b[c', '\x07', '\x9b5n', '\x1b]10;?\x07', '\x05', '\x00', 'ok', '中', '\x1bP$q\x1b\\'];
  const text = Array.from({ length: cols }, () => (r() < 0.5 ? pick(r, evil) : 'x'));
  const style = Array.from({ length: cols }, () => pick(r, ['', '31', '6n\x1b[c', '?6h', '1;4', 'm\x1b[5n']));
  return Row.fromCells(text, style, null, r() < 0.3);
}

test('hostile snapshot objects (escapes in cells, titles, styles, clipboard) still diff to clean output', () => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const cols = 1 + int(r, 30);
    const rows = 1 + int(r, 8);
    const base = blankSnapshot(cols, rows);
    const hostile: Snapshot = {
      ...base,
      lines: Array.from({ length: rows }, () => hostileRow(cols, r)),
      cursor: { x: int(r, 100) - 50, y: int(r, 100) - 50, visible: r() < 0.5 },
      pen: pick(r, ['', '\x1b[6n', '1;31', '?6']),
      modes: {
        ...base.modes,
        mouseTracking: pick(r, [0, 6, 1000, 1003]) as never,
        mouseEncoding: pick(r, [0, 6, 1006]) as never,
      },
      title: pick(r, ['t\x1b[6n', 'a\x07\x1b[c', 'ok']),
      iconName: pick(r, ['\x1b]11;?\x07', 'i']),
      titleSet: true,
      clipboard: pick(r, ['?', 'aGk=', 'x\x07\x1b[c', null]),
      bellCount: int(r, 3),
    };
    for (const vocabulary of ['mosh', 'xterm'] as const) {
      assertClean(newFrame(false, null, hostile, { vocabulary }), `hostile ${i}`);
      assertClean(newFrame(true, blankSnapshot(cols, rows), hostile, { vocabulary }), `hostile ${i} diff`);
      assertClean(newFrame(true, hostile, blankSnapshot(cols, rows), { vocabulary }), `hostile ${i} back`);
    }
  }
});

test('malformed snapshots are refused with a TypeError, not rendered', () => {
  const ok = blankSnapshot(4, 2);
  const broken: unknown[] = [
    null,
    { ...ok, cols: 0 },
    { ...ok, rows: 1e9 },
    { ...ok, lines: [] },
    { ...ok, lines: [ok.lines[0], { ...ok.lines[1], text: ['a'] }] },
    { ...ok, lines: [ok.lines[0], { ...ok.lines[1], widths: '12' }] },
  ];
  for (const b of broken) assert.throws(() => newFrame(false, null, b as Snapshot), TypeError);
  // A malformed `last` only means a full repaint.
  assert.ok(newFrame(true, { ...ok, lines: [] } as Snapshot, ok).includes('\x1b[2J'));
});
