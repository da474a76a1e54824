// Keystroke translation on the server: ESC O A..D become ESC [ A..D unless the application set DECCKM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTranslator } from '../../server/keys';

test('rewrites SS3 arrows to CSI arrows when the application did not ask for cursor-key mode', () => {
  const t = new KeyTranslator();
  assert.equal(t.translate(Buffer.from('a\x1bOAb\x1bOD'), false).toString(), 'a\x1b[Ab\x1b[D');
});

test('leaves SS3 arrows alone in application cursor-key mode, and other SS3 keys always', () => {
  const t = new KeyTranslator();
  assert.equal(t.translate(Buffer.from('\x1bOA\x1bOP'), true).toString(), '\x1bOA\x1bOP');
  assert.equal(new KeyTranslator().translate(Buffer.from('\x1bOP'), false).toString(), '\x1bOP');
});

test('a sequence split across writes is still translated', () => {
  const t = new KeyTranslator();
  const out = Buffer.concat([
    t.translate(Buffer.from('\x1b'), false),
    t.translate(Buffer.from('O'), false),
    t.translate(Buffer.from('B'), false),
  ]);
  assert.equal(out.toString(), '\x1b[B');
});

test('plain bytes, UTF-8 and double escapes pass through unchanged', () => {
  const t = new KeyTranslator();
  const input = Buffer.from('héllo 中\x1b\x1b[A\x03');
  assert.deepEqual(t.translate(input, false), input);
});
