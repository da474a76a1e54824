// Connect time: from running the command to the remote shell prompt on screen, over ssh on loopback, for
//   ours-first-deploy  `node dist/cli.js connect` with an empty ~/.cache/vscode-mosh (uploads the server)
//   ours-cached        the same, server already deployed
//   ours-system        `node dist/cli.js connect --server=system` (stock mosh-server, our client)
//   stock              the stock `mosh` wrapper: `mosh --ssh="ssh -p PORT -i KEY -o ..." user@127.0.0.1`
// in the same run, against a private sshd (test/support/sshd.ts) with key authentication, interleaved so drift
// hits all alike. Prints one JSON object per variant (median, min, max in ms), then the comparison with the
// goal (cached at most stock + 200 ms). Needs root (a bench user is created and removed), sshd and mosh.
//   node build/bench/connect.js [--runs 5]

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { which } from '../test/support/peers';
import { removeTestUser, startSshd, type Sshd } from '../test/support/sshd';
import { Screen } from '../test/support/stock';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 5);
const FIRST_RUNS = Math.max(1, Math.min(3, RUNS));
const USER = 'moshbench';
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const PROMPT = new RegExp(`^${USER}@[^\\n]*[$#]\\s*$`, 'm');

/** Runs the command on a pty until the shell prompt shows; returns the ms it took, then quits the session. */
async function timeToPrompt(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<number> {
  const screen = new Screen(100, 30);
  const t0 = process.hrtime.bigint();
  const proc = pty.spawn(file, args, { name: 'xterm-256color', cols: 100, rows: 30, env, cwd });
  let written = Promise.resolve();
  let check: (() => void) | null = null;
  let exited = false;
  const gone = new Promise<void>((r) =>
    proc.onExit(() => {
      exited = true;
      r();
    }),
  );
  proc.onData((d) => {
    written = written.then(() => screen.write(d)).then(() => check?.());
  });
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out waiting for the prompt of ${args.join(' ')}; the screen shows:\n${screen.text()}`),
          ),
        30_000,
      );
      check = () => {
        if (!PROMPT.test(screen.text())) return;
        check = null;
        clearTimeout(timer);
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      };
      void gone.then(() =>
        setTimeout(
          () => check && reject(new Error(`exited before the prompt; the screen shows:\n${screen.text()}`)),
          200,
        ),
      );
    });
    return ms;
  } finally {
    proc.write('\x1e.'); // Ctrl-^ . : both clients quit and shut the server down
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (!exited) proc.kill('SIGKILL');
    screen.dispose();
  }
}

function stats(name: string, ms: number[]): Record<string, unknown> {
  const s = [...ms].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return {
    bench: 'connect',
    variant: name,
    runs: s.length,
    median_ms: Math.round(median),
    min_ms: Math.round(s[0]),
    max_ms: Math.round(s[s.length - 1]),
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (it creates the bench user)');
  for (const b of ['sshd', 'mosh', 'mosh-server', 'mosh-client', 'ssh']) if (!which(b)) throw new Error(`needs ${b}`);
  let sshd: Sshd | null = null;
  const work = mkdtempSync(join(tmpdir(), 'mosh-bench-connect-'));
  try {
    sshd = await startSshd({ user: USER });
    const home = join(work, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    const known = join(home, '.ssh', 'known_hosts');
    writeFileSync(known, sshd.knownHostsLine() + '\n');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
    };
    const target = `${USER}@127.0.0.1`;
    const ours = (extra: string[] = []) =>
      timeToPrompt(
        process.execPath,
        [CLI, 'connect', '--ssh-port', String(sshd!.port), '-i', sshd!.userKey, ...extra, target],
        env,
        home,
      );
    const sshCmd = `ssh -p ${sshd.port} -i ${sshd.userKey} -o IdentitiesOnly=yes -o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes`;
    const stock = () => timeToPrompt(which('mosh')!, [`--ssh=${sshCmd}`, target], env, home);
    const cache = join(sshd.home, '.cache', 'vscode-mosh');

    const first: number[] = [];
    for (let i = 0; i < FIRST_RUNS; i++) {
      rmSync(cache, { recursive: true, force: true });
      first.push(await ours());
    }
    const cached: number[] = [];
    const system: number[] = [];
    const stockMs: number[] = [];
    await ours(); // warm both paths once (page cache, sshd)
    await stock();
    for (let i = 0; i < RUNS; i++) {
      cached.push(await ours());
      stockMs.push(await stock());
      system.push(await ours(['--server=system']));
    }
    const results = [
      stats('ours-first-deploy', first),
      stats('ours-cached', cached),
      stats('ours-system', system),
      stats('stock', stockMs),
    ];
    for (const r of results) console.log(JSON.stringify(r));
    const c = results[1].median_ms as number;
    const s = results[3].median_ms as number;
    console.log(
      JSON.stringify({
        bench: 'connect',
        case: 'ours-cached vs stock',
        cached_minus_stock_ms: c - s,
        goal_at_most_ms: 200,
        met: c - s <= 200,
      }),
    );
  } finally {
    await sshd?.stop();
    // the bench user's leftover processes (a session that failed to quit), then the user
    try {
      for (const pid of execFileSync('pgrep', ['-u', USER]).toString().split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* none */
    }
    removeTestUser(USER);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
