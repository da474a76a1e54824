// Behaviour tests for the UDP impairment relay (test/support/relay.ts) and its CLI, over real loopback UDP
// with a tiny echo server made here. Not a test of mosh itself: payloads are plain sequence numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { ImpairmentRelay, mulberry32, type Direction, type LinkStats } from './relay';
import { parseCliArgs } from './relay-cli';

interface Arrival {
  data: Buffer;
  port: number;
  t: number;
}

/** A loopback UDP socket that records what it receives; optionally echoes it back to the sender. */
class Peer {
  readonly arrivals: Arrival[] = [];
  last: dgram.RemoteInfo | undefined;
  private constructor(
    readonly sock: dgram.Socket,
    echo: boolean,
  ) {
    sock.on('message', (data, rinfo) => {
      this.arrivals.push({ data, port: rinfo.port, t: performance.now() });
      this.last = rinfo;
      if (echo) sock.send(data, rinfo.port, rinfo.address);
    });
  }
  static async open(echo = false): Promise<Peer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    return new Peer(sock, echo);
  }
  get port(): number {
    return this.sock.address().port;
  }
  send(data: Buffer, port: number): void {
    this.sock.send(data, port, '127.0.0.1');
  }
  /** Sends to whoever sent last (like a mosh server replying to its newest client address). */
  push(data: Buffer): void {
    assert.ok(this.last, 'nobody has sent yet');
    this.sock.send(data, this.last.port, this.last.address);
  }
  seqs(): number[] {
    return this.arrivals.map((a) => a.data.readUInt32BE(0));
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}

function seqPacket(seq: number, size = 8): Buffer {
  const b = Buffer.alloc(Math.max(4, size));
  b.writeUInt32BE(seq, 0);
  return b;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `cond` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(everyMs);
  }
  return true;
}

/**
 * Sends seq 0..count-1 in small batches; after each batch waits (bounded) until `caughtUp(sent)` holds, so
 * no kernel socket buffer overflows on the way even on a loaded machine.
 */
async function sendSeqs(
  from: Peer,
  port: number,
  count: number,
  caughtUp: (sent: number) => boolean,
  size = 8,
  batch = 25,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    from.send(seqPacket(i, size), port);
    if (i % batch === batch - 1 || i === count - 1) await waitFor(() => caughtUp(i + 1), 1000, 1);
  }
}

/** Runs `body` with an echo server, a relay in front of it and one client; closes them all afterwards. */
async function withSetup(
  relayOpts: Omit<Parameters<typeof ImpairmentRelay.start>[0], 'upstreamPort'>,
  body: (ctx: { server: Peer; relay: ImpairmentRelay; client: Peer }) => Promise<void>,
  echo = true,
): Promise<void> {
  const server = await Peer.open(echo);
  const relay = await ImpairmentRelay.start({ upstreamPort: server.port, ...relayOpts });
  const client = await Peer.open();
  try {
    await body({ server, relay, client });
  } finally {
    await Promise.all([relay.close(), server.close(), client.close()]);
  }
}

test('forwards both ways and replies go to the newest client port', async () => {
  await withSetup({ seed: 1 }, async ({ server, relay, client }) => {
    client.send(Buffer.from('hello'), relay.port);
    assert.ok(await waitFor(() => client.arrivals.length === 1, 1000), 'echo came back');
    assert.equal(client.arrivals[0].data.toString(), 'hello');
    assert.equal(server.arrivals[0].port, relay.sourcePort, 'server sees the relay upstream port');

    const hopped = await Peer.open(); // the client "port hops"
    try {
      hopped.send(Buffer.from('again'), relay.port);
      assert.ok(await waitFor(() => hopped.arrivals.length === 1, 1000));
      assert.deepEqual(relay.clientAddress, { address: '127.0.0.1', port: hopped.port });
      server.push(Buffer.from('unsolicited'));
      assert.ok(await waitFor(() => hopped.arrivals.length === 2, 1000), 'server push goes to the newest port');
      await sleep(20);
      assert.equal(client.arrivals.length, 1, 'the old client port gets nothing more');
      const s = relay.stats;
      assert.equal(s.toServer.received, 2);
      assert.equal(s.toServer.forwarded, 2);
      assert.equal(s.toClient.forwarded, 3);
    } finally {
      await hopped.close();
    }
  });
});

test('delays each direction by its own delay', async () => {
  await withSetup({ toServer: { delayMs: 60 }, toClient: { delayMs: 30 } }, async ({ server, relay, client }) => {
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(performance.now());
      client.send(seqPacket(i), relay.port);
      await sleep(3);
    }
    assert.ok(await waitFor(() => client.arrivals.length === 5, 2000));
    for (let i = 0; i < 5; i++) {
      const up = server.arrivals[i].t - sent[i];
      const rtt = client.arrivals[i].t - sent[i];
      assert.ok(up >= 60, `toServer took ${up.toFixed(1)} ms, want >= 60`);
      assert.ok(up < 60 + 150, `toServer took ${up.toFixed(1)} ms, want about 60`);
      assert.ok(client.arrivals[i].t - server.arrivals[i].t >= 30 - 1, 'toClient delayed about 30 ms');
      assert.ok(rtt >= 90, `round trip ${rtt.toFixed(1)} ms, want >= 90`);
    }
    assert.deepEqual(client.seqs(), [0, 1, 2, 3, 4], 'plain delay keeps order');
  });
});

test('drops roughly the configured share, with the same pattern for the same seed', async () => {
  const run = async (seed: number): Promise<number[]> => {
    let got: number[] = [];
    await withSetup(
      { seed, toServer: { loss: 0.3 } },
      async ({ server, relay, client }) => {
        const caughtUp = (n: number): boolean =>
          relay.stats.toServer.received === n && server.arrivals.length === relay.stats.toServer.forwarded;
        await sendSeqs(client, relay.port, 2000, caughtUp);
        const ok = await waitFor(() => caughtUp(2000), 1000);
        assert.ok(ok, `all forwarded datagrams arrived (${server.arrivals.length}/${relay.stats.toServer.forwarded})`);
        const s = relay.stats.toServer;
        assert.equal(s.dropped + s.forwarded, 2000);
        const share = s.dropped / 2000;
        assert.ok(share >= 0.25 && share <= 0.35, `dropped share ${share}`);
        got = server.seqs().sort((a, b) => a - b);
      },
      false,
    );
    return got;
  };
  const a = await run(1234);
  const b = await run(1234);
  const c = await run(999);
  assert.deepEqual(a, b, 'same seed, same survivors');
  assert.notDeepEqual(a, c, 'another seed, another pattern');
});

test('duplicates about the configured share', async () => {
  await withSetup(
    { seed: 7, toServer: { duplicate: 0.5 } },
    async ({ server, relay, client }) => {
      const s = (): LinkStats => relay.stats.toServer;
      const caughtUp = (n: number): boolean => s().received === n && server.arrivals.length === n + s().duplicated;
      await sendSeqs(client, relay.port, 200, caughtUp);
      assert.ok(await waitFor(() => caughtUp(200), 1000));
      assert.ok(s().duplicated >= 60 && s().duplicated <= 140, `duplicated ${s().duplicated}`);
      const counts = new Map<number, number>();
      for (const q of server.seqs()) counts.set(q, (counts.get(q) ?? 0) + 1);
      assert.equal(counts.size, 200, 'every datagram arrived at least once');
      assert.equal([...counts.values()].filter((n) => n === 2).length, s().duplicated);
    },
    false,
  );
});

test('reorders: held-back datagrams are overtaken by later ones', async () => {
  await withSetup(
    { seed: 3, toServer: { reorder: 0.2, reorderExtraMs: 25 } },
    async ({ server, relay, client }) => {
      await sendSeqs(client, relay.port, 100, (n) => relay.stats.toServer.received === n);
      assert.ok(await waitFor(() => server.arrivals.length === 100, 2000), 'everything arrives');
      const seqs = server.seqs();
      const inversions = seqs.filter((q, i) => i > 0 && q < seqs[i - 1]).length;
      assert.ok(relay.stats.toServer.reordered > 0);
      assert.ok(inversions > 0, 'sequence numbers arrive out of order');
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        [...Array(100).keys()],
      );
    },
    false,
  );
});

test('caps the rate, and drops the tail of an overfull queue', async () => {
  // 25 x 1000 bytes at 50 kB/s take about 500 ms to drain.
  await withSetup(
    { toServer: { rateBytesPerSec: 50_000, queueLimitBytes: 100_000 } },
    async ({ server, relay, client }) => {
      const t0 = performance.now();
      await sendSeqs(client, relay.port, 25, (n) => relay.stats.toServer.received === n, 1000);
      assert.ok(await waitFor(() => server.arrivals.length === 25, 2000));
      const first = server.arrivals[0].t - t0;
      const last = server.arrivals[24].t - t0;
      assert.ok(first < 200, `first arrived after ${first.toFixed(0)} ms`);
      assert.ok(last >= 470, `last arrived after ${last.toFixed(0)} ms, want about 500`);
      assert.equal(relay.stats.toServer.queueDrops, 0);
    },
    false,
  );
  // With room for 5 packets, a burst of 25 loses most of its tail.
  await withSetup(
    { toServer: { rateBytesPerSec: 50_000, queueLimitBytes: 5_000 } },
    async ({ server, relay, client }) => {
      for (let i = 0; i < 25; i++) client.send(seqPacket(i, 1000), relay.port);
      assert.ok(await waitFor(() => relay.stats.toServer.received === 25, 1000));
      const s = relay.stats.toServer;
      assert.ok(s.queueDrops >= 15 && s.queueDrops <= 20, `queue drops ${s.queueDrops}`);
      assert.ok(await waitFor(() => server.arrivals.length === 25 - s.queueDrops, 1000));
      assert.deepEqual(server.seqs().slice(0, 5), [0, 1, 2, 3, 4], 'the head of the burst gets through');
    },
    false,
  );
});

test('blackhole drops everything until lifted', async () => {
  await withSetup({ toServer: { delayMs: 20 } }, async ({ server, relay, client }) => {
    client.send(seqPacket(0), relay.port);
    assert.ok(await waitFor(() => client.arrivals.length === 1, 1000));
    client.send(seqPacket(1), relay.port); // in flight when the link dies
    relay.set('both', { blackhole: true });
    for (let i = 2; i < 12; i++) client.send(seqPacket(i), relay.port);
    await sleep(80);
    assert.equal(server.arrivals.length, 1, 'nothing gets through, not even what was in flight');
    assert.equal(relay.stats.toServer.blackholed, 11);
    relay.set('both', { blackhole: false });
    client.send(seqPacket(99), relay.port);
    assert.ok(await waitFor(() => client.arrivals.length === 2, 1000), 'traffic flows again');
    assert.equal(client.arrivals[1].data.readUInt32BE(0), 99);
  });
});

test('rebind makes the upstream see a new source port, and the old one drains then closes', async () => {
  await withSetup({ rebindGraceMs: 150 }, async ({ server, relay, client }) => {
    client.send(seqPacket(0), relay.port);
    assert.ok(await waitFor(() => client.arrivals.length === 1, 1000));
    const oldPort = server.arrivals[0].port;
    const newPort = await relay.rebind();
    assert.notEqual(newPort, oldPort);
    assert.equal(relay.sourcePort, newPort);
    assert.equal(relay.stats.rebinds, 1);

    server.sock.send(seqPacket(1), oldPort, '127.0.0.1'); // late reply to the old address still arrives
    assert.ok(await waitFor(() => client.arrivals.length === 2, 1000), 'old socket still relays during grace');

    client.send(seqPacket(2), relay.port);
    assert.ok(await waitFor(() => server.arrivals.length === 2, 1000));
    assert.equal(server.arrivals[1].port, newPort, 'server sees the client roam');
    assert.ok(await waitFor(() => client.arrivals.length === 3, 1000), 'replies to the new port come back');

    await sleep(250);
    server.sock.send(seqPacket(3), oldPort, '127.0.0.1');
    await sleep(30);
    assert.equal(client.arrivals.length, 3, 'old socket closed after the grace period');
  });
});

test('jitter varies the delay within bounds and keeps order; mulberry32 is deterministic', async () => {
  const r1 = mulberry32(42);
  const r2 = mulberry32(42);
  const xs = Array.from({ length: 5 }, () => r1());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => r2()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));

  await withSetup(
    { seed: 5, toServer: { delayMs: 40, jitterMs: 20 } },
    async ({ server, relay, client }) => {
      const sent: number[] = [];
      for (let i = 0; i < 20; i++) {
        sent.push(performance.now());
        client.send(seqPacket(i), relay.port);
      }
      assert.ok(await waitFor(() => server.arrivals.length === 20, 1000));
      assert.deepEqual(server.seqs(), [...Array(20).keys()]);
      const delays = server.arrivals.map((a, i) => a.t - sent[i]);
      assert.ok(
        delays.every((d) => d >= 20),
        `min delay ${Math.min(...delays).toFixed(1)}`,
      );
      assert.ok(Math.max(...delays) - Math.min(...delays) > 3, 'delays vary');
    },
    false,
  );
});

test('set validates parameters and changes one direction at a time', async () => {
  await withSetup({}, async ({ relay }) => {
    relay.set('toClient', { loss: 0.5, delayMs: 10 });
    assert.equal(relay.params('toClient').loss, 0.5);
    assert.equal(relay.params('toServer').loss, 0);
    assert.throws(() => relay.set('both', { loss: 2 }), RangeError);
    assert.throws(() => relay.set('both', { delayMs: -1 }), RangeError);
    assert.throws(() => relay.set('both', { nope: 1 } as never), TypeError);
    assert.equal(relay.params('toClient').delayMs, 10);
  });
});

test('the tap sees every datagram in each direction before impairment', async () => {
  const seen: [Direction, string][] = [];
  await withSetup(
    { seed: 2, toClient: { loss: 1 }, tap: (dir, d) => seen.push([dir, d.toString()]) },
    async ({ server, relay, client }) => {
      client.send(Buffer.from('x'), relay.port);
      assert.ok(await waitFor(() => seen.length === 2, 1000));
      assert.deepEqual(seen, [
        ['toServer', 'x'],
        ['toClient', 'x'],
      ]);
      assert.equal(server.arrivals.length, 1);
      await sleep(20);
      assert.equal(client.arrivals.length, 0, 'the echo was lost after the tap saw it');
    },
  );
});

test('the CLI parses per-direction overrides on top of shared link options', () => {
  const cfg = parseCliArgs([
    '--listen',
    '0',
    '--to',
    '60001',
    '--delay',
    '125',
    '--loss=0.1',
    '--to-server-loss',
    '0.2',
    '--to-client-blackhole',
    '--seed',
    '9',
  ]);
  assert.equal(cfg.upstreamPort, 60001);
  assert.equal(cfg.seed, 9);
  assert.deepEqual(cfg.toServer, { delayMs: 125, loss: 0.2 });
  assert.deepEqual(cfg.toClient, { delayMs: 125, loss: 0.1, blackhole: true });
  assert.throws(() => parseCliArgs(['--delay', '5']), /--to PORT is required/);
  assert.throws(() => parseCliArgs(['--to', '1', '--bogus', '1']), /unknown option --bogus/);
  assert.throws(() => parseCliArgs(['--to', '1', '--to-server-jitter', 'x']), /needs a number/);
});

test('the CLI prints its port, rebinds on SIGUSR1 and prints stats on SIGTERM', { timeout: 10_000 }, async () => {
  const server = await Peer.open(true);
  const client = await Peer.open();
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'relay-cli.js'), '--to', String(server.port), '--delay', '5', '--max-seconds', '20'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    assert.ok(await waitFor(() => lines.length >= 1, 5000), 'ready line printed');
    const port = lines[0].port as number;
    assert.ok(port > 0);
    client.send(seqPacket(1), port);
    assert.ok(await waitFor(() => client.arrivals.length === 1, 2000), 'relays through the process');
    const before = server.arrivals[0].port;

    child.kill('SIGUSR1');
    assert.ok(await waitFor(() => lines.some((l) => l.event === 'rebind'), 2000));
    const after = lines.find((l) => l.event === 'rebind')?.sourcePort;
    client.send(seqPacket(2), port);
    assert.ok(await waitFor(() => server.arrivals.length === 2, 2000));
    assert.equal(server.arrivals[1].port, after);
    assert.notEqual(after, before);

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const stats = lines[lines.length - 1] as { toServer: { forwarded: number }; rebinds: number };
    assert.equal(stats.toServer.forwarded, 2);
    assert.equal(stats.rebinds, 1);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await Promise.all([server.close(), client.close()]);
  }
});

test('close cancels pending deliveries and leaves no handles', async () => {
  const count = (type: string): number => process.getActiveResourcesInfo().filter((r) => r === type).length;
  const server = await Peer.open(true);
  try {
    await sleep(20); // let libuv release sockets closed by earlier tests, so the baseline is exact
    const sockets = count('UDPWrap');
    const timers = count('Timeout');
    const relay = await ImpairmentRelay.start({
      upstreamPort: server.port,
      toServer: { delayMs: 5000 },
      rebindGraceMs: 5000,
    });
    const client = await Peer.open();
    for (let i = 0; i < 10; i++) client.send(seqPacket(i), relay.port);
    assert.ok(await waitFor(() => relay.stats.toServer.received === 10, 1000));
    await relay.rebind(); // a retired socket waiting for its grace period
    assert.ok(relay.inFlight > 0);
    assert.ok(count('UDPWrap') > sockets && count('Timeout') > timers);
    await client.close();
    await relay.close();
    await relay.close(); // idempotent
    assert.equal(relay.inFlight, 0);
    // libuv releases a closed handle an iteration or two after the close callback.
    assert.ok(await waitFor(() => count('UDPWrap') === sockets, 500), 'no sockets left');
    assert.ok(count('Timeout') <= timers, 'no timers left');
    assert.equal(server.arrivals.length, 0, 'delayed datagrams were cancelled, not flushed');
  } finally {
    await server.close();
  }
  // The test process exiting by itself (no --test-force-exit) is the final proof.
});
