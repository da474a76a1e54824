// A bounded fuzz soak over real UDP (not part of CI): our server (dist/server.js) and our client (dist/cli.js
// under a pty) run a live session through a relay that records their authentic datagrams, while a third socket
// sends both of them a stream of hostile datagrams: random bytes, recorded datagrams with bits flipped, cut or
// extended, and verbatim replays (authentic, but old). It then reports, as JSON: crashes (processes that died,
// must be 0), state changes caused by the hostile input (must be 0: the client's screen did not change, neither
// side answered or followed the fuzzer's address, the session still works afterwards), and both processes' peak
// RSS. Stock mosh is not part of this one: it measures only our own robustness.
//   npm run bench -- fuzz [--count 1000000] [--seconds 300] [--seed 1]

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mulberry32 } from '../test/support/relay';
import { ImpairmentRelay } from '../test/support/relay';
import { startOurServer } from '../test/support/stock';
import { nowMs, sleep, startClient, waitScreen } from './lib/harness';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const COUNT = arg('count', 1_000_000);
const MAX_SECONDS = arg('seconds', 300);
const SEED = arg('seed', 1);

function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Datagrams the kernel dropped for the UDP socket(s) bound to `port` on this machine (receive buffer full). */
function kernelDrops(port: number): number {
  let drops = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      if (parseInt(cols[1].split(':')[1], 16) === port) drops += Number(cols[cols.length - 1]);
    }
  }
  return drops;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function mutate(r: () => number, pool: Buffer[]): { msg: Buffer; kind: string } {
  const pick = pool.length ? pool[Math.floor(r() * pool.length)] : Buffer.alloc(0);
  const out = Buffer.from(pick);
  switch (Math.floor(r() * 6)) {
    case 0:
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n && out.length; i++)
        out[Math.floor(r() * out.length)] ^= 1 << Math.floor(r() * 8);
      return { msg: out, kind: 'bitflip' };
    case 1:
      return { msg: out.subarray(0, Math.floor(r() * out.length)), kind: 'truncated' };
    case 2:
      return {
        msg: Buffer.concat([
          out,
          Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256))),
        ]),
        kind: 'extended',
      };
    case 3:
      return { msg: out, kind: 'replay' };
    case 4:
      if (out.length > 8) out.fill(Math.floor(r() * 256), 8 + Math.floor(r() * (out.length - 8)));
      return { msg: out, kind: 'spliced' };
    default:
      return {
        msg: Buffer.from(Array.from({ length: Math.floor(r() * 1600) }, () => Math.floor(r() * 256))),
        kind: 'random',
      };
  }
}

async function main(): Promise<void> {
  const server = await startOurServer({ command: ['/bin/sh'] });
  const toServerPool: Buffer[] = [];
  const toClientPool: Buffer[] = [];
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    tap: (dir, d) => {
      const pool = dir === 'toServer' ? toServerPool : toClientPool;
      if (pool.length < 2000) pool.push(Buffer.from(d));
    },
  });
  const client = startClient({
    kind: 'ours',
    port: relay.port,
    key: server.key,
    cols: 100,
    rows: 30,
    predict: 'never',
  });
  const result: Record<string, unknown> = { bench: 'fuzz', count: COUNT, seed: SEED };
  const fuzzer = createSocket('udp4');
  let answeredFuzzer = 0;
  fuzzer.on('message', () => answeredFuzzer++);
  await new Promise<void>((r) => fuzzer.bind(0, '127.0.0.1', () => r()));
  try {
    await waitScreen(client, (s) => s.lines.some((l) => l.includes('$')), 15_000, 'the prompt');
    // Some traffic both ways to record: a screenful of output.
    client.type('clear; seq 1 40; echo "fuzz""-ready"\r');
    await waitScreen(client, (s) => s.lines.some((l) => l === 'fuzz-ready'), 15_000, 'the output');
    await sleep(500);
    await client.settled();
    const before = client.state().lines.join('\n');
    const target = relay.clientAddress;
    if (!target) throw new Error('the relay has not seen the client');

    const drops0 = kernelDrops(server.port) + kernelDrops(target.port);
    const r = mulberry32(SEED);
    const kinds: Record<string, number> = {};
    let sent = 0;
    const t0 = nowMs();
    const deadline = t0 + MAX_SECONDS * 1000;
    let pause = 2;
    let lastDrops = drops0;
    // Until COUNT datagrams got past the kernel into the two processes (the time bound stops it in any case).
    while (sent - (lastDrops - drops0) < COUNT && nowMs() < deadline) {
      // In bursts, pausing between them so both processes keep up: longer after the kernel dropped some.
      const burst = 200;
      await Promise.all(
        Array.from({ length: burst }, (_, i) => {
          const toServer = (sent + i) % 2 === 0;
          const { msg, kind } = mutate(r, toServer ? toServerPool : toClientPool);
          kinds[kind] = (kinds[kind] ?? 0) + 1;
          return new Promise<void>((res) =>
            fuzzer.send(msg, toServer ? server.port : target.port, '127.0.0.1', () => res()),
          );
        }),
      );
      sent += burst;
      const drops = kernelDrops(server.port) + kernelDrops(target.port);
      pause = drops > lastDrops ? Math.min(50, pause * 2) : Math.max(1, pause * 0.9);
      lastDrops = drops;
      await sleep(pause);
    }
    const seconds = (nowMs() - t0) / 1000;
    const dropped = kernelDrops(server.port) + kernelDrops(target.port) - drops0;
    // The bar's "Crypto exception" notice (as stock mosh shows it) lasts a second; then the screen must be as it was.
    let after = '';
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      await client.settled();
      after = client.state().lines.join('\n');
      if (after === before) break;
    }
    const crashes = [alive(server.pid) ? null : 'server', client.exited() ? 'client' : null].filter(Boolean);
    // The session still works: a command typed now runs.
    let works = false;
    if (!crashes.length) {
      client.type('echo "after""-fuzz"\r');
      works = await waitScreen(
        client,
        (s) => s.lines.some((l) => l === 'after-fuzz'),
        15_000,
        'a command after the fuzz',
      ).then(
        () => true,
        () => false,
      );
    }
    Object.assign(result, {
      sent,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round(sent / seconds),
      kinds,
      droppedByKernel: dropped,
      delivered: sent - dropped,
      crashes: crashes.length,
      crashed: crashes,
      screenChangedByFuzz: before !== after,
      ...(before !== after
        ? { screenBefore: before.split('\n').slice(0, 3), screenAfter: after.split('\n').slice(0, 3) }
        : {}),
      datagramsSentToFuzzer: answeredFuzzer,
      stateChangesFromUnauthenticated: (before !== after ? 1 : 0) + (answeredFuzzer > 0 ? 1 : 0),
      sessionWorksAfter: works,
      serverPeakRssMiB: peakRssMiB(server.pid),
      clientPeakRssMiB: peakRssMiB(client.pid),
    });
  } finally {
    fuzzer.close();
    await client.stop();
    await relay.close();
    server.kill();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
