// Tests for src/transport/key.ts: strict parsing of the 22-character mosh key, formatting, generation.
// Not a test of the cipher that uses the key (see ocb.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyError, formatKey, generateKey, parseKey } from '../../src/transport/key';

const BYTES_00_0F = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

test('accepts the key AAECAwQFBgcICQoLDA0ODw as bytes 00..0f', () => {
  assert.deepEqual(parseKey('AAECAwQFBgcICQoLDA0ODw'), BYTES_00_0F);
});

test('formats bytes 00..0f as AAECAwQFBgcICQoLDA0ODw', () => {
  assert.equal(formatKey(BYTES_00_0F), 'AAECAwQFBgcICQoLDA0ODw');
});

test('accepts keys ending in each canonical last character A, Q, g, w', () => {
  for (const last of 'AQgw') {
    const key = parseKey('AAECAwQFBgcICQoLDA0OD' + last);
    assert.equal(key.length, 16);
    assert.equal(formatKey(key), 'AAECAwQFBgcICQoLDA0OD' + last);
  }
});

test('accepts + and / from the base64 alphabet', () => {
  const key = parseKey('++++++++++//////////+w');
  assert.equal(formatKey(key), '++++++++++//////////+w');
});

test('rejects keys of length 0, 21, 23 and 24 with "Key must be 22 letters long."', () => {
  for (const k of ['', 'AAECAwQFBgcICQoLDA0OD', 'AAECAwQFBgcICQoLDA0ODwA', 'AAECAwQFBgcICQoLDA0ODw==']) {
    assert.throws(
      () => parseKey(k),
      (e: unknown) => e instanceof KeyError && e.message.startsWith('Key must be 22 letters long.'),
      `length ${k.length}`,
    );
  }
});

test('rejects non-alphabet characters with "Key must be well-formed base64."', () => {
  for (const bad of ['*', '-', '_', '=', ' ', '.', 'é', '\n']) {
    for (const pos of [0, 10, 21]) {
      const k = 'AAECAwQFBgcICQoLDA0ODw'.slice(0, pos) + bad + 'AAECAwQFBgcICQoLDA0ODw'.slice(pos + 1);
      assert.equal(k.length, 22);
      assert.throws(
        () => parseKey(k),
        (e: unknown) => e instanceof KeyError && e.message.startsWith('Key must be well-formed base64.'),
        `${JSON.stringify(bad)} at ${pos}`,
      );
    }
  }
});

test('rejects a non-canonical last character with "Base64 key was not encoded 128-bit key."', () => {
  for (const last of 'BCPRfhvxz09+/') {
    assert.throws(
      () => parseKey('AAECAwQFBgcICQoLDA0OD' + last),
      (e: unknown) => e instanceof KeyError && e.message.startsWith('Base64 key was not encoded 128-bit key.'),
      `last char ${last}`,
    );
  }
  assert.throws(() => parseKey('AAECAwQFBgcICQoLDA0ODx'), KeyError);
});

test('never puts the key or a piece of it into the error message', () => {
  const bad = ['Zm9vYmFyYmF6cXV4cXV1eAB', 'Zm9vYmFyYmF6cXV4cXV1e', 'Zm9vYmFyYmF6cXV4cXV1*A', 'Zm9vYmFyYmF6cXV4cXV1eB'];
  for (const k of bad) {
    assert.throws(
      () => parseKey(k),
      (e: unknown) =>
        e instanceof KeyError &&
        e.name === 'KeyError' &&
        !e.message.includes(k.slice(0, 8)) &&
        !e.message.includes(k.slice(-8)),
      k,
    );
  }
});

test('round-trips generated keys through format and parse', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const key = generateKey();
    assert.equal(key.length, 16);
    const printable = formatKey(key);
    assert.match(printable, /^[A-Za-z0-9+/]{21}[AQgw]$/);
    assert.deepEqual(parseKey(printable), key);
    seen.add(printable);
  }
  assert.equal(seen.size, 1000);
});

test('formatKey refuses a buffer that is not 16 bytes', () => {
  assert.throws(() => formatKey(Buffer.alloc(15)), RangeError);
  assert.throws(() => formatKey(Buffer.alloc(17)), RangeError);
});
