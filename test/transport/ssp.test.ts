// SSP sender/receiver behaviour on a deterministic fake network (mosh-protocol.md section 6; checklist 12.4.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/transport/connection';
import { TO_CLIENT, TO_SERVER } from '../../src/transport/datagram';
import { Fragmenter } from '../../src/transport/fragment';
import { type Instruction, MOSH_PROTOCOL_VERSION, SHUTDOWN_NUM } from '../../src/transport/instruction';
import { generateKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { SEND_MINDELAY_CLIENT, SEND_MINDELAY_SERVER } from '../../src/transport/sender';
import { Transport } from '../../src/transport/transport';
import { UserStream } from '../../src/statesync/userstream';
import { FakeNet, run } from '../support/fakenet';
import { TextState } from '../support/textstate';
import { type WireInstruction, WireDecoder } from '../support/wire';

const SERVER = { address: '127.0.0.1', port: 60001 };
const CLIENT_ADDR = '127.0.0.2';

function setup(seed = 1) {
  const net = new FakeNet(seed);
  const key = generateKey();
  const aead = new OcbAes128(key);
  // eslint-disable-next-line prefer-const
  let server: Transport<TextState, TextState>;
  const ssock = net.bind(SERVER.address, SERVER.port, (msg, from) => server.receive(msg, from));
  const sconn = Connection.server({ aead: new OcbAes128(key), clock: net.clock, socket: ssock, family: 'udp4' });
  server = new Transport({
    connection: sconn,
    clock: net.clock,
    initialLocal: new TextState(),
    initialRemote: new TextState(),
    sendMinDelay: SEND_MINDELAY_SERVER,
  });
  const cconn = Connection.client({
    aead: new OcbAes128(key),
    clock: net.clock,
    server: SERVER,
    socketFactory: net.clientFactory(CLIENT_ADDR),
  });
  const client = new Transport({
    connection: cconn,
    clock: net.clock,
    initialLocal: new TextState(),
    initialRemote: new TextState(),
    sendMinDelay: SEND_MINDELAY_CLIENT,
  });
  cconn.onSocketMessage = (msg, from) => client.receive(msg, from);
  const t0 = net.clock.now();
  /** Decoded instructions on the wire, in send order, with their send times. */
  const wire = (direction?: number): (WireInstruction & { at: number; dropped: boolean })[] => {
    const dec = new WireDecoder(aead);
    const out: (WireInstruction & { at: number; dropped: boolean })[] = [];
    for (const e of net.log) {
      const inst = dec.decode(e.msg);
      if (inst && (direction === undefined || inst.direction === direction))
        out.push({ ...inst, at: e.at, dropped: e.dropped });
    }
    return out;
  };
  return { net, key, aead, server, client, t0, wire };
}

test("client and server converge on each other's latest state", () => {
  const { net, server, client, t0 } = setup();
  client.currentState.text = 'hello';
  server.currentState.text = 'world';
  run(net, [client, server], t0 + 2000);
  assert.equal(server.latestRemote().state.text, 'hello');
  assert.equal(client.latestRemote().state.text, 'world');
  assert.equal(server.connection.remoteAddr()?.address, CLIENT_ADDR);
});

test('the server sends nothing before it hears from the client', () => {
  const { net, server, t0, wire } = setup();
  server.currentState.text = 'unsolicited';
  run(net, [server], t0 + 5000);
  assert.equal(wire(TO_CLIENT).length, 0);
  assert.equal(server.waitTime(), Infinity);
});

test('an empty ack takes a new state number and acknowledges at once on first contact', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'x';
  run(net, [client, server], t0 + 50);
  const first = wire(TO_CLIENT)[0];
  assert.ok(first, 'server answered');
  assert.equal(first.protocolVersion, MOSH_PROTOCOL_VERSION);
  assert.equal(first.newNum, 1n, 'empty ack is state 1');
  assert.equal(first.oldNum, 0n);
  assert.equal(first.ackNum, 1n, 'acks client state 1');
  assert.equal(first.diff.length, 0);
  const c = wire(TO_SERVER)[0];
  assert.deepEqual([c.oldNum, c.newNum, c.ackNum, c.throwawayNum], [0n, 1n, 0n, 0n]);
  assert.equal(Buffer.from(c.diff).toString(), 'Ax');
});

test('a delayed ack follows data after exactly ACK_DELAY (100 ms)', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  const before = wire(TO_CLIENT).length;
  const tData = net.clock.now();
  client.currentState.text = 'ab';
  run(net, [client, server], tData + 500);
  const data = wire(TO_SERVER).find((i) => i.at >= tData && i.diff.length > 0)!;
  const ack = wire(TO_CLIENT)
    .slice(before)
    .find((i) => i.ackNum === data.newNum)!;
  assert.ok(ack, 'server acknowledged the data state');
  assert.equal(ack.at - data.at, 100);
  assert.equal(ack.diff.length, 0);
});

test('idle peers send a heartbeat every 3 s, each with a new state number', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  const start = net.clock.now();
  run(net, [client, server], start + 12_500);
  for (const dir of [TO_SERVER, TO_CLIENT]) {
    const beats = wire(dir).filter((i) => i.at > start);
    assert.ok(beats.length >= 4 && beats.length <= 5, `direction ${dir}: ${beats.length} heartbeats`);
    for (let i = 1; i < beats.length; i++) {
      assert.equal(beats[i].at - beats[i - 1].at, 3000);
      assert.equal(beats[i].newNum, beats[i - 1].newNum + 1n);
      assert.equal(beats[i].diff.length, 0);
    }
  }
});

test('resends a lost state after the retransmission timeout and then converges', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  net.rules.set(`${SERVER.address}:${SERVER.port}`, { delayMs: 0, loss: 1 });
  const tLost = net.clock.now();
  client.currentState.text = 'ab';
  run(net, [client, server], tLost + 600);
  net.rules.clear();
  run(net, [client, server], tLost + 4000);
  assert.equal(server.latestRemote().state.text, 'ab');
  const sends = wire(TO_SERVER).filter((i) => i.at >= tLost && Buffer.from(i.diff).toString().includes('b'));
  assert.ok(sends.length >= 2, 'the state was sent more than once');
  assert.ok(sends.some((i) => !i.dropped));
});

test('while the peer is active, unacknowledged data is resent at the frame interval', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  net.rules.set(`${SERVER.address}:${SERVER.port}`, { delayMs: 0, loss: 1 });
  const tLost = net.clock.now();
  client.currentState.text = 'ab';
  run(net, [client, server], tLost + 1000);
  const sends = wire(TO_SERVER).filter((i) => i.at >= tLost && i.diff.length > 0);
  // RTT on the fake link is ~0, so the frame interval is its 20 ms floor; RTO floor is 50 ms + 100 ms ack delay.
  assert.ok(sends.length >= 5, `resent ${sends.length} times within 1 s`);
});

test('shutdown handshake initiated by the client ends both sides cleanly', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 500);
  client.startShutdown();
  run(net, [client, server], net.clock.now() + 5000, () => client.sender.shutdownAcknowledged);
  assert.ok(client.sender.shutdownAcknowledged);
  assert.ok(server.counterpartyShutdown, 'server saw the shutdown state');
  assert.ok(server.sender.counterpartyShutdownAckSent, 'server acknowledged it');
  const last = wire(TO_SERVER).at(-1)!;
  assert.equal(last.newNum, SHUTDOWN_NUM);
  assert.ok(wire(TO_CLIENT).some((i) => i.ackNum === SHUTDOWN_NUM));
});

test('shutdown handshake initiated by the server ends both sides cleanly', () => {
  const { net, server, client, t0 } = setup();
  client.currentState.text = 'a';
  server.currentState.text = 'bye\r\n';
  run(net, [client, server], t0 + 500);
  server.startShutdown();
  run(net, [client, server], net.clock.now() + 5000, () => server.sender.shutdownAcknowledged);
  assert.ok(server.sender.shutdownAcknowledged);
  assert.ok(client.counterpartyShutdown);
  assert.ok(client.sender.counterpartyShutdownAckSent);
  assert.equal(client.latestRemote().state.text, 'bye\r\n');
});

test('shutdown gives up after 16 tries when the peer is gone', () => {
  const { net, server, client, t0, wire } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 500);
  net.rules.set(`${SERVER.address}:${SERVER.port}`, { delayMs: 0, loss: 1 });
  client.startShutdown();
  const start = net.clock.now();
  run(net, [client], start + 20_000, () => client.sender.shutdownAckTimedOut);
  assert.ok(client.sender.shutdownAckTimedOut);
  assert.ok(!client.sender.shutdownAcknowledged);
  assert.equal(wire(TO_SERVER).filter((i) => i.newNum === SHUTDOWN_NUM).length, 16);
  assert.ok(net.clock.now() - start < 10_000);
});

/** A hand-driven client: sends instructions we craft, through a real Connection and Fragmenter. */
function rawClient(net: FakeNet, key: Buffer) {
  const conn = Connection.client({
    aead: new OcbAes128(key),
    clock: net.clock,
    server: SERVER,
    socketFactory: net.clientFactory(CLIENT_ADDR),
  });
  const frag = new Fragmenter();
  return (i: Partial<Instruction>) => {
    const inst: Instruction = {
      protocolVersion: 2,
      oldNum: 0n,
      newNum: 1n,
      ackNum: 0n,
      throwawayNum: 0n,
      diff: new Uint8Array(0),
      chaff: new Uint8Array(0),
      ...i,
    };
    for (const f of frag.makeFragments(inst, conn.mtu)) conn.send(f);
    net.deliverDue();
  };
}

test('receiver ignores a duplicate new_num and drops an unknown old_num', () => {
  const { net, key, server } = setup();
  const send = rawClient(net, key);
  send({ newNum: 1n, diff: Buffer.from('Aone') });
  assert.equal(server.latestRemote().state.text, 'one');
  send({ newNum: 1n, diff: Buffer.from('Rchanged') });
  assert.equal(server.stats.duplicates, 1);
  assert.equal(server.latestRemote().state.text, 'one');
  send({ oldNum: 7n, newNum: 8n, diff: Buffer.from('Aeight') });
  assert.equal(server.stats.unknownBase, 1);
  assert.deepEqual(
    server.receivedStates.map((s) => s.num),
    [0n, 1n],
  );
});

test('an out-of-order state is inserted without bumping ack_num; throwaway prunes old states', () => {
  const { net, key, server } = setup();
  const send = rawClient(net, key);
  send({ newNum: 1n, diff: Buffer.from('Aa') });
  send({ oldNum: 1n, newNum: 3n, diff: Buffer.from('Abc') });
  assert.equal(server.sender.ackNum, 3n);
  send({ oldNum: 1n, newNum: 2n, diff: Buffer.from('Ab') });
  assert.equal(server.sender.ackNum, 3n, 'out-of-order insert does not move the ack');
  assert.equal(server.stats.outOfOrderStates, 1);
  assert.deepEqual(
    server.receivedStates.map((s) => s.num),
    [0n, 1n, 2n, 3n],
  );
  assert.equal(server.latestRemote().state.text, 'abc');
  send({ oldNum: 3n, newNum: 4n, throwawayNum: 3n, diff: Buffer.from('Ad') });
  assert.deepEqual(
    server.receivedStates.map((s) => s.num),
    [3n, 4n],
  );
  assert.equal(server.latestRemote().state.text, 'abcd');
});

test('a state with a wrong protocol version is rejected and counted', () => {
  const { net, key, server } = setup();
  const send = rawClient(net, key);
  send({ protocolVersion: 3, newNum: 1n, diff: Buffer.from('Ax') });
  assert.equal(server.stats.versionMismatch, 1);
  assert.equal(server.receivedStates.length, 1);
});

test('a diff that cannot be applied is dropped without changing any state', () => {
  const { net, key, server } = setup();
  const send = rawClient(net, key);
  send({ newNum: 1n, diff: Buffer.from('Zgarbage') });
  assert.equal(server.stats.badDiff, 1);
  assert.equal(server.sender.ackNum, 0n);
  assert.deepEqual(
    server.receivedStates.map((s) => s.num),
    [0n],
  );
});

test('sequence numbers increase by one per datagram and nonces never repeat', () => {
  const { net, server, client, t0, wire } = setup();
  for (let i = 0; i < 50; i++) {
    client.currentState.text += 'k';
    run(net, [client, server], net.clock.now() + 37);
  }
  run(net, [client, server], t0 + 10_000);
  for (const dir of [TO_SERVER, TO_CLIENT]) {
    const seqs = wire(dir).map((i) => i.seq);
    assert.ok(seqs.length > 10);
    seqs.forEach((s, i) => assert.equal(s, BigInt(i)));
  }
});

test('converges both ways at 30 % loss each way with delay', () => {
  const { net, server, client, t0 } = setup(42);
  net.defaultRule = { delayMs: 60, loss: 0.3 };
  for (let i = 0; i < 100; i++) {
    client.currentState.text += String.fromCharCode(97 + (i % 26));
    if (i % 3 === 0) server.currentState.text += `line ${i}\n`;
    run(net, [client, server], net.clock.now() + 45);
  }
  run(
    net,
    [client, server],
    net.clock.now() + 20_000,
    () =>
      server.latestRemote().state.equals(client.currentState) &&
      client.latestRemote().state.equals(server.currentState),
  );
  assert.equal(server.latestRemote().state.text, client.currentState.text);
  assert.equal(client.latestRemote().state.text, server.currentState.text);
  assert.ok(net.clock.now() - t0 < 30_000);
});

test('client hops to a new source port after 10 s of silence, and the server follows', () => {
  const { net, server, client, t0 } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  const firstPort = server.connection.remoteAddr()!.port;
  // The path back to the client's current port dies (a NAT lost its mapping).
  net.rules.set(`${CLIENT_ADDR}:${firstPort}`, { delayMs: 0, loss: 1 });
  client.currentState.text = 'ab';
  run(
    net,
    [client, server],
    net.clock.now() + 25_000,
    () =>
      client.connection.socketCount() > 1 &&
      client.latestRemote().state.equals(server.currentState) &&
      server.latestRemote().state.text === 'ab' &&
      server.connection.remoteAddr()!.port !== firstPort,
  );
  assert.ok(client.connection.stats.portHops >= 1, 'client hopped');
  assert.notEqual(server.connection.remoteAddr()!.port, firstPort, 'server roamed to the new port');
  assert.equal(server.latestRemote().state.text, 'ab');
  // After the hop, round trips succeed again: the client's ack from the server arrives on the new socket.
  const acked = client.sender.sentStateAcked;
  run(net, [client, server], net.clock.now() + 2000);
  assert.ok(client.sender.sentStateAcked >= acked);
  assert.equal(server.connection.stats.roams, 2, 'first attach, then one roam');
});

test('a replayed old datagram neither roams the server nor changes state', () => {
  const { net, server, client, t0 } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  const old = net.log.find((e) => e.to.port === SERVER.port)!;
  const roams = server.connection.stats.roams;
  const states = server.receivedStates.map((s) => s.num);
  server.receive(old.msg, { address: '127.0.0.9', port: 1234 });
  assert.equal(server.connection.stats.roams, roams);
  assert.equal(server.connection.remoteAddr()!.address, CLIENT_ADDR);
  assert.deepEqual(
    server.receivedStates.map((s) => s.num),
    states,
  );
  assert.equal(server.connection.stats.outOfOrder, 1);
});

test('a tampered datagram is dropped before anything is acted on', () => {
  const { net, server, client, t0 } = setup();
  client.currentState.text = 'a';
  run(net, [client, server], t0 + 1000);
  const good = net.log.filter((e) => e.to.port === SERVER.port).at(-1)!.msg;
  const before = { ...server.connection.stats, dropped: { ...server.connection.stats.dropped } };
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i] ^= 0x01;
    server.receive(bad, { address: '127.0.0.66', port: 4444 });
  }
  assert.equal(server.connection.stats.dropped.integrity, before.dropped.integrity + good.length);
  assert.equal(server.connection.stats.roams, before.roams);
  assert.equal(server.connection.remoteAddr()!.address, CLIENT_ADDR);
});

test('the receiver drops input history every retained state shares, so memory does not grow with the session', () => {
  const net = new FakeNet(9);
  const key = generateKey();
  // eslint-disable-next-line prefer-const
  let server: Transport<TextState, UserStream>;
  const ssock = net.bind(SERVER.address, SERVER.port, (msg, from) => server.receive(msg, from));
  server = new Transport({
    connection: Connection.server({ aead: new OcbAes128(key), clock: net.clock, socket: ssock, family: 'udp4' }),
    clock: net.clock,
    initialLocal: new TextState(),
    initialRemote: new UserStream(),
    sendMinDelay: SEND_MINDELAY_SERVER,
  });
  const cconn = Connection.client({
    aead: new OcbAes128(key),
    clock: net.clock,
    server: SERVER,
    socketFactory: net.clientFactory(CLIENT_ADDR),
  });
  const client = new Transport({
    connection: cconn,
    clock: net.clock,
    initialLocal: new UserStream(),
    initialRemote: new TextState(),
    sendMinDelay: SEND_MINDELAY_CLIENT,
  });
  cconn.onSocketMessage = (msg, from) => client.receive(msg, from);
  for (let i = 0; i < 300; i++) {
    client.currentState.pushBytes(Buffer.from(`line ${i} `.repeat(20)));
    run(net, [client, server], net.clock.now() + 40);
    server.pruneReceived(); // as the server does after consuming each new state
  }
  run(net, [client, server], net.clock.now() + 1000);
  const latest = server.latestRemote().state;
  assert.equal(latest.count, client.currentState.count, 'everything arrived');
  assert.ok(latest.retainedFrom > latest.count * 0.9, `retained from ${latest.retainedFrom} of ${latest.count}`);
});

test('a restored copy converges even though the original kept receiving after the save', () => {
  const { net, key, server, client, t0 } = setup(11);
  const codec = { save: (s: TextState) => s.text, load: (t: string) => new TextState(t) };
  client.currentState.text = 'a';
  server.currentState.text = 'one';
  run(net, [client, server], t0 + 1000);
  client.limitAcksTo(client.latestRemote().num); // what a saving client does at each save
  client.sender.limitThrowawayTo(client.sender.sentStateAcked);
  const saved = JSON.parse(JSON.stringify(client.save(codec, codec)));
  // The original lives on for a while: the server sends new states and the original receives them.
  for (let i = 0; i < 10; i++) {
    server.currentState.text += ` ${i}`;
    if (i === 5) client.currentState.text += 'x'; // typed after the save: lost with the original
    run(net, [client, server], net.clock.now() + 500);
  }
  assert.equal(client.latestRemote().state.text, server.currentState.text, 'the original got everything');
  void client.close(); // the original dies without a word
  const conn = Connection.client({
    aead: new OcbAes128(key),
    clock: net.clock,
    server: SERVER,
    socketFactory: net.clientFactory('127.0.0.5'),
    firstSeq: BigInt(saved.connection.nextSeq) + 1000n,
  });
  const copy = new Transport({
    connection: conn,
    clock: net.clock,
    initialLocal: new TextState(),
    initialRemote: new TextState(),
    sendMinDelay: SEND_MINDELAY_CLIENT,
  });
  conn.onSocketMessage = (msg, from) => copy.receive(msg, from);
  copy.restore(saved, codec, codec);
  copy.limitAcksTo(copy.latestRemote().num);
  copy.currentState.text += 'b';
  run(
    net,
    [copy, server],
    net.clock.now() + 15_000,
    () => copy.latestRemote().state.equals(server.currentState) && server.latestRemote().state.text === 'ab',
  );
  assert.equal(copy.latestRemote().state.text, server.currentState.text, 'the copy caught up with the server');
  assert.equal(
    server.latestRemote().state.text,
    'ab',
    'and the server has exactly the copy\'s state (not the original\'s later "x")',
  );
});
