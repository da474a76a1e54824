// The two additions to mosh's prediction engine: keystrokes still in flight are predicted again after their
// epoch is thrown away (rebase), and typing that starts at a known prompt after an echoed line and Enter shows
// at once. Both keep mosh's password-prompt safety.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PredictionEngine, type PredictionEngineState } from '../../src/predict';
import { Harness, rowText } from './harness';

/** A harness whose first keystroke ('e') was typed at the prompt and echoed: "$ " is a known prompt. */
function echoedLine(): Harness {
  const h = new Harness({ display: 'always', cols: 30, rows: 6 });
  h.type('e');
  h.server('e');
  h.view();
  return h;
}

test('keys typed after a command key are predicted again from the server cursor once the command shows', () => {
  const h = new Harness({ display: 'always', cols: 30, rows: 6 });
  h.type('x'); // a command the application does not echo: it opens a new line (like vim's "o")
  const commandFrame = h.sent;
  h.type('abc'); // typed on before the server answered
  h.server('\r\n', commandFrame); // the command took effect; "abc" is still in flight
  let v = h.view();
  assert.equal(v, h.fb, 'the rebased predictions are hidden until one is confirmed');
  assert.equal(h.engine.stats.rebases, 1);
  h.server('a', commandFrame + 1n); // the first of them is echoed
  v = h.view();
  assert.equal(rowText(v, 1), 'abc', 'the rest shows at once, in the right place');
  assert.deepEqual(v.cursor, { x: 3, y: 1, visible: true });
  assert.equal(h.engine.stats.glitches, 0);
  h.server('bc');
  assert.equal(h.view(), h.fb);
  h.dispose();
});

test('without echo, rebased keystrokes are never shown (a command followed by a secret)', () => {
  const h = new Harness({ display: 'always', cols: 30, rows: 6 });
  h.type('x');
  const commandFrame = h.sent;
  h.type('secret');
  h.server('\r\nPassword: ', commandFrame);
  assert.equal(h.view(), h.fb);
  for (let n = commandFrame + 1n; n <= h.sent; n++) {
    h.server('', n);
    assert.equal(h.view(), h.fb, `nothing shown after ack ${n}`);
  }
  assert.equal(h.engine.stats.glitches, 0);
  h.dispose();
});

test('typing at a known prompt after an echoed line and Enter shows at once', () => {
  const h = echoedLine();
  h.type('cho\r');
  h.server('cho\r\ne\r\n$ ');
  h.view();
  h.type('ls');
  const v = h.view();
  assert.equal(rowText(v, 2), '$ ls', 'shown before any echo');
  assert.deepEqual(v.cursor, { x: 4, y: 2, visible: true });
  assert.equal(h.engine.stats.trusted, 1);
  h.server('ls');
  assert.equal(h.view(), h.fb);
  assert.equal(h.engine.stats.glitches, 0);
  h.dispose();
});

test('a password prompt, an unknown prompt, typing ahead and an escape all keep the new epoch hidden', () => {
  for (const [what, after, prompt] of [
    ['password prompt', '\r\nPassword: ', 'Password: '],
    ['unknown prompt', '\r\n> ', '> '],
  ] as const) {
    const h = echoedLine();
    h.type('\r');
    h.server(after);
    h.view();
    h.type('ab');
    assert.equal(rowText(h.view(), 1), prompt, what);
    h.dispose();
  }
  {
    const h = echoedLine();
    h.type('\r');
    h.type('ab'); // before the new prompt came back
    h.server('\r\n$ ', h.sent - 2n);
    assert.equal(rowText(h.view(), 1), '$ ', 'typed ahead');
    h.dispose();
  }
  {
    const h = echoedLine();
    h.type('\r');
    h.server('\r\n$ ');
    h.view();
    h.type('\x1b');
    h.server('');
    h.view();
    h.type('ab');
    assert.equal(rowText(h.view(), 1), '$ ', 'after an escape');
    h.dispose();
  }
});

test('a visible misprediction at a trusted prompt forgets the prompt', () => {
  const h = echoedLine();
  h.type('\r');
  h.server('\r\n$ ');
  h.view();
  h.type('a'); // trusted, shown
  assert.equal(rowText(h.view(), 1), '$ a');
  h.server(''); // not echoed after all
  assert.equal(rowText(h.view(), 1), '$ ');
  assert.equal(h.engine.stats.glitches, 1);
  h.type('\r');
  h.server('\r\n$ ');
  h.view();
  h.type('b');
  assert.equal(rowText(h.view(), 2), '$ ', 'no longer trusted');
  h.dispose();
});

test('a pasted chunk in flight is not replayed', () => {
  const h = new Harness({ display: 'always', cols: 30, rows: 6 });
  h.type('x');
  const commandFrame = h.sent;
  h.engine.setLocalFrameSent(h.sent);
  h.engine.newUserInput(Buffer.from('pasted text'), h.fb, h.now, true);
  h.sent++;
  h.type('y');
  h.server('\r\n', commandFrame);
  h.view();
  assert.equal(h.engine.stats.rebases, 0);
  h.dispose();
});

test('a saved state from before these additions still loads', () => {
  const h = echoedLine();
  const saved = h.engine.saveState() as unknown as Record<string, unknown>;
  for (const k of ['history', 'historyBarrier', 'lastInputFrame', 'echoPrompts', 'candidatePrompt', 'enterEpoch'])
    delete saved[k];
  const stats = saved.stats as Record<string, unknown>;
  delete stats.rebases;
  delete stats.trusted;
  const e = new PredictionEngine({ display: 'always' }, saved as unknown as PredictionEngineState);
  e.setLocalFrameSent(h.sent);
  e.newUserByte(0x61, h.fb, h.now);
  assert.equal(e.stats.rebases, 0);
  h.dispose();
});
