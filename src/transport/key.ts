// The mosh session key: 16 random bytes, printed as 22 base64 characters (base64 without the "==").
// Parses strictly, as mosh does (spec 2.1). Not the cipher itself (see ocb.ts), and it never puts a
// key, or any part of one, into an error message.

import { randomBytes } from 'node:crypto';

/** Length of a mosh key in bytes (AES-128). */
export const KEY_BYTES = 16;
/** Length of the printable form: base64 of 16 bytes without the trailing "==". */
export const KEY_CHARS = 22;

/** A printable key that mosh would refuse. The message starts with mosh's own wording. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

const ALPHABET = /^[A-Za-z0-9+/]*$/;
// The 22nd character carries only the last 2 bits of the key; the 4 low bits must be zero.
const CANONICAL_LAST = /[AQgw]$/;

const HINT = 'The key is the 22-character code printed after "MOSH CONNECT <port>" (also MOSH_KEY).';

/** Decodes a 22-character mosh key into its 16 bytes, or throws KeyError. */
export function parseKey(printable: string): Buffer {
  if (typeof printable !== 'string' || printable.length !== KEY_CHARS) {
    const got = typeof printable === 'string' ? `${printable.length} characters` : 'no text';
    throw new KeyError(`Key must be 22 letters long. Got ${got}. ${HINT}`);
  }
  if (!ALPHABET.test(printable)) {
    throw new KeyError(
      'Key must be well-formed base64. Only the characters A-Z, a-z, 0-9, "+" and "/" may appear, ' +
        `with no padding or spaces. ${HINT}`,
    );
  }
  if (!CANONICAL_LAST.test(printable)) {
    throw new KeyError(
      'Base64 key was not encoded 128-bit key. Its last character must be one of A, Q, g or w; ' +
        `the key was probably mistyped or cut. ${HINT}`,
    );
  }
  const key = Buffer.from(printable + '==', 'base64');
  if (key.length !== KEY_BYTES || formatKey(key) !== printable) {
    // Unreachable given the checks above; kept so a lenient decoder can never let a bad key through.
    throw new KeyError(`Base64 key was not encoded 128-bit key. ${HINT}`);
  }
  return key;
}

/** Encodes 16 key bytes as the 22-character printable form. */
export function formatKey(key: Buffer): string {
  if (key.length !== KEY_BYTES) {
    throw new RangeError(`a mosh key is ${KEY_BYTES} bytes, not ${key.length}`);
  }
  return key.toString('base64').slice(0, KEY_CHARS);
}

/** A fresh random 16-byte key. */
export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
