// Datagram layout, nonces and 16-bit timestamps (mosh-protocol.md 2.2, 2.3, 2.7, 3.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonceFor, openPacket, sealPacket, timestamp16, TO_CLIENT, TO_SERVER } from '../../src/transport/datagram';
import { parseKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';

const aead = new OcbAes128(parseKey('AAECAwQFBgcICQoLDA0ODw'));
const hex = (s: string) => Buffer.from(s, 'hex');

const V1 = {
  datagram:
    '00000000000000008b53ac3cab02d7d2685594856fdc950702428c8571949d686f4420ca31f0060ca43d50ffb19e12e522a8cf6e0fc021dfc8bafc3544fcd76fdfbc991d',
  payload: '0000000000000000' + '8000' + '789ce360126090605460d06030e2e0629362d1083090b0620000105301de',
};
const V2 = {
  datagram:
    '80000000000000056910433e5e097aad1cf0f0a34b88a3ae8edbbc24c37a65806166fd875282f882d77207dddcefe7a64feba78caa2a778691dc016f2df423b73917b8802bb93c0d5eca',
  plaintext: 'abcd123000000000000000018000789ce360126090605460d46030e2e362b1627260e46213625162cac8b46200001c28029d',
};

test('opens spec datagram vector 1 (client to server, seq 0)', () => {
  const r = openPacket(aead, hex(V1.datagram));
  assert.ok(r.ok);
  assert.equal(r.packet.direction, TO_SERVER);
  assert.equal(r.packet.seq, 0n);
  assert.equal(r.packet.timestamp, 0x1234);
  assert.equal(r.packet.timestampReply, 0xffff);
  assert.equal(r.packet.payload.toString('hex'), V1.payload);
});

test('opens spec datagram vector 2 (server to client, seq 5) and seals it back byte for byte', () => {
  const r = openPacket(aead, hex(V2.datagram));
  assert.ok(r.ok);
  assert.equal(r.packet.direction, TO_CLIENT);
  assert.equal(r.packet.seq, 5n);
  assert.equal(r.packet.timestamp, 0xabcd);
  assert.equal(r.packet.timestampReply, 0x1230);
  assert.equal(r.packet.payload.toString('hex'), V2.plaintext.slice(8));
  assert.equal(sealPacket(aead, r.packet).toString('hex'), V2.datagram);
});

test('the nonce is four zero bytes then direction bit and sequence, big-endian', () => {
  assert.equal(nonceFor(TO_SERVER, 1n).toString('hex'), '000000000000000000000001');
  assert.equal(nonceFor(TO_CLIENT, 5n).toString('hex'), '000000008000000000000005');
  assert.throws(
    () =>
      sealPacket(aead, {
        direction: TO_SERVER,
        seq: 1n << 63n,
        timestamp: 0,
        timestampReply: 0,
        payload: Buffer.alloc(0),
      }),
    RangeError,
  );
});

test('rejects short, oversize and tampered datagrams with the stock reasons', () => {
  assert.deepEqual(openPacket(aead, Buffer.alloc(23)), { ok: false, reason: 'too-short' });
  assert.deepEqual(openPacket(aead, Buffer.alloc(2049)), { ok: false, reason: 'oversize' });
  const bad = hex(V1.datagram);
  bad[bad.length - 1] ^= 0x80;
  assert.deepEqual(openPacket(aead, bad), { ok: false, reason: 'integrity' });
  // Authentic but shorter than the 4 timestamp bytes.
  const tiny = sealPacketRaw(Buffer.from([1, 2]));
  assert.deepEqual(openPacket(aead, tiny), { ok: false, reason: 'no-timestamps' });
});

function sealPacketRaw(plaintext: Buffer): Buffer {
  const nonce = nonceFor(TO_SERVER, 9n);
  return Buffer.concat([nonce.subarray(4), aead.seal(nonce, plaintext)]);
}

test('timestamp16 never yields 0xFFFF ("none") and wraps at 65536', () => {
  assert.equal(timestamp16(0xffff), 0);
  assert.equal(timestamp16(0x1ffff), 0);
  assert.equal(timestamp16(0x10000), 0);
  assert.equal(timestamp16(0x1fffe), 0xfffe);
  assert.equal(timestamp16(1234.9), 1234);
});
