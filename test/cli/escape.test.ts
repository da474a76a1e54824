// The escape key of the terminal front end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EscapeKeyHandler, escapeConfig } from '../../src/cli/escape';

const sent = (acts: ReturnType<EscapeKeyHandler['feed']>) =>
  Buffer.concat(
    acts.filter((a) => a.type === 'send').map((a) => Buffer.from((a as { bytes: Uint8Array }).bytes)),
  ).toString('latin1');

test('Ctrl-^ . quits and nothing after it is sent', () => {
  const acts = new EscapeKeyHandler().feed(Buffer.from('ab\x1e.cd'));
  assert.equal(sent(acts), 'ab');
  assert.deepEqual(
    acts.map((a) => a.type),
    ['send', 'help', 'help', 'quit'],
  );
});

test('Ctrl-^ ^ and Ctrl-^ Ctrl-^ send one literal Ctrl-^; Ctrl-^ x sends both', () => {
  assert.equal(sent(new EscapeKeyHandler().feed(Buffer.from('\x1e^'))), '\x1e');
  assert.equal(sent(new EscapeKeyHandler().feed(Buffer.from('\x1e\x1e'))), '\x1e');
  assert.equal(sent(new EscapeKeyHandler().feed(Buffer.from('\x1ex'))), '\x1ex');
});

test('the escape survives being split across reads, and Ctrl-^ Ctrl-Z suspends', () => {
  const h = new EscapeKeyHandler();
  assert.deepEqual(
    h.feed(Buffer.from('\x1e')).map((a) => a.type),
    ['help'],
  );
  assert.deepEqual(
    h.feed(Buffer.from('\x1a')).map((a) => a.type),
    ['help', 'suspend'],
  );
});

test('MOSH_ESCAPE_KEY: another control key, a printable key only after a newline, empty disables', () => {
  const ctrlB = new EscapeKeyHandler(escapeConfig('\x02'));
  assert.deepEqual(
    ctrlB.feed(Buffer.from('\x02.')).map((a) => a.type),
    ['help', 'help', 'quit'],
  );
  assert.equal(
    sent(new EscapeKeyHandler(escapeConfig('\x02')).feed(Buffer.from('\x02b'))),
    '\x02',
    'pass key is b (B + lowercase)',
  );
  const tilde = new EscapeKeyHandler(escapeConfig('~'));
  assert.equal(sent(tilde.feed(Buffer.from('a~.'))), 'a~.', 'not after a newline: plain text');
  assert.deepEqual(
    tilde.feed(Buffer.from('\r~.')).map((a) => a.type),
    ['send', 'help', 'help', 'quit'],
  );
  assert.equal(sent(new EscapeKeyHandler(escapeConfig('')).feed(Buffer.from('\x1e.'))), '\x1e.');
  assert.equal(escapeConfig('\x03').key, 0x1e, 'Ctrl-C is refused');
});
