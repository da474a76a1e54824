// Scrollback (issue 12): what complete history costs. Two parts, in one run:
//  1. Bytes on the wire for `seq 1 N` (default 100000) at 80x24: stock mosh-client + stock mosh-server (which
//     keeps no history), and our client + our server with 0, 1000 and 10000 lines of history; each through a
//     relay that counts the datagrams both ways, and with how many of the output's lines reached the client
//     terminal's scrollback (complete means the last min(N, history) lines, each once, in order).
//  2. Throughput with history on: a `cat` of a large text file (default 50 MiB, 200x50) through our client + our
//     server with --scrollback 0 and with --scrollback 10000 (alternating, --repeat times each), time until its
//     last line is on screen; the ratio of the medians.
// Prints one JSON object per run, then a summary line with the goals.
//   npm run bench -- scrollback [--lines 100000] [--mib 50] [--skip-throughput] [--skip-wire] [--repeat 3]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImpairmentRelay } from '../test/support/relay';
import { type StockServer, startOurServer, startStockServer } from '../test/support/stock';
import { type ClientKind, cpuMs, nowMs, startClient, type TimedClient, waitScreen } from './lib/harness';
import { makeTextFile } from './lib/textfile';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const LINES = Number(argOf('lines') ?? 100_000);
const MIB = Number(argOf('mib') ?? 50);
const SKIP_THROUGHPUT = process.argv.includes('--skip-throughput');
const SKIP_WIRE = process.argv.includes('--skip-wire');
/** Runs of the throughput part with history off and on (alternating). */
const REPEAT = Number(argOf('repeat') ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const TIMEOUT_MS = 240_000;

/** The numbers 1..LINES found in the client terminal's buffer (scrollback and screen), in buffer order. */
function numbersInBuffer(c: TimedClient): number[] {
  const b = c.screen.term.buffer.active;
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const t = b.getLine(i)?.translateToString(true).trim() ?? '';
    if (/^\d+$/.test(t)) out.push(Number(t));
  }
  return out;
}

/** How many of the output's last lines the buffer holds as one unbroken, ordered run ending at LINES. */
function completeTail(nums: number[]): number {
  let run = 0;
  for (let i = nums.length - 1, want = LINES; i >= 0 && nums[i] === want; i--, want--) run++;
  return run;
}

interface Setup {
  name: string;
  kind: ClientKind;
  history: number | null;
  start: () => Promise<StockServer>;
}

async function wire(s: Setup): Promise<Record<string, unknown>> {
  const server = await s.start();
  const relay = await ImpairmentRelay.start({ upstreamPort: server.port, seed: 1 });
  const c = startClient({
    kind: s.kind,
    port: relay.port,
    key: server.key,
    cols: 80,
    rows: 24,
    predict: 'never',
    clientArgs: s.kind === 'ours' ? ['--scrollback', String(s.history ?? 0)] : [],
    screenScrollback: LINES + 100,
  });
  try {
    await waitScreen(c, (st) => st.lines.some((l) => l.startsWith('$')), 15_000, 'the prompt');
    await new Promise((r) => setTimeout(r, 500));
    const before = relay.stats;
    const t0 = nowMs();
    c.type(`seq 1 ${LINES}; echo "DO""NE"\r`);
    await waitScreen(c, (st) => st.lines.includes('DONE'), TIMEOUT_MS, 'the end of the output');
    // Let the last history lines and acknowledgements settle.
    await new Promise((r) => setTimeout(r, 1500));
    await c.settled();
    const seconds = (nowMs() - t0) / 1000;
    const after = relay.stats;
    const nums = numbersInBuffer(c);
    return {
      bench: 'scrollback',
      part: 'wire',
      setup: s.name,
      lines: LINES,
      history_lines: s.history,
      to_client_kib: Math.round((after.toClient.forwardedBytes - before.toClient.forwardedBytes) / 1024),
      to_client_datagrams: after.toClient.forwarded - before.toClient.forwarded,
      to_server_kib: Math.round((after.toServer.forwardedBytes - before.toServer.forwardedBytes) / 1024),
      to_server_datagrams: after.toServer.forwarded - before.toServer.forwarded,
      seconds_incl_settle: Number(seconds.toFixed(2)),
      lines_in_terminal: nums.length,
      complete_tail: completeTail(nums),
    };
  } finally {
    await c.stop();
    await relay.close();
    server.kill();
  }
}

async function throughput(history: number, file: string): Promise<Record<string, unknown>> {
  const server = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ', ENV: '' } });
  const marker = `END-OF-CAT-${Math.random().toString(36).slice(2, 10)}`;
  const c = startClient({
    kind: 'ours',
    port: server.port,
    key: server.key,
    cols: 200,
    rows: 50,
    predict: 'never',
    clientArgs: ['--scrollback', String(history)],
    screenScrollback: 10_000,
  });
  try {
    await waitScreen(c, (st) => st.lines.some((l) => l.startsWith('$')), 15_000, 'the prompt');
    await new Promise((r) => setTimeout(r, 500));
    const cpu0 = { server: cpuMs(server.pid) ?? 0, client: cpuMs(c.pid) ?? 0, bench: process.cpuUsage() };
    const t0 = nowMs();
    c.type(`cat ${file}; echo "${marker.slice(0, 6)}""${marker.slice(6)}"\r`);
    await waitScreen(c, (st) => st.lines.some((l) => l.includes(marker)), TIMEOUT_MS, 'the end of the cat');
    const seconds = (nowMs() - t0) / 1000;
    const bench = process.cpuUsage(cpu0.bench);
    return {
      bench: 'scrollback',
      part: 'throughput',
      mib: MIB,
      size: '200x50',
      history_lines: history,
      seconds: Number(seconds.toFixed(3)),
      client_terminal_kib: Math.round(c.bytes / 1024),
      server_cpu_s: ((cpuMs(server.pid) ?? 0) - cpu0.server) / 1000,
      client_cpu_s: ((cpuMs(c.pid) ?? 0) - cpu0.client) / 1000,
      terminal_cpu_s: Number(((bench.user + bench.system) / 1e6).toFixed(2)),
    };
  } finally {
    await c.stop();
    server.kill();
  }
}

async function main(): Promise<void> {
  const sh = { command: ['/bin/sh'], env: { PS1: '$ ', ENV: '' } };
  const setups: Setup[] = [
    { name: 'stock client + stock server', kind: 'stock', history: null, start: () => startStockServer(sh) },
    { name: 'our client + our server, no history', kind: 'ours', history: 0, start: () => startOurServer(sh) },
    { name: 'our client + our server, 1000 lines', kind: 'ours', history: 1000, start: () => startOurServer(sh) },
    { name: 'our client + our server, 10000 lines', kind: 'ours', history: 10_000, start: () => startOurServer(sh) },
  ];
  const summary: Record<string, unknown> = { bench: 'scrollback', case: 'summary' };
  if (!SKIP_WIRE) {
    const results: Record<string, unknown>[] = [];
    for (const s of setups) {
      const r = await wire(s);
      results.push(r);
      console.log(JSON.stringify(r));
    }
    const stock = results[0];
    const kib = (r: Record<string, unknown>) => (r.to_client_kib as number) + (r.to_server_kib as number);
    summary.wire_ratio_vs_stock_1000 = Number((kib(results[2]) / kib(stock)).toFixed(2));
    summary.wire_ratio_vs_stock_10000 = Number((kib(results[3]) / kib(stock)).toFixed(2));
    summary.complete_1000 = (results[2].complete_tail as number) >= Math.min(LINES, 1000);
    summary.complete_10000 = (results[3].complete_tail as number) >= Math.min(LINES, 10_000);
  }
  if (!SKIP_THROUGHPUT) {
    const dir = mkdtempSync(join(tmpdir(), 'mosh-scrollback-bench-'));
    try {
      const file = join(dir, 'big.txt');
      await makeTextFile(file, MIB * 1024 * 1024);
      // Alternating, REPEAT times each (the machine's other work only ever adds time): the ratio of the medians.
      const offs: Record<string, unknown>[] = [];
      const ons: Record<string, unknown>[] = [];
      for (let i = 0; i < REPEAT; i++) {
        for (const history of [0, 10_000]) {
          const r = await throughput(history, file);
          console.log(JSON.stringify(r));
          (history === 0 ? offs : ons).push(r);
        }
      }
      const med = (rs: Record<string, unknown>[], k: string) => median(rs.map((r) => r[k] as number));
      summary.throughput_seconds = { history_off: offs.map((r) => r.seconds), history_on: ons.map((r) => r.seconds) };
      summary.throughput_time_ratio_history_on = Number((med(ons, 'seconds') / med(offs, 'seconds')).toFixed(3));
      summary.server_cpu_ratio_history_on = Number((med(ons, 'server_cpu_s') / med(offs, 'server_cpu_s')).toFixed(3));
      summary.client_cpu_ratio_history_on = Number((med(ons, 'client_cpu_s') / med(offs, 'client_cpu_s')).toFixed(3));
      summary.goal_throughput_ratio_at_most = 1.1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
