// Throughput: `cat` of a large text file until its last line is on the stock mosh-client's screen, against the
// stock mosh-server and against ours, in the same run; plus each server's CPU seconds and memory: idle (a shell
// prompt and a connected client, a few seconds in), peak RSS (VmHWM) and private anonymous memory (smaps_rollup
// `Anonymous`, sampled every 25 ms) during the `cat`, both 3 s after it, and again 15 s after it (V8 gives
// freed heap pages back about 8 s after its last major GC, once the process is quiet). Beside the idle figures,
// `node_floor`: what a node process that does only what any Node mosh-server must idles at (lib/nodefloor.ts).
// Prints one JSON object per server, then a comparison line with the goals.
//   node build/bench/throughput.js [--mib 50] [--cols 200] [--rows 50]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { Screen, type StockServer, startOurServer, startStockServer } from '../test/support/stock';
import { measureNodeFloor } from './lib/nodefloor';
import { MemSampler, mib1, procMem } from './lib/procmem';
import { makeTextFile } from './lib/textfile';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const MIB = arg('mib', 50);
const COLS = arg('cols', 200);
const ROWS = arg('rows', 50);
const TIMEOUT_MS = 180_000;
/** How long the session idles at its prompt before the idle figures are read, and how long after the `cat` the
 * end figures are (ms). */
const IDLE_MS = 3000;
const AFTER_MS = 3000;
const SETTLED_MS = 15_000;

function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime
  } catch {
    return null;
  }
}

async function runOne(name: string, start: () => Promise<StockServer>, file: string): Promise<Record<string, unknown>> {
  const server = await start();
  const marker = `END-OF-CAT-${Math.random().toString(36).slice(2, 10)}`;
  const client = pty.spawn('mosh-client', ['127.0.0.1', String(server.port)], {
    name: 'xterm-256color',
    cols: COLS,
    rows: ROWS,
    env: {
      ...process.env,
      MOSH_KEY: server.key,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      MOSH_PREDICTION_DISPLAY: 'never',
      MOSH_NO_TERM_INIT: '1',
    },
  });
  // The client's output is rendered, and the screen searched: a differ redraws only changed cells, so the
  // marker need not appear contiguously in the byte stream.
  const screen = new Screen(COLS, ROWS);
  let bytesToClientTerminal = 0;
  let check: (() => void) | null = null;
  let written = Promise.resolve();
  client.onData((d) => {
    bytesToClientTerminal += d.length;
    written = written.then(() => screen.write(d)).then(() => check?.());
  });
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: timed out waiting for ${re}`)), ms);
      check = () => {
        if (!re.test(screen.text())) return;
        check = null;
        clearTimeout(timer);
        resolve();
      };
      check();
    });
  try {
    await waitFor(/^\$/m, 15_000);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = procMem(server.pid);
    const before = cpuSeconds(server.pid);
    bytesToClientTerminal = 0;
    const sampler = new MemSampler(server.pid, 25);
    const t0 = process.hrtime.bigint();
    client.write(`cat ${file}; echo "${marker.slice(0, 6)}""${marker.slice(6)}"\r`);
    await waitFor(new RegExp(marker), TIMEOUT_MS);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = cpuSeconds(server.pid);
    const during = sampler.sample();
    const peakAnonDuring = sampler.peakAnonMiB;
    await new Promise((r) => setTimeout(r, AFTER_MS));
    const end = sampler.sample();
    await new Promise((r) => setTimeout(r, SETTLED_MS - AFTER_MS));
    const settled = sampler.sample();
    sampler.stop();
    return {
      bench: 'throughput',
      server: name,
      mib: MIB,
      size: `${COLS}x${ROWS}`,
      seconds: Number(seconds.toFixed(3)),
      mib_per_s: Number((MIB / seconds).toFixed(2)),
      server_cpu_seconds: after !== null && before !== null ? Number((after - before).toFixed(2)) : null,
      /** VmHWM when the last line showed (the process's peak over its whole life so far). */
      server_peak_rss_mib: mib1(during?.peakRssMiB),
      /** Highest `Anonymous` seen while the `cat` ran (sampled every 25 ms). */
      server_peak_anon_mib: mib1(peakAnonDuring),
      /** IDLE_MS at the prompt with the client connected, before the `cat`. */
      server_idle_rss_mib: mib1(idle?.rssMiB),
      server_idle_anon_mib: mib1(idle?.anonMiB),
      /** AFTER_MS after the last line showed. */
      server_end_rss_mib: mib1(end?.rssMiB),
      server_end_anon_mib: mib1(end?.anonMiB),
      server_end_peak_rss_mib: mib1(settled?.peakRssMiB),
      /** SETTLED_MS after the last line showed. */
      server_settled_rss_mib: mib1(settled?.rssMiB),
      server_settled_anon_mib: mib1(settled?.anonMiB),
      client_terminal_kib: Math.round(bytesToClientTerminal / 1024),
    };
  } finally {
    client.write('\x1e.');
    await new Promise((r) => setTimeout(r, 300));
    try {
      client.kill();
    } catch {
      /* gone */
    }
    server.kill();
    screen.dispose();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-throughput-'));
  const file = join(dir, 'big.txt');
  await makeTextFile(file, MIB * 1024 * 1024);
  const env = { HOME: dir, PS1: '$ ', ENV: '' };
  try {
    const stock = await runOne('stock mosh-server', () => startStockServer({ command: ['/bin/sh'], env }), file);
    console.log(JSON.stringify(stock));
    const ours = await runOne('our server', () => startOurServer({ command: ['/bin/sh'], env }), file);
    console.log(JSON.stringify(ours));
    const floor = await measureNodeFloor(IDLE_MS);
    const n = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'number' ? (o[k] as number) : NaN);
    const timeRatio = Number((n(ours, 'seconds') / n(stock, 'seconds')).toFixed(3));
    const peakRss = Math.max(n(ours, 'server_peak_rss_mib'), n(ours, 'server_end_peak_rss_mib'));
    const peakAnon = Math.max(n(ours, 'server_peak_anon_mib'), n(ours, 'server_end_anon_mib'));
    const goal = { time_ratio_at_most: 0.5, peak_rss_mib_at_most: 60, anon_mib_at_most: 20, idle_rss_mib_at_most: 45 };
    console.log(
      JSON.stringify({
        bench: 'throughput',
        case: 'ours vs stock',
        time_ratio: timeRatio,
        peak_rss_mib: {
          ours: peakRss,
          stock: Math.max(n(stock, 'server_peak_rss_mib'), n(stock, 'server_end_peak_rss_mib')),
        },
        peak_anon_mib: { ours: n(ours, 'server_peak_anon_mib'), stock: n(stock, 'server_peak_anon_mib') },
        end_anon_mib: { ours: n(ours, 'server_end_anon_mib'), stock: n(stock, 'server_end_anon_mib') },
        settled_anon_mib: { ours: n(ours, 'server_settled_anon_mib'), stock: n(stock, 'server_settled_anon_mib') },
        idle_rss_mib: {
          ours: n(ours, 'server_idle_rss_mib'),
          stock: n(stock, 'server_idle_rss_mib'),
          node_floor: floor.idleRssMiB,
        },
        idle_anon_mib: {
          ours: n(ours, 'server_idle_anon_mib'),
          stock: n(stock, 'server_idle_anon_mib'),
          node_floor: floor.idleAnonMiB,
        },
        goal,
        met: {
          time_ratio: timeRatio <= goal.time_ratio_at_most,
          peak_rss: peakRss <= goal.peak_rss_mib_at_most,
          anon: peakAnon <= goal.anon_mib_at_most,
          idle_rss: n(ours, 'server_idle_rss_mib') <= goal.idle_rss_mib_at_most,
        },
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
