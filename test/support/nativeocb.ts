// OpenSSL's own aes-128-ocb through node's crypto, the cross-check for our TypeScript OCB (ocb.ts) in tests and
// the transport benchmark. The product never uses it: Electron's BoringSSL has no OCB. Test support only.
import { createCipheriv, createDecipheriv, getCiphers } from 'node:crypto';
import type { Aead } from '../../src/transport/ocb';

const OCB_TAG_BYTES = 16;

function checkKey(key: Buffer): void {
  if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, not ${key.length}`);
}

function checkNonce(nonce: Buffer): void {
  if (nonce.length !== 12) throw new RangeError(`OCB nonce must be 12 bytes, not ${nonce.length}`);
}

/** OpenSSL's own `aes-128-ocb` (node's crypto); unavailable in Electron. Check hasNativeOcb() first. */
export class NativeOcbAes128 implements Aead {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    checkKey(key);
    this.key = Buffer.from(key);
  }

  seal(nonce: Buffer, plaintext: Buffer, ad?: Buffer): Buffer {
    checkNonce(nonce);
    const c = createCipheriv('aes-128-ocb', this.key, nonce, { authTagLength: OCB_TAG_BYTES });
    if (ad !== undefined && ad.length) c.setAAD(ad);
    const body = c.update(plaintext);
    const rest = c.final();
    return Buffer.concat([body, rest, c.getAuthTag()], plaintext.length + OCB_TAG_BYTES);
  }

  open(nonce: Buffer, sealed: Buffer, ad?: Buffer): Buffer | null {
    checkNonce(nonce);
    if (sealed.length < OCB_TAG_BYTES) return null;
    const n = sealed.length - OCB_TAG_BYTES;
    try {
      const d = createDecipheriv('aes-128-ocb', this.key, nonce, { authTagLength: OCB_TAG_BYTES });
      d.setAuthTag(sealed.subarray(n));
      if (ad !== undefined && ad.length) d.setAAD(ad);
      const body = d.update(sealed.subarray(0, n));
      const rest = d.final(); // throws on a bad tag
      return rest.length ? Buffer.concat([body, rest]) : body;
    } catch {
      return null;
    }
  }
}

let nativeOcb: boolean | undefined;

/** Whether this runtime's crypto offers `aes-128-ocb` (node with OpenSSL: yes; Electron/BoringSSL: no). */
export function hasNativeOcb(): boolean {
  if (nativeOcb === undefined) {
    try {
      nativeOcb =
        getCiphers().includes('aes-128-ocb') &&
        new NativeOcbAes128(Buffer.alloc(16)).seal(Buffer.alloc(12), Buffer.alloc(0)).length === OCB_TAG_BYTES;
    } catch {
      nativeOcb = false;
    }
  }
  return nativeOcb;
}
