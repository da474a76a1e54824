// Overlay helpers: cells written onto a copy of a snapshot, wide characters kept whole, rows shared when
// untouched, underline added in canonical SGR order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, type Snapshot } from '../../src/emulator';
import { cellAt, SnapshotOverlay, withUnderline } from '../../src/predict/overlay';
import { cells, rowText } from './harness';

function snap(text: string, cols = 10, rows = 3): Snapshot {
  const em = new Emulator(cols, rows);
  em.write(text);
  const s = em.snapshot();
  em.dispose();
  return s;
}

test('underline is inserted in canonical order and never twice', () => {
  assert.equal(withUnderline(''), '4');
  assert.equal(withUnderline('1'), '1;4');
  assert.equal(withUnderline('1;2;3'), '1;2;3;4');
  assert.equal(withUnderline('1;7'), '1;4;7');
  assert.equal(withUnderline('31'), '4;31');
  assert.equal(withUnderline('1;38;5;4;44'), '1;4;38;5;4;44');
  assert.equal(withUnderline('4;31'), '4;31');
  assert.equal(withUnderline('4:3;31'), '4:3;31');
  assert.equal(withUnderline('53;48;2;1;2;3'), '4;53;48;2;1;2;3');
  // the same string xterm's own attributes give for an underlined cell
  const em = new Emulator(10, 1);
  em.write('\x1b[1;7;31;44mx\x1b[4mx');
  const s = em.snapshot();
  assert.equal(withUnderline(s.lines[0].style[0]), s.lines[0].style[1]);
  em.dispose();
});

test('an overlay without changes returns the base snapshot itself', () => {
  const s = snap('abc');
  assert.equal(new SnapshotOverlay(s).build(), s);
});

test('changed rows are copied, others shared, and the base is not modified', () => {
  const s = snap('abc\r\ndef');
  const o = new SnapshotOverlay(s);
  o.setCell(1, 1, { text: 'X', style: '1', width: 1 });
  o.setCursor(1, 2);
  const v = o.build();
  assert.equal(rowText(v, 1), 'dXf');
  assert.deepEqual(cells(v, 1, 1, 1), ['X|1']);
  assert.equal(v.lines[0], s.lines[0]);
  assert.equal(v.lines[2], s.lines[2]);
  assert.equal(rowText(s, 1), 'def');
  assert.deepEqual(v.cursor, { x: 2, y: 1, visible: true });
});

test('a wide cell written by the overlay gets its right half', () => {
  const o = new SnapshotOverlay(snap('abcdef'));
  o.setCell(0, 1, { text: '中', style: '', width: 2 });
  const v = o.build();
  assert.equal(rowText(v, 0), 'a中def');
  assert.equal(v.lines[0].widths, '1201111111');
});

test('writing over either half of a wide character turns its other half into a space', () => {
  const s = snap('a中b文c');
  let o = new SnapshotOverlay(s);
  o.setCell(0, 1, { text: 'x', style: '', width: 1 });
  assert.equal(rowText(o.build(), 0), 'ax b文c');
  o = new SnapshotOverlay(s);
  o.setCell(0, 5, { text: 'y', style: '', width: 1 });
  const v = o.build();
  assert.equal(rowText(v, 0), 'a中b yc');
  assert.equal(v.lines[0].widths, '1201111111');
  o = new SnapshotOverlay(s);
  o.setCell(0, 9, { text: '字', style: '', width: 2 });
  assert.equal(cellAt(o.build(), 0, 9).text, ' ', 'no room for a wide character in the last column');
});

test('an underlined empty cell becomes an underlined space (an erased cell cannot show it)', () => {
  const o = new SnapshotOverlay(snap('ab'));
  o.underline(0, 1);
  o.underline(0, 5);
  const v = o.build();
  assert.deepEqual(cells(v, 0, 0, 2), ['a|', 'b|4']);
  assert.deepEqual(cells(v, 0, 5, 1), [' |4']);
  assert.deepEqual(cells(v, 0, 6, 1), ['|']);
});

test('underlining a wide character underlines both halves', () => {
  const o = new SnapshotOverlay(snap('中'));
  o.underline(0, 1);
  assert.deepEqual(cells(o.build(), 0, 0, 2), ['中|4', '|4']);
});
