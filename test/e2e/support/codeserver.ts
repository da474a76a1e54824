// code-server (VS Code's workbench served to a browser) for the end-to-end tests (TESTING.md, "A real VS Code
// in a real browser"): installed once into a cache outside the work tree, then started per test, isolated in
// a run folder of its own (HOME, XDG_*, TMPDIR, user data, extensions), on a loopback port, with no gallery,
// telemetry or update checks, and stopped with its whole process group.
//
//   const bin = await ensureCodeServer();                       // installs on first use (about a minute)
//   const cs = await startCodeServer({ vsix, label: 'smoke' }); // fresh run folder, .vsix installed
//   ... openWorkbench(cs.url, ...) ...
//   await cs.stop();                                            // kills the process group, keeps the logs
//
// The cache is $MOSH_E2E_CACHE, else <os tmpdir>/vscode-mosh-e2e; each code-server version has its own folder,
// complete only once its `.installed` marker exists. Parallel test files (or work trees) share it under a lock.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { which } from '../../support/peers';

export const CODE_SERVER_VERSION = '4.100.3';
/** The @vscode/ripgrep that code-server 4.100.3 depends on, and the rg release its postinstall wants. */
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_TAG = 'v13.0.0-10';

/** Repository root (this file runs as build/test/e2e/support/codeserver.js). */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

export type Log = (msg: string) => void;
const quiet: Log = () => {};

export function cacheRoot(): string {
  return process.env.MOSH_E2E_CACHE || join(tmpdir(), 'vscode-mosh-e2e');
}

function installDir(): string {
  return join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
}

/** Path of the code-server launcher in the cache (present only once installed). */
export function codeServerBin(): string {
  return join(installDir(), 'node_modules', '.bin', 'code-server');
}

export function codeServerInstalled(): boolean {
  return existsSync(join(installDir(), '.installed')) && existsSync(codeServerBin());
}

/**
 * What a first install needs from the system, as executables for `needs(...)`: a C++ toolchain and python for
 * node-gyp (node-pty, kerberos), krb5-config from libkrb5-dev (gssapi.h), rg from Debian's ripgrep (seeds
 * @vscode/ripgrep's download). Nothing once the cache holds an install.
 */
export function codeServerInstallNeeds(): string[] {
  return codeServerInstalled() ? [] : ['rg', 'krb5-config', 'g++', 'make', 'python3', 'tar'];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock directory holding the owner's pid; a lock whose owner is gone is taken over. */
async function withLock<T>(lockDir: string, timeoutMs: number, log: Log, f: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being written, or left empty by a crash */
      }
      const age = (() => {
        try {
          return Date.now() - statSync(lockDir).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if ((Number.isFinite(owner) && owner > 0 && !alive(owner)) || (!Number.isFinite(owner) && age > 30_000)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!said) log(`waiting for another install of code-server (lock ${lockDir}, pid ${owner})`);
      said = true;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir}`);
      await sleep(500);
    }
  }
  try {
    return await f();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Runs a command in its own process group, output appended to logFile; kills the group on timeout. */
function runLogged(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; timeoutMs: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    appendFileSync(opts.logFile, `\n$ ${cmd} ${args.join(' ')}\n`);
    const fd = openSync(opts.logFile, 'a');
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    const timer = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${opts.timeoutMs} ms (log: ${opts.logFile})`));
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid, 'SIGKILL'); // anything it left in its group
      if (code === 0) resolve();
      else {
        const tail = readFileSync(opts.logFile, 'utf8').split('\n').slice(-40).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}); log ${opts.logFile}:\n${tail}`));
      }
    });
  });
}

function ripgrepTarget(): string {
  if (process.platform !== 'linux')
    throw new Error(`the code-server install seeds ripgrep on Linux only, not ${process.platform}`);
  if (process.arch === 'x64') return 'x86_64-unknown-linux-musl';
  if (process.arch === 'arm64') return 'aarch64-unknown-linux-musl';
  throw new Error(`no ripgrep target for ${process.arch}`);
}

/**
 * Installs code-server into the cache unless it is there already, and returns the launcher's path.
 * Follows recipes/code-server-setup.sh: npm_config_yes (node-pty's postinstall runs `npx node-gyp`),
 * --unsafe-perm (its postinstall refuses to run as root otherwise), and @vscode/ripgrep's download cache
 * seeded with a tarball of Debian's /usr/bin/rg (its postinstall would otherwise download from the internet).
 */
export async function ensureCodeServer(opts: { log?: Log; timeoutMs?: number } = {}): Promise<string> {
  const log = opts.log ?? quiet;
  if (codeServerInstalled()) return codeServerBin();
  mkdirSync(cacheRoot(), { recursive: true });
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  return withLock(`${installDir()}.lock`, timeoutMs, log, async () => {
    if (codeServerInstalled()) return codeServerBin();
    const dir = installDir();
    rmSync(dir, { recursive: true, force: true });
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const rg = which('rg');
    if (!rg) throw new Error('installing code-server needs rg (Debian package ripgrep) to seed @vscode/ripgrep');
    const seedDir = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
    mkdirSync(join(tmp, 'rg'), { recursive: true });
    mkdirSync(seedDir, { recursive: true });
    cpSync(rg, join(tmp, 'rg', 'rg'));
    chmodSync(join(tmp, 'rg', 'rg'), 0o755);
    execFileSync('tar', [
      'czf',
      join(seedDir, `ripgrep-${RIPGREP_TAG}-${ripgrepTarget()}.tar.gz`),
      '-C',
      join(tmp, 'rg'),
      'rg',
    ]);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ private: true, description: 'code-server for vscode-mosh e2e tests' }) + '\n',
    );
    const logFile = join(dir, 'install.log');
    const t0 = Date.now();
    log(`installing code-server@${CODE_SERVER_VERSION} into ${dir} (first use; about a minute)`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TMPDIR: tmp,
      npm_config_yes: 'true',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
    };
    await runLogged(
      'npm',
      ['install', '--unsafe-perm', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`],
      { cwd: dir, env, logFile, timeoutMs },
    );
    if (!existsSync(codeServerBin()))
      throw new Error(`npm install finished but ${codeServerBin()} is missing (log ${logFile})`);
    rmSync(tmp, { recursive: true, force: true });
    writeFileSync(join(dir, '.installed'), `${new Date().toISOString()} ${Date.now() - t0} ms\n`);
    log(`code-server installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return codeServerBin();
  });
}

// ---- processes ----

/** Every live pid whose process group is pgid, plus their descendants (ptys put shells in new sessions). */
function groupAndDescendants(pgid: number): number[] {
  const parent = new Map<number, number>();
  const group = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      group.set(Number(name), Number(f[2]));
    } catch {
      /* gone */
    }
  }
  const out = new Set<number>();
  for (const [pid, g] of group) if (g === pgid) out.add(pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, pp] of parent) {
      if (!out.has(pid) && out.has(pp)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return [...out];
}

function killGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (!pgid) return;
  const pids = process.platform === 'linux' ? groupAndDescendants(pgid) : [];
  try {
    process.kill(-pgid, signal);
  } catch {
    /* group gone */
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') return groupAndDescendants(pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Process groups started here that are still running: killed if this process exits without stopping them. */
const live = new Set<number>();
process.on('exit', () => {
  for (const g of live) killGroup(g, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    for (const g of live) killGroup(g, 'SIGKILL');
    live.clear();
    process.kill(process.pid, sig); // the default action, now that this listener is gone
  });
}

async function stopGroup(pgid: number, graceMs = 3000): Promise<void> {
  killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pgid)) {
    killGroup(pgid, 'SIGKILL');
    const hard = Date.now() + 2000;
    while (groupAlive(pgid) && Date.now() < hard) await sleep(50);
  }
  live.delete(pgid);
}

// ---- a running code-server ----

export interface CodeServerOptions {
  /** .vsix files to install before starting. */
  vsix?: string | string[];
  /** Names the run folder (and the artifacts folder the logs are copied to on stop). */
  label?: string;
  /** Merged over the defaults written to the user settings.json. */
  settings?: Record<string, unknown>;
  /** Files to create in the workspace folder (relative path -> content). */
  workspaceFiles?: Record<string, string>;
  /** Extra environment for code-server and so for the extension host (after the isolation variables). */
  env?: Record<string, string>;
  /** Folder that receives code-server's logs on stop (default test-artifacts/<label>/). null: none. */
  artifactsDir?: string | null;
  log?: Log;
  /** Bound on install + start (default 120 s; the first install of code-server itself is bounded separately). */
  timeoutMs?: number;
}

export interface CodeServer {
  /** The workbench with the workspace folder open. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly runDir: string;
  /** HOME of code-server and its extension host: put .ssh/config etc. here. */
  readonly home: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** code-server's own stdout/stderr. */
  readonly logFile: string;
  /** The text of every extension host log written so far (exthost*.log, remoteexthost.log), concatenated. */
  extensionHostLog(): string;
  /** Paths of all log files under the user data dir's logs folder. */
  logFiles(): string[];
  /** Stops code-server and everything it started (process group + descendants), copies logs to the artifacts
   *  folder and removes the run folder (kept if keepRunDir or MOSH_E2E_KEEP=1). Idempotent. */
  stop(opts?: { keepRunDir?: boolean }): Promise<void>;
}

/** The extension's id (publisher.name in package.json). */
export const EXTENSION_ID = 'vscode-mosh.vscode-mosh';

export const DEFAULT_SETTINGS: Record<string, unknown> = {
  // No remote.extensionKind: the manifest's extensionKind ["ui", "workspace"] lets code-server run the extension
  // in its server-side (Node) extension host, since its browser-side "ui" host cannot run a Node extension.
  // The DOM renderer puts the terminal's text into .xterm-rows; the WebGL one puts none in the page.
  'terminal.integrated.gpuAcceleration': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
};

/** A name safe as a single path component. */
export function safeName(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'run'
  );
}

export function artifactsDirFor(testName: string): string {
  return join(REPO_ROOT, 'test-artifacts', safeName(testName));
}

/** test-artifacts/<name>/, emptied: what a test leaves there is from its last run only. */
export function freshArtifactsDir(testName: string): string {
  const dir = artifactsDirFor(testName);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function isolatedEnv(runDir: string, home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // nothing from a VS Code this test may itself run in, nor from npm's script environment
    if (
      /^(VSCODE_|ELECTRON_|npm_)/.test(k) ||
      k === 'TERM_PROGRAM' ||
      k === 'NODE_OPTIONS' ||
      k === 'NODE_TEST_CONTEXT'
    )
      continue;
    env[k] = v;
  }
  const runtime = join(runDir, 'run');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: runtime,
    TMPDIR: join(runDir, 'tmp'),
    // The extension gallery on a loopback port where nothing listens: no lookups of the real one.
    EXTENSIONS_GALLERY: JSON.stringify({
      serviceUrl: 'http://127.0.0.1:9/gallery',
      itemUrl: 'http://127.0.0.1:9/items',
      resourceUrlTemplate: 'http://127.0.0.1:9/r/{publisher}/{name}/{version}/{path}',
    }),
    ...extra,
  });
  return env;
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p));
    else out.push(p);
  }
  return out;
}

/** Starts code-server in a fresh run folder with the given .vsix installed; resolves once it serves. */
export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  const log = opts.log ?? quiet;
  const bin = await ensureCodeServer({ log });
  const label = safeName(opts.label ?? 'run');
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const runDir = mkdtempSync(join(tmpdir(), `mosh-e2e-${label}-`));
  const home = join(runDir, 'home');
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  const workspace = join(runDir, 'workspace');
  for (const d of [
    home,
    join(home, '.config'),
    join(home, '.local', 'share'),
    join(home, '.cache'),
    join(runDir, 'tmp'),
    join(userDataDir, 'User'),
    extensionsDir,
    workspace,
  ]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2) + '\n',
  );
  for (const [rel, text] of Object.entries(
    opts.workspaceFiles ?? { 'README.txt': 'an empty workspace for the end-to-end tests\n' },
  )) {
    mkdirSync(join(workspace, rel, '..'), { recursive: true });
    writeFileSync(join(workspace, rel), text);
  }
  const configFile = join(runDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  const env = isolatedEnv(runDir, home, opts.env);
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  const logFile = join(runDir, 'code-server.log');
  writeFileSync(logFile, '');
  const artifacts = opts.artifactsDir === undefined ? artifactsDirFor(label) : opts.artifactsDir;

  for (const vsix of ([] as string[]).concat(opts.vsix ?? [])) {
    const t0 = Date.now();
    await runLogged(bin, [...common, '--install-extension', vsix], {
      cwd: runDir,
      env,
      logFile: join(runDir, 'install-extension.log'),
      timeoutMs: Math.max(5000, deadline - Date.now()),
    });
    log(`installed ${basename(vsix)} in ${Date.now() - t0} ms`);
  }

  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    bin,
    [
      ...common,
      '--bind-addr',
      '127.0.0.1:0',
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--disable-file-downloads',
      '--disable-proxy',
      '--log',
      'info',
      workspace,
    ],
    { cwd: runDir, env, stdio: ['ignore', fd, fd], detached: true },
  );
  closeSync(fd);
  const pid = child.pid;
  if (!pid) throw new Error(`could not start ${bin}`);
  live.add(pid);
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited (${signal ?? code})`));

  let stopped = false;
  const cs: CodeServer = {
    url: '',
    port: 0,
    pid,
    runDir,
    home,
    workspace,
    userDataDir,
    extensionsDir,
    logFile,
    logFiles: () => walkFiles(join(userDataDir, 'logs')),
    extensionHostLog: () =>
      cs
        .logFiles()
        .filter((f) => /exthost/i.test(f) && f.endsWith('.log'))
        .sort()
        .map((f) => `==> ${f.slice(userDataDir.length + 1)} <==\n${readFileSync(f, 'utf8')}`)
        .join('\n'),
    async stop({ keepRunDir = process.env.MOSH_E2E_KEEP === '1' } = {}) {
      if (stopped) return;
      stopped = true;
      await stopGroup(pid);
      if (artifacts) {
        try {
          const logs = join(artifacts, 'logs');
          mkdirSync(logs, { recursive: true });
          cpSync(logFile, join(logs, 'code-server.log'));
          if (existsSync(join(runDir, 'install-extension.log')))
            cpSync(join(runDir, 'install-extension.log'), join(logs, 'install-extension.log'));
          if (existsSync(join(userDataDir, 'logs')))
            cpSync(join(userDataDir, 'logs'), join(logs, 'user-data-logs'), { recursive: true });
        } catch (e) {
          log(`could not copy logs to ${artifacts}: ${(e as Error).message}`);
        }
      }
      if (!keepRunDir) rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
      else log(`run folder kept: ${runDir}`);
    },
  };

  try {
    // "HTTP server listening on http://127.0.0.1:PORT/"
    let port = 0;
    while (!port) {
      if (exited) throw new Error(`code-server ${exited}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(`code-server did not start in time:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      const m = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(logFile, 'utf8'));
      if (m) port = Number(m[1]);
      else await sleep(100);
    }
    const base = `http://127.0.0.1:${port}`;
    while (!(await httpOk(`${base}/healthz`))) {
      if (exited || Date.now() > deadline)
        throw new Error(`code-server on ${base} never answered /healthz (${exited ?? 'timeout'})`);
      await sleep(100);
    }
    Object.assign(cs, { port, url: `${base}/?folder=${encodeURIComponent(workspace)}` });
    log(`code-server ${CODE_SERVER_VERSION} on ${base} (pid ${pid}, run folder ${runDir})`);
    return cs;
  } catch (e) {
    await cs.stop({ keepRunDir: true });
    throw e;
  }
}
