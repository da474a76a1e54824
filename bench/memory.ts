// Memory under churn, ours and stock in the same run: a seeded busy session (colours, wide characters, the
// alternate screen, scroll regions, cursor jumps; a random window size between 40x10 and 200x60 every 3 s;
// 10 % loss each way through the relay) for a bounded time, then a last stretch at 200x50. Two sessions run side
// by side: our client (dist/cli.js) with our server, and stock mosh-client with stock mosh-server. Each side's
// RSS and private (anonymous) memory is sampled from /proc every second; printed as JSON: peak, end (at 200x50)
// and the slope of private memory over the second half, per 10 minutes.
//   npm run bench -- memory [--minutes 10] [--seed 1] [--loss 0.1]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImpairmentRelay, mulberry32 } from '../test/support/relay';
import { type StockServer, startOurServer, startStockServer } from '../test/support/stock';
import { type ClientKind, sleep, startClient, type TimedClient, waitScreen } from './lib/harness';
import { MemSampler } from './lib/procmem';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MINUTES = Number(argOf('minutes') ?? 10);
const SEED = Number(argOf('seed') ?? 1);
const LOSS = Number(argOf('loss') ?? 0.1);
/** The last stretch, at 200x50, that the end figures are taken from. */
const FINAL_S = Math.min(60, Math.max(10, MINUTES * 6));

/** The busy application, run as the session's command: seeded, it writes until killed. */
const APP = `
let seed = Number(process.argv[2]) >>> 0;
const rnd = () => { seed = (seed + 0x6d2b79f5) >>> 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const WORDS = ['alpha', 'bravo', 'δέλτα', 'эхо', '中文字', '日本語', '한국어', '😀', '🎉', 'e\\u0301', 'naïve', '│─┼', 'x'];
let alt = false;
function color() {
  const k = rnd();
  if (k < 0.4) return '\\x1b[' + (30 + int(8)) + ';' + (40 + int(8)) + 'm';
  if (k < 0.7) return '\\x1b[38;5;' + int(256) + ';48;5;' + int(256) + (rnd() < 0.3 ? ';1' : '') + 'm';
  if (k < 0.9) return '\\x1b[38;2;' + int(256) + ';' + int(256) + ';' + int(256) + 'm';
  return '\\x1b[0m';
}
function burst() {
  const cols = process.stdout.columns || 80, rows = process.stdout.rows || 24;
  let s = '';
  const k = rnd();
  if (k < 0.05) { alt = !alt; s += alt ? '\\x1b[?1049h\\x1b[H\\x1b[2J' : '\\x1b[?1049l'; }
  else if (k < 0.12) { const top = 1 + int(rows - 1); const bot = top + int(rows - top); s += '\\x1b[' + top + ';' + bot + 'r\\x1b[' + bot + ';1H' + '\\n'.repeat(1 + int(5)) + '\\x1b[r'; }
  else if (k < 0.2) s += '\\x1b[' + (1 + int(rows)) + ';' + (1 + int(cols)) + 'H';
  else if (k < 0.25) s += '\\x1b[2J\\x1b[H';
  for (let i = 0, n = 5 + int(40); i < n; i++) s += color() + pick(WORDS) + (rnd() < 0.2 ? '\\r\\n' : ' ');
  process.stdout.write(s + '\\x1b[0m');
}
const tick = () => { burst(); setTimeout(tick, 20 + int(60)); };
tick();
setTimeout(() => process.exit(0), 4 * 3600 * 1000);
`;

interface Pair {
  kind: ClientKind;
  server: StockServer;
  relay: ImpairmentRelay;
  client: TimedClient;
  clientMem: MemSampler;
  serverMem: MemSampler;
}

async function startPair(kind: ClientKind, app: string): Promise<Pair> {
  const start = kind === 'ours' ? startOurServer : startStockServer;
  const server = await start({ command: [process.execPath, app, String(SEED)] });
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    seed: SEED,
    toServer: { loss: LOSS },
    toClient: { loss: LOSS },
  });
  const client = startClient({ kind, port: relay.port, key: server.key, cols: 200, rows: 50, predict: 'adaptive' });
  await waitScreen(client, (s) => s.lines.some((l) => l.trim() !== ''), 30_000, `${kind}: the busy application`);
  return { kind, server, relay, client, clientMem: new MemSampler(client.pid), serverMem: new MemSampler(server.pid) };
}

function resize(p: Pair, cols: number, rows: number): void {
  try {
    p.client.proc.resize(cols, rows);
    p.client.screen.term.resize(cols, rows);
  } catch {
    /* the client is gone: reported below */
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const app = join(dir, 'busy.js');
  writeFileSync(app, APP);
  const pairs: Pair[] = [];
  try {
    pairs.push(await startPair('ours', app), await startPair('stock', app));
    const r = mulberry32(SEED);
    const churnEnd = Date.now() + MINUTES * 60_000 - FINAL_S * 1000;
    while (Date.now() < churnEnd) {
      const cols = 40 + Math.floor(r() * 161);
      const rows = 10 + Math.floor(r() * 51);
      for (const p of pairs) resize(p, cols, rows);
      await sleep(3000);
    }
    for (const p of pairs) resize(p, 200, 50);
    await sleep(FINAL_S * 1000);
    for (const p of pairs) {
      p.clientMem.sample();
      p.serverMem.sample();
      p.clientMem.stop();
      p.serverMem.stop();
      const name =
        p.kind === 'ours' ? 'our client (dist/cli.js) + our server' : 'stock mosh-client + stock mosh-server';
      console.log(
        JSON.stringify({
          bench: 'memory',
          pair: name,
          minutes: MINUTES,
          loss: LOSS,
          client: { alive: !p.client.exited(), ...p.clientMem.summary() },
          server: { alive: p.server.alive(), ...p.serverMem.summary() },
        }),
      );
    }
  } finally {
    for (const p of pairs) {
      p.clientMem.stop();
      p.serverMem.stop();
      await p.client.stop();
      await p.relay.close();
      p.server.kill();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
