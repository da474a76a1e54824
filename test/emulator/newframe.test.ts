// Unit tests for the display differ: exact byte output for small cases (moves, SGR, ECH/EL, scrolling, titles,
// bell, modes), and the shortcuts of mosh's new_frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Emulator,
  blankSnapshot,
  newFrame,
  reviveSnapshot,
  snapshotsEqual,
  type Snapshot,
} from '../../src/emulator/index';
import { assertSameScreen } from './support/generators';

function states(cols: number, rows: number, ...inputs: string[]): Snapshot[] {
  const em = new Emulator(cols, rows);
  const out = [em.snapshot()];
  for (const i of inputs) {
    em.write(i);
    out.push(em.snapshot());
  }
  return out;
}

/** The diff from a to b, checked to really produce b on a terminal showing a. */
function diff(a: Snapshot, b: Snapshot): string {
  const t = Emulator.fromSnapshot(a);
  const out = newFrame(true, a, b, { vocabulary: 'xterm' });
  t.write(out);
  assertSameScreen(t.snapshot(), b, 'diff');
  return out;
}

test('an unchanged frame diffs to nothing', () => {
  const [, a] = states(20, 5, 'hello\x1b[1;31m world');
  assert.equal(newFrame(true, a, a), '');
  assert.equal(newFrame(true, a, reviveSnapshot(JSON.parse(JSON.stringify(a)) as Snapshot)), '');
});

test('a full repaint starts with reset, home, clear and a hidden cursor, as mosh does', () => {
  const out = newFrame(false, null, blankSnapshot(10, 3));
  assert.ok(out.startsWith('\x1b[?5l\x1b[r\x1b[0m\x1b[H\x1b[2J\x1b[?25l'), JSON.stringify(out));
  assert.ok(out.includes('\x1b[?25h'));
});

test('typing one character where the cursor is: just the character (no move, so no cursor hiding)', () => {
  const [, a, b] = states(20, 5, '$ ', 'l');
  assert.equal(diff(a, b), 'l');
});

test('SGR is sent only when the rendition changes, as a reset-and-set', () => {
  const [, a, b] = states(20, 5, 'x', '\x1b[1;31mab\x1b[0mc');
  assert.equal(diff(a, b), '\x1b[0;1;31mab\x1b[0mc');
});

test('moves use CR/LF, BS and CUF shortcuts, else CUP', () => {
  const [, a, b] = states(20, 6, 'abcdef', '\x1b[1;3HX\x1b[3;1HY\x1b[5;10HZ\x1b[5;14HW\x1b[1;7H');
  assert.equal(diff(a, b), '\x1b[?25l\b\b\b\bX\r\n\nY\x1b[5;10HZ\x1b[3CW\x1b[1;7H\x1b[?25h');
});

test('erased runs use ECH in a row and EL at its end; cells stay empty, not spaces', () => {
  const [, a, b] = states(20, 3, 'abcdefghijklmnop', '\x1b[1;3H\x1b[2X\x1b[1;10H\x1b[K');
  const out = diff(a, b);
  assert.equal(out, '\x1b[?25l\x1b[1;3H\x1b[2X\x1b[7C\x1b[K\x1b[?25h');
});

test('a blank run with a background colour carries that colour', () => {
  const [, a, b] = states(20, 3, 'abcdefghij', '\x1b[44m\x1b[1;4H\x1b[3X\x1b[0m');
  assert.equal(diff(a, b), '\x1b[?25l\x1b[1;4H\x1b[0;44m\x1b[3X\x1b[?25h\x1b[0m');
});

test('the whole screen scrolled by one line with the cursor at the bottom: CR LF, then only the new row', () => {
  const [, a, b] = states(10, 4, '1\r\n2\r\n3\r\n4', '\r\n5');
  const out = diff(a, b);
  assert.equal(out, '\x1b[0m\r\n5');
});

test('a scrolled region (a status line stays) uses DECSTBM and LF', () => {
  const [, a, b] = states(10, 5, '1\r\n2\r\n3\r\n4\x1b[5;1Hstatus\x1b[4;2H', '\x1b[1;4r\x1b[4;1H\n5\x1b[r\x1b[4;2H');
  const out = diff(a, b);
  assert.ok(out.startsWith('\x1b[0m\x1b[1;4r'), JSON.stringify(out));
  assert.ok(out.includes('\n\x1b[r'), JSON.stringify(out));
  assert.ok(!out.includes('status'), 'unchanged rows are not redrawn');
});

test('blank rows that merely look alike are not taken for a scroll', () => {
  const [, a, b] = states(10, 5, 'top line', '\x1b[H\x1b[2K');
  const out = diff(a, b);
  assert.ok(!/\[\d*;?\d*r/.test(out), JSON.stringify(out));
  assert.ok(!out.includes('\n'), JSON.stringify(out));
});

test('wrapped text is drawn across the row end without moves, and keeps the wrap flag', () => {
  const [a, b] = states(10, 3, 'abcdefghijklm');
  const out = diff(a, b);
  assert.ok(out.includes('abcdefghijklm'), JSON.stringify(out));
  assert.equal(b.lines[0].wraps, true);
});

test('a row that stops wrapping gets its flag cleared', () => {
  const [, a, b] = states(10, 3, 'abcdefghijklm', '\x1b[2;1H\x1b[2K\x1b[1;1H\x1b[2K\x1b[1;1Hshort\r\nnew');
  assert.equal(b.lines[0].wraps, false);
  diff(a, b);
});

test('bell when the count rises, once; not when it does not', () => {
  const [, a, b] = states(10, 3, 'x', '\x07\x07\x07');
  assert.equal(diff(a, b), '\x07');
  assert.equal(newFrame(true, b, a), '');
});

test('titles: OSC 0 when title and icon agree, else OSC 1 and 2; only when changed', () => {
  const [, a, b, c] = states(10, 3, 'x', '\x1b]0;same\x07', '\x1b]2;other\x07');
  assert.equal(diff(a, b), '\x1b]0;same\x07');
  assert.equal(diff(b, c), '\x1b]1;same\x07\x1b]2;other\x07');
  assert.equal(newFrame(true, c, c), '');
});

test('mode changes: bracketed paste, mouse tracking and encoding, focus, reverse video', () => {
  const [, a, b, c] = states(10, 3, 'x', '\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h\x1b[?5h', '\x1b[?1003h');
  assert.equal(diff(a, b), '\x1b[?5h\x1b[?2004h\x1b[?1002h\x1b[?1004h\x1b[?1006h');
  assert.equal(diff(b, c), '\x1b[?1002l\x1b[?1003h');
});

test("'xterm' vocabulary also carries cursor keys, keypad and the alternate screen; 'mosh' does not", () => {
  const [, a, b] = states(10, 3, 'x', '\x1b[?1h\x1b=');
  assert.equal(newFrame(true, a, b, { vocabulary: 'xterm' }), '\x1b[?1h\x1b=');
  assert.equal(newFrame(true, a, b, { vocabulary: 'mosh' }), '');
  const [, c, d] = states(10, 3, 'normal', '\x1b[?1049h\x1b[Halt');
  const out = newFrame(true, c, d, { vocabulary: 'xterm' });
  assert.ok(out.startsWith('\x1b[?1049h'));
  assert.ok(!newFrame(true, c, d, { vocabulary: 'mosh' }).includes('1049'));
});

test("'xterm' vocabulary carries the cursor style (DECSCUSR); the synchronized option wraps frames in 2026", () => {
  const [, a, b] = states(10, 3, 'x', '\x1b[6 q');
  assert.equal(newFrame(true, a, b, { vocabulary: 'xterm' }), '\x1b[6 q');
  assert.equal(newFrame(true, a, b, { vocabulary: 'mosh' }), '');
  assert.equal(newFrame(true, a, b, { vocabulary: 'xterm', synchronized: true }), '\x1b[?2026h\x1b[6 q\x1b[?2026l');
  assert.equal(newFrame(true, a, a, { synchronized: true }), '');
});

test("'mosh' vocabulary sends no colon sub-parameters and no underline colour", () => {
  const [, a, b] = states(10, 3, 'x', '\x1b[4:3;58;5;9;31mcurly');
  const out = newFrame(true, a, b, { vocabulary: 'mosh' });
  assert.ok(out.includes('\x1b[0;4;31m'), JSON.stringify(out));
  assert.ok(!out.includes(':') && !out.includes('58;'));
  assert.ok(newFrame(true, a, b, { vocabulary: 'xterm' }).includes('\x1b[0;4:3;31;58;5;9m'));
});

test('a size change repaints everything', () => {
  const a = states(10, 3, 'abc')[1];
  const b = states(12, 3, 'abc')[1];
  const out = newFrame(true, a, b);
  assert.ok(out.includes('\x1b[2J') && out.includes('abc'));
});

test('a lone combining mark after a printed character is not joined to it', () => {
  const [, a, b] = states(10, 3, 'ab', '\x1b[1;2H\x1b[m\u0301');
  const out = diff(a, b);
  assert.ok(out.includes('\u0301'));
});

test('a one-line scroll of a full 200x50 screen is sent as a scroll, not a repaint', () => {
  const em = new Emulator(200, 50);
  let s = '';
  for (let y = 0; y < 50; y++) s += `\x1b[${y + 1};1H\x1b[3${y % 8}m` + `row ${y} `.repeat(20).slice(0, 200);
  em.write(s);
  const before = em.snapshot();
  em.write('\x1b[50;1H\n\x1b[33mnew bottom line');
  const after = em.snapshot();
  const out = newFrame(true, before, after);
  assert.ok(out.length < 100, `${out.length} bytes`);
  const check = Emulator.fromSnapshot(before);
  check.write(out);
  assert.ok(snapshotsEqual(check.snapshot(), after));
});

test('a lone combining mark first in a frame is not joined onto the last character of the frame before', () => {
  // The server's screen: "md" then a lone mark in a cell of its own (written after a cursor move).
  const server = new Emulator(20, 4);
  server.write('m');
  const a0 = server.snapshot();
  server.write('d');
  const a = server.snapshot();
  server.write('\x1b[1;3H\u0323');
  const b = server.snapshot();
  // A client that just drew frame A (typing: the frame is the 'd' alone, the last thing it printed) gets A->B.
  const client = new Emulator(20, 4);
  client.write(newFrame(false, null, a0));
  const typed = newFrame(true, a0, a);
  assert.equal(typed, 'd');
  client.write(typed);
  client.write(newFrame(true, a, b));
  assertSameScreen(client.snapshot(), b, 'lone mark after a frame');
  server.dispose();
  client.dispose();
});
