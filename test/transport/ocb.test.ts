// Tests for src/transport/ocb.ts: RFC 7253 and mosh vectors, tampering, and a cross-check of the TypeScript
// OCB against OpenSSL's native aes-128-ocb. Not a test of the datagram layer (nonce building, framing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { type Aead, OcbAes128 } from '../../src/transport/ocb';
import { hasNativeOcb, NativeOcbAes128 } from '../support/nativeocb';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
/** The byte string 00 01 02 ... of length n (RFC 7253 Appendix A). */
const counting = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));

type Impl = { name: string; make: (key: Buffer) => Aead };
const impls: Impl[] = [{ name: 'OcbAes128', make: (k) => new OcbAes128(k) }];
if (hasNativeOcb()) impls.push({ name: 'NativeOcbAes128', make: (k) => new NativeOcbAes128(k) });

const RFC_KEY = hex('000102030405060708090A0B0C0D0E0F');
const RFC_VECTORS: [nonce: string, alen: number, plen: number, c: string][] = [
  ['BBAA99887766554433221100', 0, 0, '785407BFFFC8AD9EDCC5520AC9111EE6'],
  ['BBAA99887766554433221101', 8, 8, '6820B3657B6F615A5725BDA0D3B4EB3A257C9AF1F8F03009'],
  ['BBAA99887766554433221102', 8, 0, '81017F8203F081277152FADE694A0A00'],
  ['BBAA99887766554433221103', 0, 8, '45DD69F8F5AAE72414054CD1F35D82760B2CD00D2F99BFA9'],
  ['BBAA99887766554433221104', 16, 16, '571D535B60B277188BE5147170A9A22C3AD7A4FF3835B8C5701C1CCEC8FC3358'],
  ['BBAA99887766554433221105', 16, 0, '8CF761B6902EF764462AD86498CA6B97'],
  ['BBAA99887766554433221106', 0, 16, '5CE88EC2E0692706A915C00AEB8B2396F40E1C743F52436BDF06D8FA1ECA343D'],
  [
    'BBAA99887766554433221107',
    24,
    24,
    '1CA2207308C87C010756104D8840CE1952F09673A448A122C92C62241051F57356D7F3C90BB0E07F',
  ],
  ['BBAA99887766554433221108', 24, 0, '6DC225A071FC1B9F7C69F93B0F1E10DE'],
  [
    'BBAA99887766554433221109',
    0,
    24,
    '221BD0DE7FA6FE993ECCD769460A0AF2D6CDED0C395B1C3CE725F32494B9F914D85C0B1EB38357FF',
  ],
  [
    'BBAA9988776655443322110A',
    32,
    32,
    'BD6F6C496201C69296C11EFD138A467ABD3C707924B964DEAFFC40319AF5A48540FBBA186C5553C68AD9F592A79A4240',
  ],
  ['BBAA9988776655443322110B', 32, 0, 'FE80690BEE8A485D11F32965BC9D2A32'],
  [
    'BBAA9988776655443322110C',
    0,
    32,
    '2942BFC773BDA23CABC6ACFD9BFD5835BD300F0973792EF46040C53F1432BCDFB5E1DDE3BC18A5F840B52E653444D5DF',
  ],
  [
    'BBAA9988776655443322110D',
    40,
    40,
    'D5CA91748410C1751FF8A2F618255B68A0A12E093FF454606E59F9C1D0DDC54B65E8628E568BAD7AED07BA06A4A69483A7035490C5769E60',
  ],
  ['BBAA9988776655443322110E', 40, 0, 'C5CD9D1850C141E358649994EE701B68'],
  [
    'BBAA9988776655443322110F',
    0,
    40,
    '4412923493C57D5DE0D700F753CCE0D1D2D95060122E9F15A5DDBFC5787E50B5CC55EE507BCB084E479AD363AC366B95A98CA5F3000B1479',
  ],
];

/** num96(x): x as a 12-byte big-endian number. */
function num96(x: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(x, 8);
  return b;
}

/** A mosh datagram nonce: 4 zero bytes then the 8-byte V from the wire. */
function moshNonce(v: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(4), v]);
}

for (const impl of impls) {
  test(`${impl.name}: seals every RFC 7253 Appendix A vector, with its associated data`, () => {
    const ocb = impl.make(RFC_KEY);
    for (const [nonce, alen, plen, c] of RFC_VECTORS) {
      const sealed = ocb.seal(hex(nonce), counting(plen), counting(alen));
      assert.equal(sealed.toString('hex').toUpperCase(), c, `nonce ${nonce}`);
    }
  });

  test(`${impl.name}: opens every RFC 7253 Appendix A vector and recovers the plaintext`, () => {
    const ocb = impl.make(RFC_KEY);
    for (const [nonce, alen, plen, c] of RFC_VECTORS) {
      const opened = ocb.open(hex(nonce), hex(c), counting(alen));
      assert.ok(opened, `nonce ${nonce} failed to open`);
      assert.deepEqual(opened, counting(plen), `nonce ${nonce}`);
    }
  });

  test(`${impl.name}: rejects an RFC vector opened with the wrong associated data`, () => {
    const ocb = impl.make(RFC_KEY);
    for (const [nonce, alen, , c] of RFC_VECTORS) {
      assert.equal(ocb.open(hex(nonce), hex(c), counting(alen + 1)), null, `nonce ${nonce}`);
      if (alen > 0) {
        const ad = counting(alen);
        ad[alen - 1] ^= 1;
        assert.equal(ocb.open(hex(nonce), hex(c), ad), null, `nonce ${nonce}`);
      }
    }
  });

  test(`${impl.name}: produces the RFC 7253 iterative test result 67E944D2...`, () => {
    const key = Buffer.alloc(16);
    key[15] = 0x80;
    const ocb = impl.make(key);
    const parts: Buffer[] = [];
    for (let i = 0; i < 128; i++) {
      const s = Buffer.alloc(i);
      parts.push(ocb.seal(num96(3 * i + 1), s, s));
      parts.push(ocb.seal(num96(3 * i + 2), s, Buffer.alloc(0)));
      parts.push(ocb.seal(num96(3 * i + 3), Buffer.alloc(0), s));
      // Each of them must also open again.
      assert.deepEqual(ocb.open(num96(3 * i + 1), parts[parts.length - 3], s), s);
      assert.deepEqual(ocb.open(num96(3 * i + 2), parts[parts.length - 2]), s);
      assert.deepEqual(ocb.open(num96(3 * i + 3), parts[parts.length - 1], s), Buffer.alloc(0));
    }
    const result = ocb.seal(num96(385), Buffer.alloc(0), Buffer.concat(parts));
    assert.equal(result.toString('hex').toUpperCase(), '67E944D23256C5E0B6C61FA22FDF1EA2');
  });

  test(`${impl.name}: matches mosh's own two OCB vectors (nonce 000102...0B)`, () => {
    const ocb = impl.make(RFC_KEY);
    const nonce = hex('000102030405060708090A0B');
    const empty = ocb.seal(nonce, Buffer.alloc(0), Buffer.alloc(0));
    assert.equal(empty.toString('hex').toUpperCase(), '197B9C3C441D3C83EAFB2BEF633B9182');
    assert.deepEqual(ocb.open(nonce, empty, Buffer.alloc(0)), Buffer.alloc(0));
    const eight = ocb.seal(nonce, counting(8), counting(8));
    assert.equal(eight.toString('hex').toUpperCase(), '92B657130A74B85A16DC76A46D47E1EAD537209E8A96D14E');
    assert.deepEqual(ocb.open(nonce, eight, counting(8)), counting(8));
  });

  test(`${impl.name}: seals and opens the two mosh datagram vectors (spec 2.7) byte for byte`, () => {
    const ocb = impl.make(RFC_KEY);
    const cases = [
      {
        plaintext:
          '1234ffff' + '0000000000000000' + '8000' + '789ce360126090605460d06030e2e0629362d1083090b0620000105301de',
        datagram:
          '00000000000000008b53ac3cab02d7d2685594856fdc950702428c8571949d686f4420ca31f0060ca43d50ffb19e12e522a8cf6e0fc021dfc8bafc3544fcd76fdfbc991d',
      },
      {
        plaintext:
          'abcd123000000000000000018000789ce360126090605460d46030e2e362b1627260e46213625162cac8b46200001c28029d',
        datagram:
          '80000000000000056910433e5e097aad1cf0f0a34b88a3ae8edbbc24c37a65806166fd875282f882d77207dddcefe7a64feba78caa2a778691dc016f2df423b73917b8802bb93c0d5eca',
      },
    ];
    for (const { plaintext, datagram } of cases) {
      const d = hex(datagram);
      const nonce = moshNonce(d.subarray(0, 8));
      assert.deepEqual(ocb.open(nonce, d.subarray(8)), hex(plaintext));
      assert.equal(Buffer.concat([d.subarray(0, 8), ocb.seal(nonce, hex(plaintext))]).toString('hex'), datagram);
    }
  });

  test(`${impl.name}: rejects any single flipped byte of ciphertext or tag`, () => {
    const ocb = impl.make(randomBytes(16));
    for (const len of [0, 1, 15, 16, 17, 33, 100]) {
      const nonce = randomBytes(12);
      const plaintext = randomBytes(len);
      const sealed = ocb.seal(nonce, plaintext);
      assert.equal(sealed.length, len + 16);
      assert.deepEqual(ocb.open(nonce, sealed), plaintext);
      for (let i = 0; i < sealed.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = Buffer.from(sealed);
          bad[i] ^= mask;
          assert.equal(ocb.open(nonce, bad), null, `len ${len}, byte ${i}, mask ${mask}`);
        }
      }
    }
  });

  test(`${impl.name}: rejects a packet opened under another nonce or another key`, () => {
    const key = randomBytes(16);
    const ocb = impl.make(key);
    const nonce = Buffer.alloc(12);
    const sealed = ocb.seal(nonce, Buffer.from('hello, mosh'));
    for (let i = 0; i < 12; i++) {
      const other = Buffer.from(nonce);
      other[i] ^= 1;
      assert.equal(ocb.open(other, sealed), null, `nonce byte ${i}`);
    }
    const otherKey = Buffer.from(key);
    otherKey[0] ^= 1;
    assert.equal(impl.make(otherKey).open(nonce, sealed), null);
    assert.deepEqual(ocb.open(nonce, sealed), Buffer.from('hello, mosh'));
  });

  test(`${impl.name}: returns null for inputs shorter than a tag and for truncated or extended packets`, () => {
    const ocb = impl.make(randomBytes(16));
    const nonce = randomBytes(12);
    for (let len = 0; len < 16; len++) assert.equal(ocb.open(nonce, randomBytes(len)), null, `length ${len}`);
    const sealed = ocb.seal(nonce, randomBytes(50));
    for (let cut = 1; cut <= sealed.length; cut++) {
      assert.equal(ocb.open(nonce, sealed.subarray(0, sealed.length - cut)), null, `cut ${cut}`);
    }
    assert.equal(ocb.open(nonce, Buffer.concat([sealed, Buffer.alloc(1)])), null);
  });

  test(`${impl.name}: throws on a nonce that is not 12 bytes and on a key that is not 16 bytes`, () => {
    const ocb = impl.make(randomBytes(16));
    for (const len of [0, 8, 11, 13, 16]) {
      assert.throws(() => ocb.seal(Buffer.alloc(len), Buffer.alloc(4)), RangeError);
      assert.throws(() => ocb.open(Buffer.alloc(len), Buffer.alloc(20)), RangeError);
    }
    assert.throws(() => impl.make(Buffer.alloc(15)), RangeError);
    assert.throws(() => impl.make(Buffer.alloc(32)), RangeError);
  });

  test(`${impl.name}: results stay intact after later calls and inputs are not modified`, () => {
    const ocb = impl.make(randomBytes(16));
    const n1 = randomBytes(12),
      n2 = randomBytes(12);
    const p1 = randomBytes(100),
      p2 = randomBytes(1200);
    const p1copy = Buffer.from(p1);
    const s1 = ocb.seal(n1, p1);
    const s1copy = Buffer.from(s1);
    const o1 = ocb.open(n1, s1);
    const s2 = ocb.seal(n2, p2);
    assert.deepEqual(ocb.open(n2, s2), p2);
    assert.deepEqual(s1, s1copy);
    assert.deepEqual(o1, p1copy);
    assert.deepEqual(p1, p1copy);
    assert.equal(ocb.open(n2, s1), null);
    assert.deepEqual(s1, s1copy);
  });
}

const nativeOnly = { skip: hasNativeOcb() ? false : 'this runtime has no native aes-128-ocb' };

test('OcbAes128 equals native aes-128-ocb on 5000 random keys, nonces and lengths, both directions', nativeOnly, () => {
  const lengths: number[] = [];
  for (let i = 0; i <= 2100; i += 16) lengths.push(i); // every multiple of 16
  for (let i = 0; i < 64; i++) lengths.push(i); // every short length
  while (lengths.length < 5000) lengths.push(randomInt(0, 2101));
  for (let c = 0; c < lengths.length; c++) {
    const key = randomBytes(16);
    const nonce = randomBytes(12);
    const plaintext = randomBytes(lengths[c]);
    const ad = c % 5 === 0 ? randomBytes(randomInt(0, 70)) : undefined;
    const ts = new OcbAes128(key);
    const native = new NativeOcbAes128(key);
    const a = ts.seal(nonce, plaintext, ad);
    const b = native.seal(nonce, plaintext, ad);
    assert.deepEqual(a, b, `case ${c}, length ${plaintext.length}`);
    assert.deepEqual(ts.open(nonce, b, ad), plaintext, `case ${c}: TS opens native`);
    assert.deepEqual(native.open(nonce, a, ad), plaintext, `case ${c}: native opens TS`);
  }
});

test(
  'OcbAes128 equals native across runs of sequential mosh nonces (Ktop cache) and interleaved directions',
  nativeOnly,
  () => {
    const key = randomBytes(16);
    const ts = new OcbAes128(key);
    const native = new NativeOcbAes128(key);
    const v = Buffer.alloc(8);
    for (let seq = 0; seq < 300; seq++) {
      for (const dir of [0, 1]) {
        v.writeBigUInt64BE((BigInt(dir) << 63n) | BigInt(seq));
        const nonce = moshNonce(v);
        const plaintext = randomBytes(seq % 3 === 0 ? 100 : (seq * 7) % 1300);
        const sealed = ts.seal(nonce, plaintext);
        assert.deepEqual(sealed, native.seal(nonce, plaintext), `seq ${seq} dir ${dir}`);
        assert.deepEqual(ts.open(nonce, sealed), plaintext);
      }
    }
  },
);

test('OcbAes128 equals native on messages larger than its initial scratch space', nativeOnly, () => {
  const key = randomBytes(16);
  const ts = new OcbAes128(key);
  const native = new NativeOcbAes128(key);
  for (const len of [2049, 70_000, 65_536 + 5]) {
    const nonce = randomBytes(12);
    const plaintext = randomBytes(len);
    const ad = randomBytes(len >> 3);
    const sealed = ts.seal(nonce, plaintext, ad);
    assert.deepEqual(sealed, native.seal(nonce, plaintext, ad), `length ${len}`);
    assert.deepEqual(ts.open(nonce, sealed, ad), plaintext);
    assert.deepEqual(native.open(nonce, sealed, ad), plaintext);
  }
});
