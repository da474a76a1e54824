// Prediction engine behaviour (mosh-protocol.md section 9), cell-exact on snapshots: what is predicted where,
// when it shows, how it is confirmed or repaired, and the display preferences and triggers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, screensEqual } from '../../src/emulator';
import { PredictionEngine } from '../../src/predict/prediction';
import { Harness, cells, rowText } from './harness';

/** A harness whose first keystroke ('e') was echoed, so its epoch is confirmed and predictions show. */
function confirmed(opts: ConstructorParameters<typeof Harness>[0] = { display: 'always' }): Harness {
  const h = new Harness(opts);
  h.type('e');
  h.server('e');
  h.view();
  return h;
}

test('typing printable characters on a prompt line is predicted at the right cells and cursor', () => {
  const h = confirmed();
  h.type('cho');
  const v = h.view();
  assert.equal(rowText(v, 0), '$ echo');
  assert.deepEqual(cells(v, 0, 2, 5), ['e|', 'c|', 'h|', 'o|', '|']);
  assert.deepEqual(v.cursor, { x: 6, y: 0, visible: true });
  assert.equal(rowText(h.fb, 0), '$ e', 'the server frame itself is untouched');
  assert.equal(h.fb.cursor.x, 3);
  h.dispose();
});

test('the first keystrokes stay hidden until the server confirms one of their epoch', () => {
  const h = new Harness({ display: 'always' });
  h.type('ec');
  let v = h.view();
  assert.equal(v, h.fb, 'tentative predictions draw nothing');
  h.server('e', 1n); // only the first byte is echoed and acked
  v = h.view();
  assert.equal(rowText(v, 0), '$ ec');
  assert.equal(v.cursor.x, 4);
  h.dispose();
});

test('predictions are confirmed and disappear as overlays once the server frame shows them', () => {
  const h = confirmed();
  h.type('cho');
  assert.equal(h.engine.active, true);
  h.server('cho');
  const v = h.view();
  assert.equal(v, h.fb, 'nothing left to draw: the frame is shown as it is');
  assert.equal(h.engine.active, false);
  assert.equal(h.engine.stats.confirmed, 4);
  assert.equal(h.engine.stats.glitches, 0);
  h.dispose();
});

test('a prediction stays shown while its keystroke is not yet echo-acked, even if the frame lacks it', () => {
  const h = confirmed();
  h.type('x');
  h.server('', h.sent - 1n);
  assert.equal(rowText(h.view(), 0), '$ ex');
  h.dispose();
});

test('a mispredicted cell is repaired when the server frame disagrees, and the epoch is killed', () => {
  const h = confirmed();
  h.type('a');
  assert.equal(rowText(h.view(), 0), '$ ea');
  h.server('*'); // e.g. a program that echoes stars
  const v = h.view();
  assert.ok(screensEqual(v, h.fb));
  assert.equal(rowText(v, 0), '$ e*');
  assert.equal(h.engine.stats.glitches, 1);
  assert.equal(h.engine.active, false);
  // Everything after the glitch is tentative again.
  h.type('b');
  assert.equal(h.view(), h.fb);
  h.dispose();
});

test('a displayed prediction the server never echoes (as at a password prompt) is removed at the next cull', () => {
  const h = confirmed();
  h.type('a');
  assert.equal(rowText(h.view(), 0), '$ ea');
  h.server(''); // acked, but nothing echoed
  const v = h.view();
  assert.equal(rowText(v, 0), '$ e');
  assert.equal(v.cursor.x, 3);
  assert.equal(h.engine.stats.glitches, 1);
  h.dispose();
});

test('at a password prompt unechoed keystrokes of a new epoch are never shown: their epoch is killed', () => {
  const h = confirmed();
  h.type('\r');
  h.server('\r\nPassword: ');
  h.view();
  h.type('se');
  assert.equal(rowText(h.view(), 1), 'Password: ', 'new epoch after CR: hidden');
  h.server('');
  const v = h.view();
  assert.ok(screensEqual(v, h.fb));
  assert.equal(h.engine.stats.glitches, 0, 'nothing wrong was ever visible');
  assert.ok(h.engine.stats.mispredicted >= 1);
  h.dispose();
});

test('adaptive mode shows nothing on a fast link and shows predictions on a slow one', () => {
  const fast = confirmed({ display: 'adaptive', sendInterval: 20 });
  fast.type('cho');
  assert.equal(fast.view(), fast.fb);
  fast.dispose();

  const slow = confirmed({ display: 'adaptive', sendInterval: 40 });
  slow.type('cho');
  const v = slow.view();
  assert.equal(rowText(v, 0), '$ echo');
  assert.deepEqual(cells(v, 0, 3, 3), ['c|', 'h|', 'o|'], 'not underlined below the flag trigger');
  slow.dispose();
});

test('the SRTT trigger switches off only when the link is fast again and nothing is pending', () => {
  const h = confirmed({ display: 'adaptive', sendInterval: 40 });
  h.type('c');
  h.engine.setSendInterval(20);
  assert.equal(rowText(h.view(), 0), '$ ec', 'still on while a prediction is active');
  h.server('c');
  h.view(); // confirms 'c'; the trigger is looked at before that, so it turns off at the next cull
  h.view();
  assert.equal(h.engine.srttTrigger, false);
  h.type('h');
  assert.equal(rowText(h.view(), 0), '$ ec');
  h.dispose();
});

test('flagged predictions carry an underline on a slow link (send interval over 80 ms)', () => {
  const h = confirmed({ display: 'adaptive', sendInterval: 100 });
  h.type('c o');
  const v = h.view();
  assert.equal(rowText(v, 0), '$ ec o');
  assert.deepEqual(cells(v, 0, 2, 5), ['e|', 'c|4', ' |', 'o|4', '|'], 'a blank over a blank is not flagged');
  h.engine.setSendInterval(60);
  assert.deepEqual(cells(h.view(), 0, 3, 1), ['c|4'], 'hysteresis: stays on above 50 ms');
  h.engine.setSendInterval(50);
  assert.deepEqual(cells(h.view(), 0, 3, 1), ['c|']);
  h.dispose();
});

test('the underline is added to the renditions the prediction takes from its neighbour', () => {
  const h = new Harness({ display: 'always', sendInterval: 100, prompt: '\x1b[1;32m$ ' });
  h.type('e');
  h.server('e');
  h.view();
  h.type('c');
  assert.deepEqual(cells(h.view(), 0, 3, 1), ['c|1;4;32']);
  h.dispose();
});

test('when the server confirms a cell with other renditions, later predictions in the row take them', () => {
  const h = confirmed();
  h.type('ab');
  h.server('\x1b[31ma', h.sent - 1n);
  const v = h.view();
  assert.deepEqual(cells(v, 0, 3, 2), ['a|31', 'b|31']);
  h.dispose();
});

test('never shows anything and does no prediction work; always shows on a fast link', () => {
  const never = new Harness({ display: 'never' });
  never.type('e');
  never.server('e');
  never.type('cho');
  assert.equal(never.view(), never.fb);
  assert.equal(never.engine.active, false);
  assert.equal(never.engine.waitTime(never.now), Infinity);
  assert.equal(never.engine.stats.predicted, 0);
  never.dispose();

  const always = confirmed({ display: 'always', sendInterval: 20 });
  always.type('cho');
  assert.equal(rowText(always.view(), 0), '$ echo');
  always.dispose();
});

test('a prediction pending 250 ms fires the glitch trigger (shown in adaptive mode), 5 s also underlines', () => {
  const h = confirmed({ display: 'adaptive', sendInterval: 20 });
  h.type('c');
  assert.equal(h.view(), h.fb);
  h.advance(250);
  let v = h.view();
  assert.equal(h.engine.glitchTrigger, 10);
  assert.deepEqual(cells(v, 0, 3, 1), ['c|']);
  h.advance(4750);
  h.view(); // sets the trigger; flagging follows it at the next cull
  v = h.view();
  assert.equal(h.engine.glitchTrigger, 20);
  assert.equal(h.engine.flagging, true);
  assert.deepEqual(cells(v, 0, 3, 1), ['c|4']);
  assert.equal(h.engine.waitTime(h.now), Infinity, 'no timing tests while glitching and flagging');
  h.dispose();
});

test('quick confirmations repair the glitch trigger at most once per 150 ms', () => {
  const h = confirmed({ display: 'adaptive', sendInterval: 20 });
  h.type('c');
  h.advance(300);
  h.view();
  assert.equal(h.engine.glitchTrigger, 10);
  h.server('c');
  h.view(); // confirmed 300 ms after prediction: not quick
  assert.equal(h.engine.glitchTrigger, 10);
  for (let i = 0; i < 3; i++) {
    h.type('x');
    h.advance(10);
    h.server('x');
    h.view();
  }
  assert.equal(h.engine.glitchTrigger, 9, 'three quick confirmations within 150 ms count once');
  h.advance(150);
  h.type('y');
  h.server('y');
  h.view();
  assert.equal(h.engine.glitchTrigger, 8);
  h.dispose();
});

test('waitTime asks for the 50 ms wakeup while predictions are pending', () => {
  const h = confirmed();
  assert.equal(h.engine.waitTime(h.now), Infinity);
  h.type('c');
  assert.equal(h.engine.waitTime(h.now), 50);
  h.server('c');
  h.view();
  assert.equal(h.engine.waitTime(h.now), Infinity);
  h.dispose();
});

test('backspace moves the predicted cursor left and pulls the rest of the line in', () => {
  const h = new Harness({ display: 'always', prompt: '$ ab' });
  h.type('c');
  h.server('c');
  h.view();
  h.type([0x7f]);
  let v = h.view();
  assert.equal(rowText(v, 0), '$ ab');
  assert.equal(v.cursor.x, 4);
  // In the middle of the line: left arrow, then backspace.
  h.type('\x1b[D');
  h.type([0x7f]);
  v = h.view();
  assert.equal(rowText(v, 0), '$ b');
  assert.equal(v.cursor.x, 2);
  h.dispose();
});

test('left and right arrows (CSI and SS3 forms) move the predicted cursor; typing then inserts', () => {
  const h = new Harness({ display: 'always', prompt: '$ a' });
  h.type('c');
  h.server('c');
  h.view();
  h.type('\x1bOD');
  assert.equal(h.view().cursor.x, 3);
  h.type('b');
  let v = h.view();
  assert.equal(rowText(v, 0), '$ abc');
  assert.equal(v.cursor.x, 4);
  h.type('\x1b[C\x1bOC');
  v = h.view();
  assert.equal(v.cursor.x, 6);
  h.type('\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D');
  assert.equal(h.view().cursor.x, 0, 'stops at column 0');
  h.dispose();
});

test('backspace in overwrite mode predicts a blank and moves left', () => {
  const h = new Harness({ display: 'always', predictOverwrite: true, prompt: '$ ab' });
  h.type('c');
  h.server('c');
  h.view();
  h.type('\x1b[D');
  h.server('\x1b[D');
  assert.equal(h.view().cursor.x, 4);
  h.type([0x7f]);
  const v = h.view();
  assert.equal(rowText(v, 0), '$ a c');
  assert.equal(v.cursor.x, 3);
  h.dispose();
});

test('CR moves the predicted cursor to the next line and starts a new (hidden) epoch', () => {
  const h = confirmed();
  h.type('\rls');
  const v = h.view();
  assert.equal(rowText(v, 1), '');
  assert.equal(v.cursor.y, 0, 'the cursor prediction after CR is tentative');
  h.server('\r\n$ l', h.sent - 1n);
  const w = h.view();
  assert.equal(rowText(w, 1), '$ l', 'the server did not print what we predicted: epoch killed, nothing shown');
  assert.equal(h.engine.stats.glitches, 0);
  h.dispose();
});

test('control characters and unknown escape sequences stop prediction until the server catches up', () => {
  for (const stop of ['\t', '\x1b[A', '\x1bx', '\x15', '\x1b[2~', '\x1bOP']) {
    const h = confirmed();
    h.type(stop);
    h.type('z');
    assert.equal(h.view(), h.fb, JSON.stringify(stop));
    h.dispose();
  }
});

test('a complete OSC string in the input is ignored: prediction goes on', () => {
  const h = confirmed();
  h.type('\x1b]0;t\x07z');
  assert.equal(rowText(h.view(), 0), '$ ez');
  h.dispose();
});

test('a multi-byte UTF-8 character of width 1 is predicted as one cell', () => {
  const h = confirmed();
  h.type('é!');
  const v = h.view();
  assert.deepEqual(cells(v, 0, 3, 2), ['é|', '!|']);
  assert.equal(v.cursor.x, 5);
  h.dispose();
});

test('a typed wide character is not predicted', () => {
  const h = confirmed();
  h.type('中');
  h.type('x');
  assert.equal(h.view(), h.fb);
  h.dispose();
});

test('inserting before a wide character shifts it whole', () => {
  const h = new Harness({ display: 'always', prompt: '$ 中x\x1b[1;3H' });
  h.type('a');
  h.server('a中x\x1b[1;4H');
  h.view();
  h.type('b');
  const v = h.view();
  assert.equal(rowText(v, 0), '$ ab中x');
  assert.equal(v.lines[0].widths?.slice(0, 8), '11112011');
  assert.equal(v.cursor.x, 4);
  h.dispose();
});

test('overwriting half of a wide character blanks its other half', () => {
  const h = new Harness({ display: 'always', predictOverwrite: true, prompt: '$ ' });
  h.type('a');
  h.server('a中x\x1b[1;4H');
  h.view();
  h.type('b');
  const v = h.view();
  assert.equal(rowText(v, 0), '$ ab x');
  assert.equal(v.lines[0].widths, null);
  h.dispose();
});

test('typing in the last column wraps the predicted cursor and starts a new epoch', () => {
  const h = new Harness({ display: 'always', cols: 10, prompt: '$ 3456789\x1b[1;9H' });
  h.type('8');
  h.server('8');
  h.view();
  h.type('9');
  const v = h.view();
  assert.equal(rowText(v, 0), '$ 3456788', 'the last column is a new, hidden epoch');
  assert.equal(v.cursor.x, 9);
  h.dispose();
});

test('a paste is not predicted: it resets', () => {
  const h = confirmed();
  h.type('c');
  assert.equal(rowText(h.view(), 0), '$ ec');
  h.engine.setLocalFrameSent(h.sent);
  h.engine.newUserInput(Buffer.from('x'.repeat(101)), h.fb, h.now);
  assert.equal(h.engine.active, false);
  assert.equal(h.view(), h.fb);
  h.engine.newUserByte(0x61, h.fb, h.now, true);
  assert.equal(h.engine.active, false);
  h.dispose();
});

test('a screen resize resets all predictions', () => {
  const h = confirmed();
  h.type('c');
  h.em.resize(30, 5);
  assert.equal(h.view(), h.fb);
  assert.equal(h.engine.active, false);
  h.dispose();
});

test('unknown cells at the row end are only underlined, when flagging', () => {
  const h = new Harness({ display: 'always', cols: 10, sendInterval: 100, prompt: '$ 3456789\x1b[1;4H' });
  h.type('x');
  h.server('\x1b[@x'); // the shell inserts
  assert.equal(rowText(h.view(), 0), '$ 3x456789');
  assert.equal(h.engine.stats.glitches, 0);
  h.type([0x7f]);
  const v = h.view();
  // cells 3..7 pull in their right neighbours; 8 and 9 are unknown: 8 keeps '8' underlined, 9 is never flagged.
  assert.deepEqual(cells(v, 0, 3, 7), ['4|4', '5|4', '6|4', '7|4', '8|4', '8|4', '9|']);
  assert.equal(v.cursor.x, 3);
  h.dispose();
});

test('experimental mode shows predictions at once and repairs only the wrong cell', () => {
  const h = new Harness({ display: 'experimental' });
  h.type('ab');
  assert.equal(rowText(h.view(), 0), '$ ab');
  h.server('x', 1n);
  const v = h.view();
  assert.equal(rowText(v, 0), '$ xb');
  assert.equal(h.engine.stats.glitches, 1);
  h.dispose();
});

test('the engine state is plain data: a restored engine continues the same way', () => {
  const h = confirmed();
  h.type('ch');
  const saved = h.engine.saveState();
  const json = JSON.stringify(saved, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  assert.ok(json.includes('"cursors"'));
  const copy = new PredictionEngine({ display: 'always' }, saved);
  assert.ok(screensEqual(copy.apply(h.fb), h.view()));
  h.dispose();
});

test('every view of a confirmed session matches the server once all keystrokes are echoed', () => {
  const h = confirmed({ display: 'always', sendInterval: 100 });
  h.type('cho hi');
  h.server('cho hi');
  const v = h.view();
  assert.equal(v, h.fb);
  const em2 = Emulator.fromSnapshot(v);
  assert.equal(rowText(em2.snapshot(), 0), '$ echo hi');
  em2.dispose();
  h.dispose();
});
