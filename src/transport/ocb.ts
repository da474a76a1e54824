// AES-128-OCB3 (RFC 7253, 96-bit nonce, 128-bit tag): the AEAD that seals every mosh datagram (spec 2.4-2.6).
// OcbAes128 is OCB written in TypeScript over node's `aes-128-ecb`, because VS Code's Electron (BoringSSL)
// has no `aes-128-ocb` (the tests cross-check it against OpenSSL's, test/support/nativeocb.ts).
// Not the datagram layer: nonces (direction|seq), timestamps and framing live elsewhere.

import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import type { Cipher, Decipher } from 'node:crypto';

/** Authenticated encryption with associated data, as mosh uses it: 12-byte nonce, 16-byte tag appended. */
export interface Aead {
  /** Returns ciphertext || 16-byte tag. Throws only on a nonce that is not 12 bytes (a programming error). */
  seal(nonce: Buffer, plaintext: Buffer, ad?: Buffer): Buffer;
  /** Returns the plaintext, or null if `sealed` is too short or fails authentication. Never throws for bad input. */
  open(nonce: Buffer, sealed: Buffer, ad?: Buffer): Buffer | null;
}

export const OCB_KEY_BYTES = 16;
export const OCB_NONCE_BYTES = 12;
export const OCB_TAG_BYTES = 16;

function checkKey(key: Buffer): void {
  if (key.length !== OCB_KEY_BYTES) throw new RangeError(`AES-128 key must be 16 bytes, not ${key.length}`);
}

function checkNonce(nonce: Buffer): void {
  if (nonce.length !== OCB_NONCE_BYTES) throw new RangeError(`OCB nonce must be 12 bytes, not ${nonce.length}`);
}

/** double() of RFC 7253 on a 16-byte big-endian string: shift left one bit, fold the carry in as 0x87. */
function double(src: Uint8Array, dst: Uint8Array): void {
  const carry = src[0] >>> 7;
  for (let i = 0; i < 15; i++) dst[i] = ((src[i] << 1) | (src[i + 1] >>> 7)) & 0xff;
  dst[15] = ((src[15] << 1) & 0xff) ^ (carry ? 0x87 : 0);
}

/** A Buffer whose byteOffset is a multiple of 4, so an Int32Array can view it (copies only if needed). */
function aligned(b: Buffer): Buffer {
  newest.output = b;
  return (b.byteOffset & 3) === 0 ? b : Buffer.from(b);
}

/**
 * The newest buffer node's cipher returned, kept reachable. Node makes such a buffer in C++ and gives it Buffer's
 * prototype afterwards, which gives it a hidden class (map) of its own; V8 drops a map once no object has it, and
 * with it every optimized function that checks for it. Without this, each major GC between two packets would
 * throw away the compiled seal and open code (and other code that has seen such buffers) to be compiled again.
 */
const newest: { output: Buffer | null } = { output: null };

function words(b: Buffer, blocks: number): Int32Array {
  return new Int32Array(b.buffer, b.byteOffset, blocks << 2);
}

// Word offsets in the constants table: L_*, L_$, then L_0 .. L_31 (enough for 2^32 blocks).
const LSTAR = 0;
const LDOLLAR = 4;
const L0 = 8;
const L_COUNT = 32;

/**
 * OCB3 in TypeScript over a batched AES-128-ECB. Every packet costs one ECB call to seal; opening costs one
 * AES-decrypt call, plus one AES-encrypt call when there is a partial final block or associated data.
 *
 * All 128-bit values are handled as four 32-bit words in memory byte order (never as numbers), so XOR is
 * endian-independent. The tag is verified as D(T ^ HASH(A)) == Checksum ^ Offset ^ L_$, which is equivalent to
 * RFC 7253's E(Checksum ^ Offset ^ L_$) ^ HASH(A) == T because AES is a permutation; this lets the tag ride in
 * the same decrypt call as the ciphertext blocks.
 */
export class OcbAes128 implements Aead {
  private readonly enc: Cipher;
  private readonly dec: Decipher;
  /** L_*, L_$, L_0..L_31 as words. */
  private readonly L = new Int32Array(L0 + L_COUNT * 4);

  // Ktop cache: Ktop depends on the nonce with the low 6 bits cleared, so consecutive seqs share it.
  private readonly nonceBlock = Buffer.alloc(16);
  private readonly stretch = new Uint8Array(24);
  private ktopValid = false;
  private ktop0 = 0;
  private ktop1 = 0;
  private ktop2 = 0;

  /** Offset_0 of the current nonce. */
  private readonly off0b = new Uint8Array(16);
  private readonly off0w = new Int32Array(this.off0b.buffer);

  /** A 16-byte temporary (padded partial blocks, the expected tag). */
  private readonly tb = Buffer.from(new ArrayBuffer(16));
  private readonly tw = new Int32Array(this.tb.buffer);

  /** Batch input to the ECB calls, and the per-block offsets (4 words per full message block). */
  private sb: Buffer;
  private sw: Int32Array;
  private offs: Int32Array;

  constructor(key: Buffer) {
    checkKey(key);
    this.enc = createCipheriv('aes-128-ecb', key, null);
    this.enc.setAutoPadding(false);
    this.dec = createDecipheriv('aes-128-ecb', key, null);
    this.dec.setAutoPadding(false);

    const lb = new Uint8Array(this.L.buffer);
    lb.set(this.enc.update(Buffer.alloc(16)), LSTAR * 4); // L_* = E(0^128)
    double(lb.subarray(LSTAR * 4, LSTAR * 4 + 16), lb.subarray(LDOLLAR * 4, LDOLLAR * 4 + 16));
    double(lb.subarray(LDOLLAR * 4, LDOLLAR * 4 + 16), lb.subarray(L0 * 4, L0 * 4 + 16));
    for (let i = 1; i < L_COUNT; i++) {
      const prev = (L0 + (i - 1) * 4) * 4;
      double(lb.subarray(prev, prev + 16), lb.subarray(prev + 16, prev + 32));
    }

    const ab = new ArrayBuffer(2048 + 64);
    this.sb = Buffer.from(ab);
    this.sw = new Int32Array(ab);
    this.offs = new Int32Array(2048 / 4);
  }

  seal(nonce: Buffer, plaintext: Buffer, ad?: Buffer): Buffer {
    this.initialOffset(nonce);
    const n = plaintext.length;
    const m = n >>> 4;
    const r = n & 15;
    const a = ad === undefined ? 0 : ad.length;
    const tagSlot = r ? m + 1 : m;
    const adSlot = tagSlot + 1;
    const blocks = adSlot + ((a + 15) >>> 4);
    this.ensure(blocks, m);
    const sb = this.sb;
    const sw = this.sw;
    const offs = this.offs;
    const L = this.L;

    // Full blocks: Off_i = Off_{i-1} ^ L_ntz(i); input E(P_i ^ Off_i); Checksum ^= P_i.
    plaintext.copy(sb, 0, 0, m << 4);
    let o0 = this.off0w[0],
      o1 = this.off0w[1],
      o2 = this.off0w[2],
      o3 = this.off0w[3];
    let c0 = 0,
      c1 = 0,
      c2 = 0,
      c3 = 0;
    for (let i = 1, j = 0; i <= m; i++, j += 4) {
      const k = L0 + ((31 - Math.clz32(i & -i)) << 2);
      o0 ^= L[k];
      o1 ^= L[k + 1];
      o2 ^= L[k + 2];
      o3 ^= L[k + 3];
      offs[j] = o0;
      offs[j + 1] = o1;
      offs[j + 2] = o2;
      offs[j + 3] = o3;
      const w0 = sw[j],
        w1 = sw[j + 1],
        w2 = sw[j + 2],
        w3 = sw[j + 3];
      c0 ^= w0;
      c1 ^= w1;
      c2 ^= w2;
      c3 ^= w3;
      sw[j] = w0 ^ o0;
      sw[j + 1] = w1 ^ o1;
      sw[j + 2] = w2 ^ o2;
      sw[j + 3] = w3 ^ o3;
    }
    // Partial block: Off_* = Off_m ^ L_*; Pad = E(Off_*); Checksum ^= P_* || 1 || 0*.
    if (r) {
      o0 ^= L[LSTAR];
      o1 ^= L[LSTAR + 1];
      o2 ^= L[LSTAR + 2];
      o3 ^= L[LSTAR + 3];
      const j = m << 2;
      sw[j] = o0;
      sw[j + 1] = o1;
      sw[j + 2] = o2;
      sw[j + 3] = o3;
      const tb = this.tb,
        tw = this.tw;
      tb.fill(0);
      plaintext.copy(tb, 0, m << 4, n);
      tb[r] = 0x80;
      c0 ^= tw[0];
      c1 ^= tw[1];
      c2 ^= tw[2];
      c3 ^= tw[3];
    }
    // Tag input: Checksum ^ Off ^ L_$ (plaintext is known, so it joins the same ECB call).
    const t = tagSlot << 2;
    sw[t] = c0 ^ o0 ^ L[LDOLLAR];
    sw[t + 1] = c1 ^ o1 ^ L[LDOLLAR + 1];
    sw[t + 2] = c2 ^ o2 ^ L[LDOLLAR + 2];
    sw[t + 3] = c3 ^ o3 ^ L[LDOLLAR + 3];
    if (a) this.hashInput(ad as Buffer, adSlot);

    const out = aligned(this.enc.update(sb.subarray(0, blocks << 4)));
    const ow = words(out, blocks);
    for (let j = 0, e = m << 2; j < e; j++) ow[j] ^= offs[j]; // C_i = Off_i ^ E(P_i ^ Off_i)
    if (r) {
      const base = m << 4;
      for (let i = 0; i < r; i++) out[base + i] ^= plaintext[base + i]; // C_* = P_* ^ Pad
    }
    if (a) {
      // Tag = E(...) ^ HASH(A), HASH(A) being the XOR of the AD blocks' outputs.
      for (let j = adSlot << 2, e = blocks << 2; j < e; j += 4) {
        ow[t] ^= ow[j];
        ow[t + 1] ^= ow[j + 1];
        ow[t + 2] ^= ow[j + 2];
        ow[t + 3] ^= ow[j + 3];
      }
    }
    if (r) out.copyWithin(n, tagSlot << 4, (tagSlot << 4) + 16);
    return out.subarray(0, n + OCB_TAG_BYTES);
  }

  open(nonce: Buffer, sealed: Buffer, ad?: Buffer): Buffer | null {
    checkNonce(nonce);
    if (sealed.length < OCB_TAG_BYTES) return null;
    this.initialOffset(nonce);
    const n = sealed.length - OCB_TAG_BYTES;
    const m = n >>> 4;
    const r = n & 15;
    const a = ad === undefined ? 0 : ad.length;
    const adBlocks = (a + 15) >>> 4;
    const eBlocks = (r ? 1 : 0) + adBlocks;
    this.ensure(m + 1 + eBlocks, m);
    const sb = this.sb;
    const sw = this.sw;
    const offs = this.offs;
    const L = this.L;

    // Decrypt-call input, slots 0..m: C_i ^ Off_i for every full block, then the tag (^ HASH(A) below).
    sealed.copy(sb, 0, 0, m << 4);
    sealed.copy(sb, m << 4, n, n + 16);
    let o0 = this.off0w[0],
      o1 = this.off0w[1],
      o2 = this.off0w[2],
      o3 = this.off0w[3];
    for (let i = 1, j = 0; i <= m; i++, j += 4) {
      const k = L0 + ((31 - Math.clz32(i & -i)) << 2);
      o0 ^= L[k];
      o1 ^= L[k + 1];
      o2 ^= L[k + 2];
      o3 ^= L[k + 3];
      offs[j] = o0;
      offs[j + 1] = o1;
      offs[j + 2] = o2;
      offs[j + 3] = o3;
      sw[j] ^= o0;
      sw[j + 1] ^= o1;
      sw[j + 2] ^= o2;
      sw[j + 3] ^= o3;
    }
    if (r) {
      o0 ^= L[LSTAR];
      o1 ^= L[LSTAR + 1];
      o2 ^= L[LSTAR + 2];
      o3 ^= L[LSTAR + 3];
    }

    // Encrypt call (only if needed), slots after the decrypt input: Pad = E(Off_*), then the HASH(A) blocks.
    let pad: Buffer | null = null;
    let h0 = 0,
      h1 = 0,
      h2 = 0,
      h3 = 0;
    if (eBlocks) {
      const e0 = m + 1;
      if (r) {
        const j = e0 << 2;
        sw[j] = o0;
        sw[j + 1] = o1;
        sw[j + 2] = o2;
        sw[j + 3] = o3;
      }
      if (a) this.hashInput(ad as Buffer, r ? e0 + 1 : e0);
      const eo = aligned(this.enc.update(sb.subarray(e0 << 4, (e0 + eBlocks) << 4)));
      if (r) pad = eo;
      if (a) {
        const ew = words(eo, eBlocks);
        for (let j = r ? 4 : 0, e = eBlocks << 2; j < e; j += 4) {
          h0 ^= ew[j];
          h1 ^= ew[j + 1];
          h2 ^= ew[j + 2];
          h3 ^= ew[j + 3];
        }
      }
    }

    const t = m << 2;
    sw[t] ^= h0;
    sw[t + 1] ^= h1;
    sw[t + 2] ^= h2;
    sw[t + 3] ^= h3;
    const out = aligned(this.dec.update(sb.subarray(0, (m + 1) << 4)));
    const ow = words(out, m + 1);

    let c0 = 0,
      c1 = 0,
      c2 = 0,
      c3 = 0;
    for (let j = 0, e = m << 2; j < e; j += 4) {
      const p0 = ow[j] ^ offs[j],
        p1 = ow[j + 1] ^ offs[j + 1],
        p2 = ow[j + 2] ^ offs[j + 2],
        p3 = ow[j + 3] ^ offs[j + 3];
      ow[j] = p0;
      ow[j + 1] = p1;
      ow[j + 2] = p2;
      ow[j + 3] = p3;
      c0 ^= p0;
      c1 ^= p1;
      c2 ^= p2;
      c3 ^= p3;
    }
    const tb = this.tb,
      tw = this.tw;
    const base = m << 4;
    if (r) {
      const p = pad as Buffer;
      tb.fill(0);
      for (let i = 0; i < r; i++) tb[i] = sealed[base + i] ^ p[i];
      tb[r] = 0x80;
      c0 ^= tw[0];
      c1 ^= tw[1];
      c2 ^= tw[2];
      c3 ^= tw[3];
    }
    tw[0] = c0 ^ o0 ^ L[LDOLLAR];
    tw[1] = c1 ^ o1 ^ L[LDOLLAR + 1];
    tw[2] = c2 ^ o2 ^ L[LDOLLAR + 2];
    tw[3] = c3 ^ o3 ^ L[LDOLLAR + 3];
    if (!timingSafeEqual(tb, out.subarray(base, base + 16))) {
      out.fill(0);
      return null;
    }
    if (r) {
      const p = pad as Buffer;
      for (let i = 0; i < r; i++) out[base + i] = sealed[base + i] ^ p[i];
    }
    return out.subarray(0, n);
  }

  /** Sets off0 for `nonce`, computing Ktop (one AES call) only when the nonce's top 90 bits change. */
  private initialOffset(nonce: Buffer): void {
    checkNonce(nonce);
    const n0 = (nonce[0] << 24) | (nonce[1] << 16) | (nonce[2] << 8) | nonce[3];
    const n1 = (nonce[4] << 24) | (nonce[5] << 16) | (nonce[6] << 8) | nonce[7];
    const last = nonce[11];
    const n2 = (nonce[8] << 24) | (nonce[9] << 16) | (nonce[10] << 8) | (last & 0xc0);
    const st = this.stretch;
    if (!this.ktopValid || n0 !== this.ktop0 || n1 !== this.ktop1 || n2 !== this.ktop2) {
      // Nonce block: num2str(TAGLEN mod 128, 7) || zeros || 1 || N, low 6 bits cleared.
      const nb = this.nonceBlock;
      nb[0] = 0;
      nb[1] = 0;
      nb[2] = 0;
      nb[3] = 1;
      nonce.copy(nb, 4, 0, 12);
      nb[15] &= 0xc0;
      const ktop = this.enc.update(nb);
      st.set(ktop, 0);
      for (let i = 0; i < 8; i++) st[16 + i] = ktop[i] ^ ktop[i + 1];
      this.ktop0 = n0;
      this.ktop1 = n1;
      this.ktop2 = n2;
      this.ktopValid = true;
    }
    // Offset_0 = Stretch[1+bottom .. 128+bottom]: the 128 bits of Stretch starting at bit `bottom`.
    const bottom = last & 63;
    const s = bottom >>> 3;
    const bit = bottom & 7;
    const o = this.off0b;
    if (bit === 0) {
      for (let i = 0; i < 16; i++) o[i] = st[i + s];
    } else {
      const back = 8 - bit;
      for (let i = 0; i < 16; i++) o[i] = (st[i + s] << bit) | (st[i + s + 1] >>> back);
    }
  }

  /** Writes the HASH(A) block-cipher inputs into the batch at `slot` onwards (A_i ^ Off_i, padded A_* ^ Off_*). */
  private hashInput(ad: Buffer, slot: number): void {
    const a = ad.length;
    const am = a >>> 4;
    const ar = a & 15;
    const sw = this.sw;
    const L = this.L;
    ad.copy(this.sb, slot << 4, 0, am << 4);
    let o0 = 0,
      o1 = 0,
      o2 = 0,
      o3 = 0;
    let j = slot << 2;
    for (let i = 1; i <= am; i++, j += 4) {
      const k = L0 + ((31 - Math.clz32(i & -i)) << 2);
      o0 ^= L[k];
      o1 ^= L[k + 1];
      o2 ^= L[k + 2];
      o3 ^= L[k + 3];
      sw[j] ^= o0;
      sw[j + 1] ^= o1;
      sw[j + 2] ^= o2;
      sw[j + 3] ^= o3;
    }
    if (ar) {
      o0 ^= L[LSTAR];
      o1 ^= L[LSTAR + 1];
      o2 ^= L[LSTAR + 2];
      o3 ^= L[LSTAR + 3];
      const tb = this.tb,
        tw = this.tw;
      tb.fill(0);
      ad.copy(tb, 0, am << 4, a);
      tb[ar] = 0x80;
      sw[j] = tw[0] ^ o0;
      sw[j + 1] = tw[1] ^ o1;
      sw[j + 2] = tw[2] ^ o2;
      sw[j + 3] = tw[3] ^ o3;
    }
  }

  /** Grows the batch buffer to `blocks` blocks and the offset table to `m` blocks. */
  private ensure(blocks: number, m: number): void {
    if (this.sb.length < blocks << 4) {
      const ab = new ArrayBuffer(Math.max(blocks << 4, this.sb.length * 2));
      this.sb = Buffer.from(ab);
      this.sw = new Int32Array(ab);
    }
    if (this.offs.length < m << 2) this.offs = new Int32Array(Math.max(m << 2, this.offs.length * 2));
  }
}
