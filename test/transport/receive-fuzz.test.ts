// Fuzz of the whole receive path (open -> fragment assembly -> instruction decode -> state apply) with random
// and mutated datagrams: no exception escapes, nothing unauthenticated is acted on, and authentic garbage
// never corrupts the received states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { Connection } from '../../src/transport/connection';
import { sealPacket, TO_CLIENT, TO_SERVER } from '../../src/transport/datagram';
import { encodeFragment, Fragmenter } from '../../src/transport/fragment';
import { encodeInstruction, type Instruction } from '../../src/transport/instruction';
import { generateKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { Transport } from '../../src/transport/transport';
import { UserStream } from '../../src/statesync/userstream';
import { FakeNet, prng } from '../support/fakenet';
import { HostTape } from '../support/hosttape';

const FROM = { address: '127.0.0.7', port: 5555 };

function observable(t: Transport<HostTape, UserStream>) {
  return JSON.stringify({
    states: t.receivedStates.map((s) => [s.num.toString(), s.timestamp]),
    ack: t.sender.ackNum.toString(),
    heard: t.sender.lastHeard,
    remote: t.connection.remoteAddr(),
    received: t.connection.stats.received,
    rtt: t.connection.rtt.snapshot(),
    acked: t.sender.sentStateAcked.toString(),
  });
}

function mutate(r: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (Math.floor(r() * 5)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n && out.length; i++)
        out[Math.floor(r() * out.length)] ^= 1 << Math.floor(r() * 8);
      return out;
    case 1: // truncate
      return out.subarray(0, Math.floor(r() * out.length));
    case 2: // extend with junk
      return Buffer.concat([
        out,
        Buffer.from(Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256))),
      ]);
    case 3: // splice a random run
      if (out.length) out.fill(Math.floor(r() * 256), Math.floor(r() * out.length), Math.floor(r() * out.length));
      return out;
    default: // random bytes, random length (incl. oversize)
      return Buffer.from(Array.from({ length: Math.floor(r() * 2200) }, () => Math.floor(r() * 256)));
  }
}

test('100,000 unauthenticated random and mutated datagrams change nothing and throw nothing', () => {
  const net = new FakeNet(3);
  const key = generateKey();
  const sock = net.bind('127.0.0.1', 60001, () => undefined);
  const server = new Transport({
    connection: Connection.server({ aead: new OcbAes128(key), clock: net.clock, socket: sock, family: 'udp4' }),
    clock: net.clock,
    initialLocal: new HostTape(),
    initialRemote: new UserStream(),
    sendMinDelay: 8,
  });
  // Give it a real peer first, so there is state to protect.
  const aead = new OcbAes128(key);
  const frag = new Fragmenter();
  const us = new UserStream();
  us.pushBytes(Buffer.from('ls\r'));
  const inst: Instruction = {
    protocolVersion: 2,
    oldNum: 0n,
    newNum: 1n,
    ackNum: 0n,
    throwawayNum: 0n,
    diff: us.initDiff(),
    chaff: new Uint8Array(0),
  };
  const genuine = frag
    .makeFragments(inst, 1252)
    .map((payload, i) =>
      sealPacket(aead, { direction: TO_SERVER, seq: BigInt(i), timestamp: 100, timestampReply: 0xffff, payload }),
    );
  for (const d of genuine) server.receive(d, { address: '127.0.0.2', port: 40000 });
  assert.equal(server.latestRemote().num, 1n);
  const before = observable(server);

  const r = prng(12345);
  let sent = 0;
  for (let i = 0; sent < 100_000 && i < 200_000; i++) {
    const base = genuine[Math.floor(r() * genuine.length)];
    const d = mutate(r, base);
    if (d.equals(base)) continue;
    server.receive(d, FROM);
    sent++;
  }
  assert.equal(sent, 100_000);
  assert.equal(observable(server), before);
  const dropped = Object.values(server.connection.stats.dropped).reduce((a, b) => a + b, 0);
  assert.equal(dropped, sent, 'every one was dropped before the transport saw it');
});

test('authentic datagrams with garbage fragments, zlib, protobuf and diffs are dropped and counted, never crash', () => {
  const net = new FakeNet(4);
  const key = generateKey();
  const aead = new OcbAes128(key);
  const cconn = Connection.client({
    aead: new OcbAes128(key),
    clock: net.clock,
    server: { address: '127.0.0.1', port: 60001 },
    socketFactory: net.clientFactory('127.0.0.2'),
  });
  const client = new Transport({
    connection: cconn,
    clock: net.clock,
    initialLocal: new UserStream(),
    initialRemote: new HostTape(),
    sendMinDelay: 1,
  });
  const r = prng(999);
  const rand = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  let seq = 0n;
  const send = (payload: Buffer) =>
    client.receive(
      sealPacket(aead, {
        direction: TO_CLIENT,
        seq: seq++,
        timestamp: Math.floor(r() * 65536),
        timestampReply: Math.floor(r() * 65536),
        payload,
      }),
      { address: '127.0.0.1', port: 60001 },
    );
  const goodInst = (over: Partial<Instruction>): Instruction => ({
    protocolVersion: 2,
    oldNum: 0n,
    newNum: 1n,
    ackNum: 0n,
    throwawayNum: 0n,
    diff: new Uint8Array(0),
    chaff: new Uint8Array(0),
    ...over,
  });

  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const kind = i % 6;
    let payload: Buffer;
    if (kind === 0)
      payload = rand(Math.floor(r() * 30)); // short / random fragments
    else if (kind === 1)
      payload = encodeFragment({ id: BigInt(i + 1), num: 0, final: true, chunk: rand(Math.floor(r() * 200)) }); // not zlib
    else if (kind === 2)
      payload = encodeFragment({
        id: BigInt(i + 1),
        num: 0,
        final: true,
        chunk: deflateSync(rand(Math.floor(r() * 100))),
      }); // not protobuf (mostly)
    else if (kind === 3)
      payload = encodeFragment({
        id: BigInt(i + 1),
        num: 0,
        final: true,
        chunk: deflateSync(
          encodeInstruction(goodInst({ newNum: BigInt(i + 2), diff: rand(1 + Math.floor(r() * 50)) })),
        ),
      }); // garbage diff
    else if (kind === 4)
      payload = encodeFragment({ id: BigInt(i + 1), num: Math.floor(r() * 0x8000), final: r() < 0.5, chunk: rand(20) }); // odd fragment numbers
    else
      payload = encodeFragment({
        id: BigInt(i + 1),
        num: 0,
        final: true,
        chunk: deflateSync(
          encodeInstruction(
            goodInst({
              protocolVersion: Math.floor(r() * 4),
              oldNum: BigInt(Math.floor(r() * 5)),
              newNum: BigInt(i + 2),
              ackNum: BigInt(Math.floor(r() * 1e9)),
            }),
          ),
        ),
      });
    if (send(payload)) accepted++;
  }
  // Only structurally valid instructions with a known base and an applicable (empty) diff can have been taken.
  for (const s of client.receivedStates) assert.equal(s.state.length, 0, 'no garbage host bytes were applied');
  assert.ok(client.stats.badDiff > 0 && client.stats.versionMismatch > 0 && client.assembly.stats !== undefined);
  assert.ok(accepted < 4000, `accepted ${accepted}`);
  // The session still works: a real instruction on top is applied.
  const tape = new HostTape();
  tape.write('still alive');
  const latest = client.latestRemote().num;
  const f = new Fragmenter();
  f.nextId = 10_000_000n;
  for (const p of f.makeFragments(
    goodInst({ oldNum: latest, newNum: latest + 1n, diff: tape.diffFrom(new HostTape()) }),
    1252,
  ))
    send(p);
  assert.equal(client.latestRemote().state.bytes().toString(), 'still alive');
});
