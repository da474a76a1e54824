// Memory of many panels in one process, as the VS Code extension host holds them: N MoshClients (our client
// library, as src/vscode/ drives it) in one plain `node` child process (no flags of ours, no heap guard: the
// extension host's heap is not ours to tune), each against its own server (ours) running the seeded busy
// application of `bench -- memory` through a relay with loss, every panel resized at random every 3 s, then a
// last stretch at 200x50. The child first runs one panel, then all N. Printed as JSON: the child's private
// (anonymous) memory with one panel and with N (median of the last samples of each phase), the cost of each
// added panel, and an idle node process's private memory for scale. Screen output is counted and dropped (the
// extension host hands it to VS Code's renderer and keeps none).
//   npm run bench -- panels [--panels 10] [--minutes 4] [--seed 1] [--loss 0.1]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MoshClient } from '../src/client';
import { ImpairmentRelay, mulberry32 } from '../test/support/relay';
import { type StockServer, startOurServer } from '../test/support/stock';
import { sleep } from './lib/harness';
import { MemSampler } from './lib/procmem';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const PANELS = Number(argOf('panels') ?? 10);
const MINUTES = Number(argOf('minutes') ?? 4);
const SEED = Number(argOf('seed') ?? 1);
const LOSS = Number(argOf('loss') ?? 0.1);
/** Each phase's last stretch at 200x50, which its figure is taken from. */
const FINAL_S = 20;

interface Target {
  port: number;
  key: string;
}

/** The child: opens panels as the parent says ("open N" on stdin), churns their sizes, says "opened N". */
async function child(): Promise<void> {
  const targets = JSON.parse(readFileSync(process.argv[process.argv.indexOf('--targets') + 1], 'utf8')) as Target[];
  const clients: MoshClient[] = [];
  let bytes = 0;
  let churn = true;
  const r = mulberry32(SEED);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [cmd, arg] = line.split(' ');
    if (cmd === 'open') {
      while (clients.length < Number(arg)) {
        const t = targets[clients.length];
        clients.push(
          new MoshClient(
            { host: '127.0.0.1', port: t.port, key: t.key, cols: 200, rows: 50, predict: 'adaptive' },
            { screen: (d) => (bytes += d.length) },
          ),
        );
      }
      churn = true;
      process.stdout.write(`opened ${clients.length}\n`);
    } else if (cmd === 'settle') {
      churn = false;
      for (const c of clients) c.resize(200, 50);
    } else if (cmd === 'quit') {
      void Promise.all(clients.map((c) => c.close())).then(() => {
        process.stdout.write(`bytes ${bytes}\n`);
        process.exit(0);
      });
    }
  });
  for (;;) {
    await sleep(3000);
    if (!churn) continue;
    for (const c of clients) c.resize(40 + Math.floor(r() * 161), 10 + Math.floor(r() * 51));
  }
}

function idleNodeAnonMiB(): number {
  const r = spawnSync(process.execPath, [
    '-e',
    'setTimeout(() => process.stdout.write(/Anonymous:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/smaps_rollup", "utf8"))[1]), 1000)',
  ]);
  return Math.round(Number(r.stdout.toString()) / 102.4) / 10;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-panels-'));
  const app = join(dir, 'busy.js');
  const memorySource = readFileSync(join(__dirname, 'memory.js'), 'utf8');
  // the busy application of bench/memory.ts, taken from its compiled text so both benchmarks run the same one
  const m = /const APP = `([\s\S]*?)`;/.exec(memorySource);
  if (!m) throw new Error('bench/memory.js: the busy application was not found');
  writeFileSync(app, new Function(`return \`${m[1]}\`;`)() as string);
  const servers: StockServer[] = [];
  const relays: ImpairmentRelay[] = [];
  try {
    const targets: Target[] = [];
    for (let i = 0; i < PANELS; i++) {
      const server = await startOurServer({ command: [process.execPath, app, String(SEED + i)] });
      servers.push(server);
      const relay = await ImpairmentRelay.start({
        upstreamPort: server.port,
        seed: SEED + i,
        toServer: { loss: LOSS },
        toClient: { loss: LOSS },
      });
      relays.push(relay);
      targets.push({ port: relay.port, key: server.key });
    }
    const targetsFile = join(dir, 'targets.json');
    writeFileSync(targetsFile, JSON.stringify(targets));
    const proc = spawn(process.execPath, [__filename, '--child', '--targets', targetsFile, '--seed', String(SEED)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const out = createInterface({ input: proc.stdout! });
    const said: string[] = [];
    let wake: (() => void) | null = null;
    out.on('line', (l) => {
      said.push(l);
      wake?.();
    });
    const expect = async (prefix: string): Promise<string> => {
      for (;;) {
        const i = said.findIndex((l) => l.startsWith(prefix));
        if (i >= 0) return said.splice(i, 1)[0];
        await new Promise<void>((r) => (wake = r));
      }
    };
    const phase = async (n: number): Promise<number> => {
      proc.stdin!.write(`open ${n}\n`);
      await expect('opened');
      await sleep(Math.max(10, (MINUTES * 60) / 2 - FINAL_S) * 1000);
      proc.stdin!.write('settle\n');
      const sampler = new MemSampler(proc.pid!);
      await sleep(FINAL_S * 1000);
      sampler.stop();
      return sampler.summary().endAnonMiB;
    };
    const one = await phase(1);
    const all = await phase(PANELS);
    proc.stdin!.write('quit\n');
    const bytes = Number((await expect('bytes')).split(' ')[1]);
    const round = (x: number) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'panels',
        panels: PANELS,
        minutes: MINUTES,
        loss: LOSS,
        process: 'plain node, MoshClient x N (as in the extension host)',
        anonMiBWithOnePanel: round(one),
        anonMiBWithAllPanels: round(all),
        anonMiBPerAddedPanel: round((all - one) / (PANELS - 1)),
        anonMiBIdleNode: idleNodeAnonMiB(),
        screenBytes: bytes,
      }),
    );
  } finally {
    for (const r of relays) await r.close();
    for (const s of servers) s.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) void child();
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
