// The channel layer on both sides of a real SSP session over the deterministic fake network (test/support/
// channelrig.ts): bytes both ways arrive in order and exactly once through loss and reordering, a roam and a client
// freeze longer than the server's 40 s silence limit; either side closes; credit holds every buffer to its bound
// when a reader stops; each diff carries at most MAX_UPDATE_DATA bytes of channel data; the number of channels is
// limited; a client that did not ask for channels refuses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNEL_WINDOW, MAX_CHANNELS, MAX_IN_FLIGHT } from '../../src/statesync/channels';
import { MAX_UPDATE_DATA } from '../../src/statesync/channelwire';
import { decodeHostMessage } from '../../src/statesync/hostmessage';
import { UserStream } from '../../src/statesync/userstream';
import { decodeChannelEvent } from '../../src/statesync/channelwire';
import { TO_CLIENT, TO_SERVER } from '../../src/transport/datagram';
import { OcbAes128 } from '../../src/transport/ocb';
import { SERVER_ASSOCIATION_TIMEOUT } from '../../src/transport/connection';
import { ChannelRig, RIG_CLIENT_ADDR } from '../support/channelrig';
import { prng } from '../support/fakenet';
import type { MemEnd } from '../support/memstream';
import { WireDecoder } from '../support/wire';

function bytes(seed: number, n: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Neither side refused a diff of the other's (a refused channel update would show here). */
function noRefusedDiffs(rig: ChannelRig): void {
  assert.equal(rig.client.stats.badDiff, 0, 'the client applied every host diff');
  assert.equal(rig.server.stats.badDiff, 0, 'the server applied every user-stream diff');
  assert.equal(rig.host.resets, 0, 'no channel was reset');
}

/** Writes `data` from `end` in random pieces, running the rig a little between them. */
function feed(rig: ChannelRig, end: MemEnd, data: Buffer, seed: number, stepMs = 15): void {
  const r = prng(seed);
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, 1 + Math.floor(r() * 6000));
    end.write(data.subarray(at, at + n));
    at += n;
    rig.run(stepMs);
  }
}

/** Every bound the channel layer promises, checked after each step of a run. */
function watchBounds(rig: ChannelRig): { check: () => boolean; worst: Record<string, number> } {
  const worst = { serverBuffered: 0, inboxHeld: 0, inFlightUp: 0 };
  const check = () => {
    worst.serverBuffered = Math.max(worst.serverBuffered, rig.host.buffered);
    for (const id of rig.inbox.ids) worst.inboxHeld = Math.max(worst.inboxHeld, rig.inbox.held(id));
    worst.inFlightUp = Math.max(worst.inFlightUp, rig.manager.bytesInFlight);
    return false;
  };
  return { check, worst };
}

/** Channel bytes carried by each instruction sent, per direction. */
function channelBytesPerInstruction(rig: ChannelRig): { toClient: number[]; toServer: number[] } {
  const dec = new WireDecoder(new OcbAes128(rig.key));
  const out = { toClient: [] as number[], toServer: [] as number[] };
  for (const e of rig.net.log) {
    const inst = dec.decode(e.msg);
    if (!inst || inst.diff.length === 0) continue;
    if (inst.direction === TO_CLIENT) {
      let n = 0;
      for (const h of decodeHostMessage(inst.diff))
        if (h.type === 'channels') for (const u of h.updates) n += u.data.length;
      out.toClient.push(n);
    } else if (inst.direction === TO_SERVER) {
      const s = new UserStream();
      s.apply(inst.diff);
      let n = 0;
      for (const r of s.runsSince(0)) {
        if (r.type !== 'ext') continue;
        const ev = decodeChannelEvent(r.bytes);
        if (ev && ev !== 'bad') n += ev.data.length;
      }
      out.toServer.push(n);
    }
  }
  return out;
}

test('bytes flow both ways in order and exactly once through 20 % loss and reordering, each diff within its limit', () => {
  const rig = new ChannelRig({ seed: 5, rule: { delayMs: 30, loss: 0.2, jitterMs: 40 } });
  rig.onAgent = (agent) => agent.on('data', (d: Buffer) => agent.write(d)); // the "agent" echoes
  rig.run(500);
  const remote = rig.remote();
  const sent = bytes(1, 200_000);
  const bounds = watchBounds(rig);
  feed(rig, remote, sent, 2);
  rig.run(300_000, () => (bounds.check(), remote.text().length >= sent.length));
  assert.equal(rig.agents.length, 1, 'one channel, one local stream');
  assert.ok(rig.agents[0].text().equals(sent), 'server -> client: the agent got every byte once, in order');
  assert.ok(remote.text().equals(sent), 'client -> server: the remote program got the echo, every byte once, in order');
  const wire = channelBytesPerInstruction(rig);
  assert.ok(
    Math.max(...wire.toClient) <= MAX_UPDATE_DATA,
    `largest host diff: ${Math.max(...wire.toClient)} channel bytes`,
  );
  assert.ok(
    Math.max(...wire.toServer) <= MAX_IN_FLIGHT,
    `largest user-stream diff: ${Math.max(...wire.toServer)} channel bytes`,
  );
  assert.ok(bounds.worst.inFlightUp <= MAX_IN_FLIGHT);
  assert.ok(bounds.worst.inboxHeld <= CHANNEL_WINDOW);
  assert.ok(
    rig.net.log.some((e) => e.dropped),
    'the link dropped datagrams',
  );
  noRefusedDiffs(rig);
});

test('the remote program closing ends the local stream, the client closes in turn, and the channel is forgotten on both sides', () => {
  const rig = new ChannelRig({ seed: 2, rule: { delayMs: 20, loss: 0.1 } });
  rig.onAgent = (agent) => agent.on('data', (d: Buffer) => agent.write(Buffer.from(d.toString().toUpperCase())));
  rig.run(300);
  const remote = rig.remote();
  remote.write(Buffer.from('hello agent'));
  rig.run(20_000, () => remote.text().toString() === 'HELLO AGENT');
  assert.equal(remote.text().toString(), 'HELLO AGENT');
  remote.end();
  rig.run(
    20_000,
    () =>
      rig.host.size === 0 &&
      rig.manager.size === 0 &&
      (rig.client.latestRemote().state.channels?.marks.size ?? 0) === 0,
  );
  assert.equal(rig.agents[0].gotEnd, true, 'the local agent saw the end');
  assert.equal(rig.host.size, 0, 'server forgot the channel');
  assert.equal(rig.manager.size, 0, 'client forgot the channel');
  assert.equal(rig.inbox.ids.length, 0, 'nothing held for it');
  noRefusedDiffs(rig);
});

test("the local agent closing first ends the remote program's connection after what the agent said", () => {
  const rig = new ChannelRig({ seed: 3, rule: { delayMs: 20, loss: 0.1 } });
  rig.onAgent = (agent) =>
    agent.on('data', () => {
      agent.write(Buffer.from('bye'));
      agent.end();
    });
  rig.run(300);
  const remote = rig.remote();
  let remoteEnded = false;
  remote.on('end', () => (remoteEnded = true));
  remote.write(Buffer.from('request'));
  rig.run(20_000, () => remoteEnded && rig.host.size === 0 && rig.manager.size === 0);
  assert.equal(remote.text().toString(), 'bye', 'the answer came before the end');
  assert.ok(remoteEnded, 'the remote program saw the end');
  assert.equal(rig.host.size, 0);
  assert.equal(rig.manager.size, 0);
  noRefusedDiffs(rig);
});

test('a local agent that stops reading: the server stops reading the remote program, every buffer stays bounded, and all arrives once it reads again', () => {
  const rig = new ChannelRig({ seed: 4, rule: { delayMs: 10, loss: 0 } });
  rig.run(300);
  const remote = rig.remote();
  rig.run(100);
  const agent = rig.agents.at(-1) ?? null;
  const sent = bytes(9, 1 << 20);
  remote.write(sent.subarray(0, 1000));
  rig.run(500);
  const a = agent ?? rig.agents[0];
  a.pause();
  const bounds = watchBounds(rig);
  // The remote program writes 1 MiB as fast as it can.
  remote.write(sent.subarray(1000));
  rig.run(30_000, bounds.check);
  assert.ok(
    bounds.worst.serverBuffered <= CHANNEL_WINDOW + MAX_IN_FLIGHT + 16,
    `server held ${bounds.worst.serverBuffered} bytes`,
  );
  assert.ok(bounds.worst.inboxHeld <= CHANNEL_WINDOW, `client inbox held ${bounds.worst.inboxHeld} bytes`);
  assert.ok(a.writableLength <= 2 * CHANNEL_WINDOW, `the local stream holds ${a.writableLength} bytes`);
  assert.ok(
    remote.writableLength > sent.length / 2,
    "the remote program's writes wait on its side (the server stopped reading)",
  );
  a.resume();
  rig.run(600_000, () => a.text().length >= sent.length);
  assert.ok(a.text().equals(sent), 'all of it, in order, once');
  noRefusedDiffs(rig);
});

test('at most MAX_CHANNELS channels: further connections are refused at once', () => {
  const rig = new ChannelRig({ seed: 6 });
  rig.run(300);
  const ends: MemEnd[] = [];
  for (let i = 0; i < MAX_CHANNELS + 5; i++) ends.push(rig.remote(false));
  assert.equal(rig.host.size, MAX_CHANNELS);
  assert.equal(ends.filter((e) => e.closed).length, 5, 'the extra connections were closed');
  rig.run(5000, () => rig.manager.size === MAX_CHANNELS);
  assert.equal(rig.agents.length, MAX_CHANNELS);
});

test('a client that takes no channels refuses each one, and the remote program sees its connection end', () => {
  const rig = new ChannelRig({ seed: 7, open: null });
  rig.run(300);
  const remote = rig.remote();
  let ended = false;
  remote.on('end', () => (ended = true));
  remote.write(Buffer.from('anyone?'));
  rig.run(10_000, () => ended && rig.host.size === 0);
  assert.ok(ended);
  assert.equal(rig.host.size, 0);
  assert.equal(rig.agents.length, 0, 'no local stream was opened');
  noRefusedDiffs(rig);
});

test(`a client frozen longer than the server's silence limit (${SERVER_ASSOCIATION_TIMEOUT / 1000} s) and roaming: the transfer resumes, in order and exactly once`, () => {
  const rig = new ChannelRig({ seed: 8, rule: { delayMs: 25, loss: 0.05 } });
  rig.onAgent = (agent) => agent.on('data', (d: Buffer) => agent.write(d));
  rig.run(300);
  const remote = rig.remote();
  const sent = bytes(3, 120_000);
  feed(rig, remote, sent.subarray(0, 40_000), 4);
  // Frozen (SIGSTOP): nothing read, nothing sent, while the remote program keeps writing.
  rig.frozen = true;
  feed(rig, remote, sent.subarray(40_000, 80_000), 5, 200);
  rig.run(SERVER_ASSOCIATION_TIMEOUT + 5000);
  // Continued, and from a new address port: the path to the old one is gone (NAT rebinding while asleep).
  const oldPort = rig.server.connection.remoteAddr()!.port;
  rig.net.rules.set(`${RIG_CLIENT_ADDR}:${oldPort}`, { delayMs: 0, loss: 1 });
  rig.frozen = false;
  feed(rig, remote, sent.subarray(80_000), 6);
  rig.run(600_000, () => remote.text().length >= sent.length);
  assert.notEqual(rig.server.connection.remoteAddr()!.port, oldPort, 'the server follows the client to its new port');
  assert.ok(rig.agents[0].text().equals(sent), 'server -> client: every byte once, in order');
  assert.ok(remote.text().equals(sent), 'client -> server: every byte once, in order');
  noRefusedDiffs(rig);
});

test('keystrokes never ride with channel bytes: a diff that carries a key carries no channel data (busy channel, clean link)', () => {
  const rig = new ChannelRig({ seed: 9, rule: { delayMs: 40, loss: 0 } });
  rig.onAgent = (agent) => agent.on('data', (d: Buffer) => agent.write(d));
  rig.run(500);
  const remote = rig.remote();
  const r = prng(10);
  const sent = bytes(11, 150_000);
  for (let at = 0; at < sent.length;) {
    const n = Math.min(sent.length - at, 4000);
    remote.write(sent.subarray(at, at + n));
    at += n;
    // A keystroke now and then, at any phase of the channel's frames.
    if (r() < 0.8) rig.client.currentState.pushBytes(new Uint8Array([0x61 + Math.floor(r() * 26)]));
    rig.run(5 + Math.floor(r() * 60));
  }
  rig.run(300_000, () => remote.text().length >= sent.length);
  assert.ok(remote.text().equals(sent));
  const dec = new WireDecoder(new OcbAes128(rig.key));
  let keyDiffs = 0;
  for (const e of rig.net.log) {
    const inst = dec.decode(e.msg);
    if (!inst || inst.direction !== TO_SERVER || inst.diff.length === 0) continue;
    const s = new UserStream();
    s.apply(inst.diff);
    const runs = s.runsSince(0);
    if (!runs.some((x) => x.type === 'keys')) continue;
    keyDiffs++;
    const channelBytes = runs.reduce((n, x) => {
      const ev = x.type === 'ext' ? decodeChannelEvent(x.bytes) : null;
      return n + (ev && ev !== 'bad' ? ev.data.length : 0);
    }, 0);
    assert.equal(channelBytes, 0, `a keystroke's diff carried ${channelBytes} channel bytes`);
  }
  assert.ok(keyDiffs > 15, `${keyDiffs} keystroke diffs checked`);
  noRefusedDiffs(rig);
});

test('the client opens a channel: bytes both ways in order and exactly once through 15 % loss and reordering; the client closes it', () => {
  const rig = new ChannelRig({ seed: 12, rule: { delayMs: 30, loss: 0.15, jitterMs: 30 }, services: ['svc'] });
  rig.onService = (service) => service.on('data', (d: Buffer) => service.write(d)); // the service echoes
  rig.run(500);
  const { end, id } = rig.openFromClient('svc');
  assert.equal(id! % 2, 0, "the client's channels have even ids");
  const sent = bytes(13, 120_000);
  feed(rig, end, sent, 14);
  rig.run(300_000, () => end.text().length >= sent.length);
  assert.ok(rig.services[0].text().equals(sent), 'client -> server: every byte once, in order');
  assert.ok(end.text().equals(sent), 'server -> client: the echo, every byte once, in order');
  let serviceEnded = false;
  rig.services[0].on('end', () => (serviceEnded = true));
  end.end();
  rig.run(30_000, () => serviceEnded && rig.host.size === 0 && rig.manager.size === 0);
  assert.ok(serviceEnded, "the service saw the client's end");
  assert.equal(rig.host.size, 0);
  assert.equal(rig.manager.size, 0);
  noRefusedDiffs(rig);
});

test("a channel the client opened, closed by the server's side: the client's local end ends, and both sides forget it", () => {
  const rig = new ChannelRig({ seed: 15, rule: { delayMs: 20, loss: 0.1 }, services: ['svc'] });
  rig.onService = (service) =>
    service.on('data', () => {
      service.write(Buffer.from('served'));
      service.end();
    });
  rig.run(300);
  const { end } = rig.openFromClient('svc');
  let ended = false;
  end.on('end', () => (ended = true));
  end.write(Buffer.from('request'));
  rig.run(20_000, () => ended && rig.host.size === 0 && rig.manager.size === 0);
  assert.equal(end.text().toString(), 'served');
  assert.ok(ended);
  assert.equal(rig.host.size, 0);
  assert.equal(rig.manager.size, 0);
  noRefusedDiffs(rig);
});

test('a channel the client opens for a kind the server does not offer is refused: its local end ends at once, nothing is left', () => {
  const rig = new ChannelRig({ seed: 16, rule: { delayMs: 20, loss: 0 } });
  rig.run(300);
  const { end } = rig.openFromClient('nope');
  let ended = false;
  end.on('end', () => (ended = true));
  end.write(Buffer.from('anyone?'));
  rig.run(10_000, () => ended && rig.host.size === 0 && rig.manager.size === 0);
  assert.ok(ended, 'refused: the local end ended');
  assert.equal(rig.host.size, 0);
  assert.equal(rig.manager.size, 0);
  noRefusedDiffs(rig);
});

test('a channel the client opens and closes before the server shows it is forgotten once the server has the close', () => {
  const rig = new ChannelRig({ seed: 17, rule: { delayMs: 20, loss: 0 }, services: ['svc'] });
  rig.run(300);
  const { end } = rig.openFromClient('svc');
  end.write(Buffer.from('x'));
  end.end(); // open, one byte and close in one turn: the server takes and drops it in one step
  rig.run(10_000, () => rig.manager.size === 0 && rig.host.size === 0);
  assert.equal(rig.manager.size, 0);
  assert.equal(rig.host.size, 0);
  assert.equal(rig.services[0].text().toString(), 'x');
});

test("at most MAX_CHANNELS channels of the client's own: one more is refused at once", () => {
  const rig = new ChannelRig({ seed: 18, services: ['svc'] });
  rig.run(300);
  const opened = Array.from({ length: MAX_CHANNELS + 1 }, () => rig.openFromClient('svc'));
  assert.equal(opened.filter((o) => o.id !== null).length, MAX_CHANNELS);
  assert.equal(opened[MAX_CHANNELS].id, null);
  assert.ok(opened[MAX_CHANNELS].end.closed, 'the extra local end was closed');
  rig.run(5000, () => rig.host.size === MAX_CHANNELS);
  assert.equal(rig.host.size, MAX_CHANNELS);
  noRefusedDiffs(rig);
});
