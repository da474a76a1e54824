// Extension activation cost: the time to load the bundled dist/extension.js and run activate(), in fresh Node
// processes (a stand-in `vscode` module, test/vscode/support/fakevscode.ts), for a window with no saved panel and
// for one with a saved panel to bring back (there also until the panel's terminal is created). Every window pays
// the first case at startup (activation event onStartupFinished); the goal is at most 20 ms.
// Prints one JSON object per bundle and case (min, median, max over the runs), then the goal check.
//   node build/bench/activation.js [--runs 20] [--bundle PATH] [--baseline GIT-REV]
// --baseline builds that revision's bundles from `git archive` in a temporary folder (node_modules linked from this
// checkout) and measures them in the same run, interleaved with ours.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const GOAL_MS = 20;

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

type Case = 'no saved panel' | 'one saved panel';
const CASES: Case[] = ['no saved panel', 'one saved panel'];

interface Sample {
  require_ms: number;
  activate_ms: number;
  total_ms: number;
  /** One saved panel: from before the require until its terminal is created. */
  restored_ms?: number;
  /** Whether dist/session.js was loaded by the end. */
  session_loaded: boolean;
}

/** The child: one measurement, printed as JSON on stdout. */
async function child(bundle: string, which: Case): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { installFakeVscode } =
    require('../test/vscode/support/fakevscode') as typeof import('../test/vscode/support/fakevscode');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const saved = which === 'one saved panel';
  const session = { host: '127.0.0.1', port: 60001, key: 'AAAAAAAAAAAAAAAAAAAAAA', seqFloor: 0 };
  const fake = installFakeVscode({
    workspaceState: saved ? { 'mosh.openPanels': [{ id: 'p1', target: 'devbox' }] } : {},
    secrets: saved ? { 'mosh.session.p1': JSON.stringify(session) } : {},
  });
  let restored: number | undefined;
  const createTerminal = (fake.api.window as { createTerminal: (o: unknown) => unknown }).createTerminal;
  (fake.api.window as { createTerminal: (o: unknown) => unknown }).createTerminal = (o: unknown) => {
    restored ??= performance.now();
    return createTerminal(o);
  };
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ext = require(bundle) as { activate(c: unknown): unknown };
  const t1 = performance.now();
  ext.activate(fake.context);
  const t2 = performance.now();
  if (saved) {
    const until = Date.now() + 10_000;
    while (restored === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
  }
  const sample: Sample = {
    require_ms: t1 - t0,
    activate_ms: t2 - t1,
    total_ms: t2 - t0,
    restored_ms: restored === undefined ? undefined : restored - t0,
    session_loaded: Object.keys(require.cache).some((k) => /[\\/]dist[\\/]session\.js$/.test(k)),
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
  process.exit(0); // a restored panel's timers must not keep this process
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const r = (x: number) => Number(x.toFixed(2));
  return { min: r(s[0]), median: r(median), max: r(s[s.length - 1]) };
}

function measureOnce(bundle: string, which: Case): Sample {
  const r = spawnSync(process.execPath, [__filename, '--child', bundle, which], {
    encoding: 'utf8',
    cwd: REPO,
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`measuring ${bundle} (${which}) failed: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample;
}

/** Builds `rev`'s bundles in a temporary folder; returns its dist/extension.js and a cleanup. */
function buildBaseline(rev: string): { bundle: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-bench-activation-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', REPO, rev, dir]);
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    return { bundle: join(dir, 'dist', 'extension.js'), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function main(): Promise<void> {
  const runs = Number(argValue('runs') ?? 20);
  const bundles: { label: string; path: string }[] = [
    { label: 'current', path: argValue('bundle') ?? join(REPO, 'dist', 'extension.js') },
  ];
  const rev = argValue('baseline');
  let cleanup = () => {};
  if (rev) {
    const b = buildBaseline(rev);
    cleanup = b.cleanup;
    bundles.push({ label: `baseline ${rev}`, path: b.bundle });
  }
  try {
    for (const b of bundles) if (!existsSync(b.path)) throw new Error(`${b.path} is missing: run the build`);
    const samples = new Map<string, Sample[]>();
    for (let i = 0; i < runs; i++) {
      for (const b of bundles) {
        for (const c of CASES) {
          const key = `${b.label}|${c}`;
          samples.set(key, [...(samples.get(key) ?? []), measureOnce(b.path, c)]);
        }
      }
    }
    let current = 0;
    for (const b of bundles) {
      const sessionBundle = join(b.path, '..', 'session.js');
      for (const c of CASES) {
        const s = samples.get(`${b.label}|${c}`)!;
        const total = stats(s.map((x) => x.total_ms));
        if (b.label === 'current' && c === 'no saved panel') current = total.median;
        const restored = s.every((x) => x.restored_ms !== undefined) ? stats(s.map((x) => x.restored_ms!)) : undefined;
        console.log(
          JSON.stringify({
            bench: 'activation',
            bundle: b.label,
            case: c,
            runs,
            bundle_bytes: statSync(b.path).size,
            session_bundle_bytes: existsSync(sessionBundle) ? statSync(sessionBundle).size : null,
            require_ms: stats(s.map((x) => x.require_ms)),
            activate_ms: stats(s.map((x) => x.activate_ms)),
            total_ms: total,
            ...(restored ? { panel_restored_ms: restored } : {}),
            session_code_loaded: s.every((x) => x.session_loaded)
              ? 'always'
              : s.some((x) => x.session_loaded)
                ? 'sometimes'
                : 'never',
          }),
        );
      }
    }
    console.log(
      JSON.stringify({
        bench: 'activation',
        goal: `no saved panel: load + activate at most ${GOAL_MS} ms (median)`,
        median_ms: current,
        met: current <= GOAL_MS,
      }),
    );
  } finally {
    cleanup();
  }
}

if (process.argv[2] === '--child') void child(process.argv[3], process.argv[4] as Case);
else
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
