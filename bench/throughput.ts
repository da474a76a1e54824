// Throughput: `cat` of a large text file until its last line is on the stock mosh-client's screen, against the
// stock mosh-server and against ours, in the same run; plus each server's CPU seconds and peak RSS (VmHWM).
// Prints one JSON object per server, then a comparison line.
//   node build/bench/throughput.js [--mib 50] [--cols 200] [--rows 50]

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { Screen, type StockServer, startOurServer, startStockServer } from '../test/support/stock';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const MIB = arg('mib', 50);
const COLS = arg('cols', 200);
const ROWS = arg('rows', 50);
const TIMEOUT_MS = 180_000;

async function makeFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  let written = 0;
  let n = 0;
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 1000; i++, n++) {
      const len = 20 + ((n * 7919) % 110);
      let line = `${n} `;
      while (line.length < len) line += words[(n + line.length) % words.length] + ' ';
      chunk += line + '\n';
    }
    written += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(r));
}

function procStats(pid: number): { cpuSeconds: number; peakRssMiB: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuSeconds: ticks / 100, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : NaN };
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
    env: { ...process.env, MOSH_KEY: server.key, LANG: 'C.UTF-8', TERM: 'xterm-256color', MOSH_PREDICTION_DISPLAY: 'never', MOSH_NO_TERM_INIT: '1' },
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
    await new Promise((r) => setTimeout(r, 500));
    const before = procStats(server.pid);
    bytesToClientTerminal = 0;
    const t0 = process.hrtime.bigint();
    client.write(`cat ${file}; echo "${marker.slice(0, 6)}""${marker.slice(6)}"\r`);
    await waitFor(new RegExp(marker), TIMEOUT_MS);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = procStats(server.pid);
    return {
      bench: 'throughput',
      server: name,
      mib: MIB,
      size: `${COLS}x${ROWS}`,
      seconds: Number(seconds.toFixed(3)),
      mib_per_s: Number((MIB / seconds).toFixed(2)),
      server_cpu_seconds: after && before ? Number((after.cpuSeconds - before.cpuSeconds).toFixed(2)) : null,
      server_peak_rss_mib: after ? Number(after.peakRssMiB.toFixed(1)) : null,
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
  await makeFile(file, MIB * 1024 * 1024);
  const env = { HOME: dir, PS1: '$ ', ENV: '' };
  try {
    const stock = await runOne('stock mosh-server', () => startStockServer({ command: ['/bin/sh'], env }), file);
    console.log(JSON.stringify(stock));
    const ours = await runOne('our server', () => startOurServer({ command: ['/bin/sh'], env }), file);
    console.log(JSON.stringify(ours));
    console.log(
      JSON.stringify({
        bench: 'throughput',
        case: 'ours vs stock',
        time_ratio: Number(((ours.seconds as number) / (stock.seconds as number)).toFixed(3)),
        goal_time_ratio_at_most: 0.5,
        rss_goal_mib_at_most: 60,
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
