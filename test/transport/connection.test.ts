// Packet-layer rules of the connection: timestamp replies, RTT, RTO, sequence order (mosh-protocol.md 3.1-3.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/transport/connection';
import { openPacket, sealPacket, TO_SERVER } from '../../src/transport/datagram';
import { generateKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { RttEstimator } from '../../src/transport/rtt';
import { FakeNet } from '../support/fakenet';

function serverWithPeer() {
  const net = new FakeNet();
  const key = generateKey();
  const aead = new OcbAes128(key);
  const sent: Buffer[] = [];
  const sock = net.bind('127.0.0.1', 60001, () => undefined);
  const conn = Connection.server({
    aead,
    clock: net.clock,
    socket: { send: (m, p, a, cb) => (sent.push(Buffer.from(m)), sock.send(m, p, a, cb)), close: () => sock.close() },
    family: 'udp4',
  });
  let seq = 0n;
  const inbound = (timestamp: number, timestampReply = 0xffff, s = seq++) =>
    conn.receive(
      sealPacket(aead, { direction: TO_SERVER, seq: s, timestamp, timestampReply, payload: Buffer.from('x') }),
      { address: '127.0.0.2', port: 40000 },
    );
  const lastSent = () => {
    const r = openPacket(aead, sent[sent.length - 1]);
    assert.ok(r.ok);
    return r.packet;
  };
  return { net, conn, inbound, lastSent };
}

test('echoes the peer timestamp once, advanced by the time it was held', () => {
  const { net, conn, inbound, lastSent } = serverWithPeer();
  inbound(1000);
  net.clock.advance(30);
  conn.send(Buffer.from('a'));
  assert.equal(lastSent().timestampReply, 1030);
  conn.send(Buffer.from('b'));
  assert.equal(lastSent().timestampReply, 0xffff, 'echoed at most once');
});

test('does not echo a timestamp held for a second or more', () => {
  const { net, conn, inbound, lastSent } = serverWithPeer();
  inbound(1000);
  net.clock.advance(1000);
  conn.send(Buffer.from('a'));
  assert.equal(lastSent().timestampReply, 0xffff);
});

test('takes RTT samples from timestamp replies and ignores ones of 5 s or more', () => {
  const { net, conn, inbound } = serverWithPeer();
  const now16 = net.clock.now() & 0xffff;
  inbound(1, (now16 - 200) & 0xffff);
  assert.equal(conn.rtt.srtt, 200);
  assert.equal(conn.rtt.rttvar, 100);
  inbound(1, (now16 - 6000) & 0xffff);
  assert.equal(conn.rtt.srtt, 200, 'a 6 s sample is ignored');
  inbound(1, (now16 - 100) & 0xffff);
  assert.equal(conn.rtt.rttvar, 0.75 * 100 + 0.25 * 100);
  assert.equal(conn.rtt.srtt, 0.875 * 200 + 0.125 * 100);
});

test('an out-of-order datagram is delivered but not used for timestamps or RTT', () => {
  const { conn, inbound } = serverWithPeer();
  inbound(1, 0xffff, 5n);
  const rtt = conn.rtt.snapshot();
  const payload = inbound(2, 1, 3n);
  assert.ok(payload, 'payload still delivered');
  assert.deepEqual(conn.rtt.snapshot(), rtt);
  assert.equal(conn.stats.outOfOrder, 1);
});

test('RTO and frame interval follow SRTT and RTTVAR within their clamps', () => {
  const r = new RttEstimator();
  assert.equal(r.rto(), 1000, 'initial: 1000 + 4*500 clamped to 1000');
  assert.equal(r.sendInterval(), 250);
  r.sample(10);
  assert.equal(r.rto(), 50, 'ceil(10 + 4*5) = 30 clamped up to 50');
  assert.equal(r.sendInterval(), 20);
  const r2 = new RttEstimator();
  r2.sample(300);
  assert.equal(r2.rto(), 900);
  assert.equal(r2.sendInterval(), 150);
});

test('the server detaches after 40 s without hearing from the client, and sends nothing then', () => {
  const { net, conn, inbound } = serverWithPeer();
  inbound(1);
  net.clock.advance(40_001);
  const before = conn.stats.sent;
  conn.send(Buffer.from('a'));
  assert.equal(conn.hasRemoteAddr(), false);
  assert.equal(conn.stats.sent, before);
  inbound(2);
  assert.equal(conn.hasRemoteAddr(), true, 'reattaches on the next authentic datagram');
});
