// Unit tests for Emulator snapshots: cells (text, combining marks, widths), colours and attributes, cursor,
// modes, titles, clipboard, bell, row sharing, JSON, replies, hostile parameters and restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Emulator,
  MAX_TITLE_LENGTH,
  blankSnapshot,
  rowText,
  screensEqual,
  snapshotsEqual,
  type Snapshot,
  reviveSnapshot,
  Row,
  type PlainRow,
  styleOf,
  wordsOfStyle,
} from '../../src/emulator/index';
import { cellBg, cellExt, cellFg } from '../../src/emulator/style';

function snap(input: string, cols = 20, rows = 5): Snapshot {
  const em = new Emulator(cols, rows);
  em.write(input);
  return em.snapshot();
}

const cell = (s: Snapshot, y: number, x: number) => ({
  t: s.lines[y].text[x],
  s: s.lines[y].style[x],
  w: s.lines[y].widths === null ? 1 : Number(s.lines[y].widths![x]),
});

test('write is synchronous: the snapshot right after shows the text', () => {
  const s = snap('hello');
  assert.equal(rowText(s, 0), 'hello');
  assert.deepEqual(s.cursor, { x: 5, y: 0, visible: true });
});

test('empty cells are "" and printed spaces are " "', () => {
  const s = snap('a b\x1b[5Gc');
  assert.deepEqual(s.lines[0].text.slice(0, 6), ['a', ' ', 'b', '', 'c', '']);
  assert.equal(s.lines[0].widths, null);
});

test('a wide character takes two cells: "2" then an empty "0"', () => {
  const s = snap('a中b');
  assert.deepEqual(
    [cell(s, 0, 0), cell(s, 0, 1), cell(s, 0, 2), cell(s, 0, 3)],
    [
      { t: 'a', s: '', w: 1 },
      { t: '中', s: '', w: 2 },
      { t: '', s: '', w: 0 },
      { t: 'b', s: '', w: 1 },
    ],
  );
  assert.equal(s.cursor.x, 4);
});

test('combining marks stay in the cell of their base character', () => {
  const s = snap('e\u0301x');
  assert.equal(cell(s, 0, 0).t, 'e\u0301');
  assert.equal(cell(s, 0, 1).t, 'x');
  assert.equal(s.cursor.x, 2);
});

test('a combining mark after an escape sequence is a zero-width cell of its own', () => {
  const s = snap('ab\x1b[1;2H\x1b[m\u0301');
  assert.deepEqual(cell(s, 0, 1), { t: '\u0301', s: '', w: 0 });
});

test('a wide character at the last column wraps: the last cell stays empty and the row wraps', () => {
  const s = snap('\x1b[1;20H中', 20, 3);
  assert.equal(cell(s, 0, 19).t, '');
  assert.equal(s.lines[0].wraps, true);
  assert.deepEqual(
    [cell(s, 1, 0), cell(s, 1, 1)],
    [
      { t: '中', s: '', w: 2 },
      { t: '', s: '', w: 0 },
    ],
  );
  assert.deepEqual(s.cursor, { x: 2, y: 1, visible: true });
});

test('text running past the last column marks the row as wrapping; CRLF does not', () => {
  const s = snap('x'.repeat(25) + '\r\nshort', 20, 4);
  assert.equal(s.lines[0].wraps, true);
  assert.equal(s.lines[1].wraps, false);
  assert.equal(rowText(s, 1), 'xxxxx');
  assert.equal(s.lines[3].wraps, false);
});

test('a pending wrap after the last column shows the cursor on the last column', () => {
  const s = snap('x'.repeat(20), 20, 3);
  assert.deepEqual(s.cursor, { x: 19, y: 0, visible: true });
});

test('16, bright, 256 and true colours, foreground and background', () => {
  const s = snap(
    '\x1b[31ma\x1b[0;92mb\x1b[0;44mc\x1b[0;103md\x1b[0;38;5;123me\x1b[0;48;5;7mf\x1b[0;38;2;1;2;3mg\x1b[0;48;2;250;0;9mh',
  );
  assert.deepEqual(s.lines[0].style.slice(0, 8), [
    '31',
    '92',
    '44',
    '103',
    '38;5;123',
    '48;5;7',
    '38;2;1;2;3',
    '48;2;250;0;9',
  ]);
});

test('attributes: bold, dim, italic, underline (and its styles), blink, inverse, invisible, strikethrough, overline', () => {
  const s = snap(
    '\x1b[1ma\x1b[0;2mb\x1b[0;3mc\x1b[0;4md\x1b[0;4:3me\x1b[0;5mf\x1b[0;7mg\x1b[0;8mh\x1b[0;9mi\x1b[0;53mj\x1b[0;1;3;4;31;42mk',
  );
  assert.deepEqual(s.lines[0].style.slice(0, 11), ['1', '2', '3', '4', '4:3', '5', '7', '8', '9', '53', '1;3;4;31;42']);
});

test('underline colour is kept with the underline', () => {
  const s = snap('\x1b[4;58;5;196ma\x1b[24mb');
  assert.equal(cell(s, 0, 0).s, '4;58;5;196');
  assert.equal(cell(s, 0, 1).s, '', 'no underline, so no underline colour');
});

test('attribute-off codes (22-29, 39, 49) clear what they should', () => {
  const s = snap('\x1b[1;3;4;5;7;8;9;31;44m\x1b[22;23;24;25;27;28;29;39;49mx');
  assert.equal(cell(s, 0, 0).s, '');
});

test('erased cells keep only the background colour (BCE)', () => {
  const s = snap('abcdef\x1b[1;4;31;44m\x1b[1;3H\x1b[K');
  assert.deepEqual(
    [cell(s, 0, 1), cell(s, 0, 2), cell(s, 0, 10)],
    [
      { t: 'b', s: '', w: 1 },
      { t: '', s: '44', w: 1 },
      { t: '', s: '44', w: 1 },
    ],
  );
  assert.equal(s.pen, '1;4;31;44');
});

test('cursor position and visibility', () => {
  const s = snap('\x1b[3;7H\x1b[?25l', 20, 5);
  assert.deepEqual(s.cursor, { x: 6, y: 2, visible: false });
  assert.equal(snap('\x1b[?25l\x1b[?25h').cursor.visible, true);
});

test('modes: cursor keys, keypad, bracketed paste, mouse tracking and encoding, focus, alternate screen, reverse video, cursor style', () => {
  const s = snap('\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h\x1b[?1049h\x1b[?5h\x1b[5 q');
  assert.deepEqual(
    { ...s.modes },
    {
      applicationCursorKeys: true,
      applicationKeypad: true,
      bracketedPaste: true,
      mouseTracking: 1002,
      mouseEncoding: 1006,
      focusEvents: true,
      altScreen: true,
      reverseVideo: true,
      cursorStyle: 5,
    },
  );
  const t = snap('\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h\x1b[?1049h\x1b[?5h\x1b[5 q\x1bc');
  assert.deepEqual({ ...t.modes }, { ...blankSnapshot(20, 5).modes });
});

test('mouse modes: a later mode replaces an earlier one; resetting another mode leaves it', () => {
  assert.equal(snap('\x1b[?1000h\x1b[?1003h').modes.mouseTracking, 1003);
  assert.equal(snap('\x1b[?1003h\x1b[?1000l').modes.mouseTracking, 1003);
  assert.equal(snap('\x1b[?1003h\x1b[?1003l').modes.mouseTracking, 0);
  assert.equal(snap('\x1b[?1015h').modes.mouseEncoding, 1015);
  assert.equal(snap('\x1b[?9h').modes.mouseTracking, 9);
});

test('the alternate screen has its own cells; leaving it shows the normal screen again', () => {
  const em = new Emulator(10, 3);
  em.write('normal\x1b[?1049h\x1b[Halt');
  assert.equal(rowText(em.snapshot(), 0), 'alt');
  em.write('\x1b[?1049l');
  assert.equal(rowText(em.snapshot(), 0), 'normal');
  assert.equal(em.snapshot().modes.altScreen, false);
});

test('titles: OSC 0 sets title and icon name, OSC 1 and 2 one each; controls are dropped', () => {
  let s = snap('');
  assert.equal(s.titleSet, false);
  s = snap('\x1b]0;both\x07');
  assert.deepEqual([s.title, s.iconName, s.titleSet], ['both', 'both', true]);
  s = snap('\x1b]0;both\x07\x1b]2;title only\x1b\\\x1b]1;icon\x07');
  assert.deepEqual([s.title, s.iconName], ['title only', 'icon']);
  s = snap('\x1b]2;a\x7fb\x07');
  assert.equal(s.title, 'ab');
  s = snap('\x1b]2;a\x01b\x07');
  assert.equal(s.title, 'ab');
});

test('a giant title is cut to MAX_TITLE_LENGTH; a giant clipboard payload is ignored', () => {
  const s = snap(`\x1b]2;${'t'.repeat(3_000_000)}\x07\x1b]52;c;${'A'.repeat(2_000_000)}\x07`);
  assert.equal(s.title, 't'.repeat(MAX_TITLE_LENGTH));
  assert.equal(s.clipboard, null);
});

test('bell count counts every BEL', () => {
  assert.equal(snap('\x07a\x07\x07').bellCount, 3);
});

test('OSC 52 sets the clipboard; a query does not', () => {
  assert.equal(snap('\x1b]52;c;aGVsbG8=\x07').clipboard, 'aGVsbG8=');
  assert.equal(snap('\x1b]52;c;aGVsbG8=\x07\x1b]52;c;?\x07').clipboard, 'aGVsbG8=');
  assert.equal(snap('').clipboard, null);
});

test('unchanged rows are the same object in the next snapshot, also after scrolling', () => {
  const em = new Emulator(10, 4);
  em.write('one\r\ntwo\r\nthree\r\nfour');
  const a = em.snapshot();
  assert.equal(em.snapshot(), a, 'no write: the same snapshot');
  em.write('\x1b[4;1Hfive');
  const b = em.snapshot();
  assert.equal(b.lines[0], a.lines[0]);
  assert.equal(b.lines[2], a.lines[2]);
  assert.notEqual(b.lines[3], a.lines[3]);
  assert.equal(b.modes, a.modes);
  em.write('\r\nsix');
  const c = em.snapshot();
  assert.equal(c.lines[0], b.lines[1]);
  assert.equal(c.lines[1], b.lines[2]);
  assert.equal(rowText(c, 3), 'six');
});

test('a snapshot survives JSON and still compares equal', () => {
  const s = snap('\x1b]0;t\x07\x1b[1;31mred 中\u0301 e\u0301\x1b[0m' + 'x'.repeat(30) + '\x1b[?1002h\x07');
  const plain = JSON.parse(JSON.stringify(s)) as Snapshot;
  const j = reviveSnapshot(plain);
  assert.deepEqual(JSON.parse(JSON.stringify(j)), plain);
  assert.ok(snapshotsEqual(j, s));
  assert.deepEqual(
    j.lines.map((r) => [r.text, r.style, r.widths, r.wraps]),
    s.lines.map((r) => [r.text, r.style, r.widths, r.wraps]),
  );
});

test('queries are answered through onReply (for the server to pass to the application)', () => {
  const em = new Emulator(10, 3);
  const replies: string[] = [];
  em.onReply((d) => replies.push(d));
  em.write('\x1b[6n\x1b[c');
  assert.equal(replies.join(''), '\x1b[1;1R\x1b[?1;2c');
});

test('huge repeat parameters finish at once and give what the clamped count gives', () => {
  for (const [seq, clamped] of [
    ['\x1b[2147483647S', '\x1b[5S'],
    ['\x1b[2147483647T', '\x1b[5T'],
    ['\x1b[2147483647L', '\x1b[5L'],
    ['\x1b[2147483647M', '\x1b[5M'],
    ['\x1b[2147483647I', '\x1b[20I'],
    ['\x1b[2147483647Z', '\x1b[20Z'],
  ]) {
    const start = Date.now();
    const prefix = 'a\r\nb\r\nc\x1b[2;3H';
    const got = snap(prefix + seq);
    assert.ok(Date.now() - start < 500, `${JSON.stringify(seq)} took too long`);
    assert.ok(screensEqual(got, snap(prefix + clamped)), JSON.stringify(seq));
  }
});

test('a huge REP count ends in the same screen as the exact count would', () => {
  const em = new Emulator(7, 3);
  em.write('x\x1b[2147483647b');
  const exactCount = 2147483647 + 1;
  // With 7 columns and 3 rows the screen is full of x; the cursor column follows the count modulo 7.
  const s = em.snapshot();
  assert.equal(rowText(s, 0), 'xxxxxxx');
  assert.equal(rowText(s, 1), 'xxxxxxx');
  const rest = exactCount % 7;
  assert.equal(rowText(s, 2), rest === 0 ? 'xxxxxxx' : 'x'.repeat(rest));
});

test('fromSnapshot builds an emulator that shows the snapshot', () => {
  const s = snap(
    '\x1b]2;title\x07\x1b[?2004h\x1b[1;33mwarn\x1b[0m 中文\r\n' + 'w'.repeat(25) + '\x07\x07\x1b[?25l',
    20,
    5,
  );
  const restored = Emulator.fromSnapshot(s).snapshot();
  assert.ok(snapshotsEqual(restored, s));
});

test('resize changes the snapshot size; at least 2 columns and 1 row', () => {
  const em = new Emulator(10, 3);
  em.write('hello');
  em.resize(30, 8);
  const s = em.snapshot();
  assert.equal(s.cols, 30);
  assert.equal(s.rows, 8);
  assert.equal(s.lines.length, 8);
  assert.equal(s.lines[0].text.length, 30);
  assert.equal(rowText(s, 0), 'hello');
  em.resize(1, 0);
  assert.deepEqual([em.cols, em.rows], [2, 1]);
});

test('resizing while the alternate screen is off, then using it, keeps it without scrollback (xterm 6 bug worked around)', () => {
  const em = new Emulator(10, 20);
  em.resize(10, 40);
  em.resize(10, 10);
  em.write('\x1b[?1049h');
  for (let i = 0; i < 100; i++) em.write(`\r\nline ${i}`);
  em.resize(12, 15);
  for (let i = 100; i < 130; i++) em.write(`\r\nline ${i}`);
  const s = em.snapshot();
  assert.equal(rowText(s, 14), 'line 129');
  assert.equal(rowText(s, 0), 'line 115');
  assert.equal(em.recoveryCount, 0);
});

test('a fresh emulator shows exactly blankSnapshot (mosh state 0)', () => {
  assert.ok(snapshotsEqual(new Emulator(33, 7).snapshot(), blankSnapshot(33, 7)));
});

test('cell words are canonical: equal styles have equal words, and words give back their style', () => {
  let seed = 5;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 ** 32;
  const byStyle = new Map<string, string>();
  for (let i = 0; i < 20000; i++) {
    // Random attribute words in xterm's layout, stale bits included (as an SGR sequence can leave them).
    const fg = rnd() >>> 0;
    const bg = rnd() >>> 0;
    const ext = rnd() >>> 0;
    const style = styleOf(fg, bg, ext);
    const e = cellExt(fg, bg, ext);
    const words = [cellFg(fg), cellBg(bg, e), e];
    assert.equal(styleOf(words[0], words[1], words[2]), style, 'normalising keeps the style');
    const w = wordsOfStyle(style);
    assert.deepEqual([w.fg, w.bg, w.ext], words, `the words of ${style}`);
    const key = words.join(',');
    assert.equal(byStyle.get(style) ?? key, key, `one set of words per style (${style})`);
    byStyle.set(style, key);
  }
  // A row made from plain cells reads back as those cells, an empty cell keeping its background only.
  const r = Row.fromCells(
    ['a', '中', '', '', 'e\u0301', ''],
    ['1;31', '4:3;41', '4:3;41', '7;44', '', ''],
    '120111',
    true,
  );
  assert.deepEqual(r.text, ['a', '中', '', '', 'e\u0301', '']);
  assert.deepEqual(r.style, ['1;31', '4:3;41', '4:3;41', '44', '', '']);
  assert.equal(r.widths, '120111');
  assert.ok(r.sameCells(Row.fromPlain(JSON.parse(JSON.stringify(r)) as PlainRow)));
});
