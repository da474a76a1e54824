// Keystroke to screen with prediction off: the stock mosh-client and our client (dist/cli.js client) at the
// same time, each under node-pty, each through its own relay (RTT 200 ms by default) to its own server of the
// same kind (stock mosh-server by default) running `cat` in a cooked tty (the tty echoes). The same keys are
// written to both at the same instants; a key's latency is from the write to its pty until the pty output
// chunk that puts it on the rendered screen (the line so far and the cursor after it) arrives.
// Two cases: isolated keys (350-650 ms apart, so every key waits a whole round trip alone) and typing
// (90-190 ms apart, a burst). Prints one JSON line per case and client, and a comparison per case.
// --busy-channel: instead of stock vs ours, our client and our server twice, both forwarding the agent (-A), one
// with its agent channel idle and one with it busy both ways for the whole case (bench/lib/busychannel.ts).
//   node build/bench/echo.js [--rtt 200] [--keys 30] [--server stock|ours] [--busy-channel]

import { ImpairmentRelay, mulberry32 } from '../test/support/relay';
import { type StockServer, startOurServer, startStockServer } from '../test/support/stock';
import {
  type ClientKind,
  nowMs,
  quantile,
  round,
  sleep,
  startClient,
  type TimedClient,
  waitScreen,
} from './lib/harness';
import { type BusyChannel, startBusyChannel } from './lib/busychannel';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RTT = Number(argOf('rtt') ?? 200);
const KEYS = Number(argOf('keys') ?? 30);
const BUSY = process.argv.includes('--busy-channel');
const SERVER = (BUSY ? 'ours' : (argOf('server') ?? 'stock')) as 'stock' | 'ours';
const COLS = 80;
const ROWS = 24;

interface Side {
  kind: ClientKind;
  server: StockServer;
  relay: ImpairmentRelay;
  client: TimedClient;
  latencies: number[];
  /** --busy-channel: this side's agent channel is busy (else idle). */
  busy?: boolean;
}

async function runCase(name: string, gap: () => number, seedText: string): Promise<Record<string, unknown>[]> {
  const sides: Side[] = [];
  const serverName = SERVER === 'stock' ? 'stock mosh-server' : 'our server (dist/server.js)';
  const channel: BusyChannel | null = BUSY ? await startBusyChannel() : null;
  try {
    const variants = channel
      ? ([
          ['ours', false],
          ['ours', true],
        ] as const)
      : ([
          ['stock', undefined],
          ['ours', undefined],
        ] as const);
    for (const [kind, busy] of variants) {
      const start = SERVER === 'stock' ? startStockServer : startOurServer;
      // Clear first: stock mosh-server starts its child with the cursor on the second row.
      const flood = channel && busy ? `${channel.floodCommand} & ` : '';
      const server = await start({ command: ['/bin/sh', '-c', `${flood}printf "\\033[H\\033[2J"; exec cat`] });
      const relay = await ImpairmentRelay.start({
        upstreamPort: server.port,
        toServer: { delayMs: RTT / 2 },
        toClient: { delayMs: RTT / 2 },
      });
      const client = startClient({
        kind,
        port: relay.port,
        key: server.key,
        cols: COLS,
        rows: ROWS,
        predict: 'never',
        ...(channel ? { clientArgs: ['-A'], env: { SSH_AUTH_SOCK: channel.agentSock } } : {}),
      });
      sides.push({ kind, server, relay, client, latencies: [], busy });
    }
    await Promise.all(
      sides.map((s) =>
        waitScreen(
          s.client,
          (st) => st.cursorX === 0 && st.cursorY === 0 && st.lines.every((l) => l === ''),
          15_000,
          'a blank screen',
        ),
      ),
    );
    await sleep(1500); // RTT samples
    const channelBytes0 = channel?.bytes() ?? 0;
    const t0 = nowMs();
    let line = '';
    for (let k = 0; k < KEYS; k++) {
      await sleep(gap());
      const ch = seedText[k % seedText.length];
      if (line.length >= COLS - 1) {
        // Start a new line (not measured) before the row is full.
        for (const s of sides) s.client.type('\r');
        const y = sides[0].client.state().cursorY + 1;
        await Promise.all(
          sides.map((s) => waitScreen(s.client, (st) => st.cursorY === y && st.cursorX === 0, 5000, 'the new line')),
        );
        line = '';
        await sleep(gap());
      }
      line += ch;
      const want = line;
      const waits = sides.map((s) => {
        const y = s.client.state().cursorY;
        return new Promise<void>((resolve, reject) => {
          const t0 = nowMs();
          const timer = setTimeout(() => reject(new Error(`${s.kind}: key ${k} did not show in 5 s`)), 5000);
          s.client.onChange = (at) => {
            const st = s.client.state();
            if (st.lines[y] === want && st.cursorX === want.length) {
              s.latencies.push(at - t0);
              s.client.onChange = null;
              clearTimeout(timer);
              resolve();
            }
          };
          s.client.type(ch);
        });
      });
      await Promise.all(waits);
    }
    const channelRate = channel ? round((channel.bytes() - channelBytes0) / ((nowMs() - t0) / 1000) / 1024) : undefined;
    return sides.map((s) => ({
      bench: 'echo',
      case: name,
      client: s.kind === 'stock' ? 'stock mosh-client' : 'our client (dist/cli.js)',
      ...(channel
        ? { agent_channel: s.busy ? 'busy' : 'idle', ...(s.busy ? { channel_kib_per_s_each_way: channelRate } : {}) }
        : {}),
      server: serverName,
      predict: 'never',
      rtt_ms: RTT,
      keys: s.latencies.length,
      median_ms: round(quantile(s.latencies, 0.5)),
      p90_ms: round(quantile(s.latencies, 0.9)),
      min_ms: round(Math.min(...s.latencies)),
      max_ms: round(Math.max(...s.latencies)),
      median_over_rtt_ms: round(quantile(s.latencies, 0.5) - RTT),
    }));
  } finally {
    await Promise.all(sides.map((s) => s.client.stop()));
    for (const s of sides) {
      await s.relay.close();
      s.server.kill();
    }
    await channel?.stop();
  }
}

async function main(): Promise<void> {
  const rnd = mulberry32(7);
  const text = 'thequickbrownfoxjumpsoverthelazydog0123456789';
  for (const [name, gap] of [
    ['isolated keys', () => 350 + rnd() * 300],
    ['typing', () => 90 + rnd() * 100],
  ] as const) {
    const [stock, ours] = await runCase(name, gap, text);
    console.log(JSON.stringify(stock));
    console.log(JSON.stringify(ours));
    if (BUSY) {
      // Here the two sides are our client with its agent channel idle ("stock" slot) and busy ("ours" slot).
      console.log(
        JSON.stringify({
          bench: 'echo',
          case: `${name}: busy agent channel vs idle`,
          median_ms: { busy: ours.median_ms, idle: stock.median_ms },
          p90_ms: { busy: ours.p90_ms, idle: stock.p90_ms },
          goal: 'a busy channel slows typing by nothing measurable',
          met:
            (ours.median_ms as number) <= (stock.median_ms as number) + 2 &&
            (ours.p90_ms as number) <= (stock.p90_ms as number) + 5,
        }),
      );
      continue;
    }
    console.log(
      JSON.stringify({
        bench: 'echo',
        case: `${name}: ours vs stock`,
        median_ms: { ours: ours.median_ms, stock: stock.median_ms },
        p90_ms: { ours: ours.p90_ms, stock: stock.p90_ms },
        goal: 'ours no slower than stock',
        met:
          (ours.median_ms as number) <= (stock.median_ms as number) + 2 &&
          (ours.p90_ms as number) <= (stock.p90_ms as number) + 5,
      }),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
