// Entry point of dist/server.js, our mosh-server (mosh-protocol.md section 10.1). The foreground process parses
// the command line, starts a detached copy of itself in a new session (Node cannot fork), prints the daemon's
// `MOSH CONNECT <port> <key>` and exits, so the ssh connection that started it can close. The daemon binds the
// UDP port, runs the session and exits when it ends.

import { spawn } from 'node:child_process';
import { homedir, userInfo } from 'node:os';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { bindServerSocket, type Endpoint } from '../src/transport/connection';
import { formatKey, generateKey } from '../src/transport/key';
import { parseServerArgs, type ServerArgs, USAGE } from './args';
import { chooseLocale } from './locale';
import { ServerSession } from './session';

/** Kept in step with src/ssh/sessions.ts, which lists sessions by it (server/ may not import src/ssh). */
const PROCESS_TITLE_PREFIX = 'vscode-mosh-server port=';

const VERSION = 'vscode-mosh server 0.1.0 (mosh protocol 2, compatible with mosh 1.4)';
const DAEMON_FLAG = '--vscode-mosh-daemon';
/**
 * V8 settings for the long-lived session process (measured with `npm run bench -- throughput`):
 * - a small young generation (1 MiB semi-spaces): a bigger one is committed memory that a flood keeps resident,
 *   and what a flood allocates dies young or is promoted whatever its size;
 * - one V8 worker thread (the machine's other cores are the shell's);
 * - `gc` exposed, for HeapGuard (heapguard.ts), which collects sooner than V8 would in output floods.
 * None limits the heap: no screen size or session length can run the process out of memory by these settings.
 */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=1', '--expose-gc', '--gc-memory-reducer-start-delay-ms=1000'];
/**
 * Environment for the session process only (the user's own values are restored for the shell): glibc's malloc
 * with one arena, so the V8 worker thread's compiler memory is reused by the main thread instead of kept in an
 * arena of its own (about 1 MiB less private memory; other C libraries ignore it).
 */
const DAEMON_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '1' };

interface DaemonConfig {
  args: ServerArgs;
  env: Record<string, string>;
  /** The user's values of the DAEMON_ENV variables (null: unset), for the shell. */
  userEnv: Record<string, string | null>;
  cols: number;
  rows: number;
}

function errorExit(text: string, code = 1): never {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  process.exit(code);
}

function timeoutVar(name: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`${name} "${raw}" is not a non-negative number of seconds; ignored.\n`);
    return 0;
  }
  return n;
}

async function foreground(argv: string[]): Promise<void> {
  const parsed = parseServerArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (parsed.kind === 'error') errorExit(`${parsed.message}\n${USAGE}`);
  const args = parsed.args;
  if (args.warning) process.stderr.write(`${args.warning}\n`);

  const locale = chooseLocale(process.env, args.locale);
  if (locale.error) errorExit(locale.error);
  if (locale.note && args.verbose) process.stderr.write(`${locale.note}\n`);

  const cols = process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 80;
  const rows = process.stdout.isTTY && process.stdout.rows > 0 ? process.stdout.rows : 24;
  if (process.stdin.isTTY) process.stdout.write('\r\n\n');

  const userEnv = Object.fromEntries(Object.keys(DAEMON_ENV).map((k) => [k, process.env[k] ?? null]));
  const config: DaemonConfig = { args, env: locale.env, userEnv, cols, rows };
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, process.argv[1], DAEMON_FLAG, JSON.stringify(config)], {
    detached: true,
    env: { ...process.env, ...DAEMON_ENV },
    stdio: ['ignore', 'pipe', args.verbose ? 'inherit' : 'ignore'],
    cwd: homedir(),
  });
  const line = await new Promise<string | null>((resolve) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(l));
    child.once('exit', () => resolve(null));
    child.once('error', () => resolve(null));
  });
  const m = line ? /^READY (\d+) ([A-Za-z0-9/+]{22})$/.exec(line) : null;
  if (!m) errorExit(line?.startsWith('ERROR ') ? line.slice(6) : 'mosh-server: the session process failed to start.');
  process.stdout.write(`MOSH CONNECT ${m[1]} ${m[2]}\n`);
  process.stderr.write(`\n${VERSION}\nMIT licensed; speaks the mosh 1.4 protocol.\n\n[mosh-server detached, pid = ${child.pid}]\n`);
  child.stdout!.destroy();
  child.unref();
}

async function daemon(config: DaemonConfig): Promise<void> {
  const { args } = config;
  const log = (text: string) => {
    if (args.verbose) process.stderr.write(`${text}\n`);
  };
  process.on('SIGHUP', () => undefined);
  process.on('SIGPIPE', () => undefined);
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', () => undefined);

  const key = generateKey();
  let session: ServerSession | null = null;
  const early: [Buffer, Endpoint][] = [];
  let bound;
  try {
    bound = await bindServerSocket({
      address: args.bindIp,
      ports: args.ports,
      onMessage: (msg, from) => (session ? session.receive(msg, from) : early.push([msg, from])),
      onBindError: (text) => process.stderr.write(`${text}\n`),
    });
  } catch (e) {
    process.stdout.write(`ERROR ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`READY ${bound.port} ${formatKey(key)}\n`);
  // What `ps` shows for this session (and what the extension's session list looks for): the marker and port.
  process.title = `${PROCESS_TITLE_PREFIX}${bound.port}`;

  const home = homedir();
  const shell = process.env.SHELL || safeShell() || '/bin/sh';
  const [file, fileArgs] = args.command
    ? [args.command[0], args.command.slice(1)]
    : [shell, LOGIN_SHELLS.has(basename(shell)) ? ['-l'] : []];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'STY' && !k.startsWith('MOSH_SERVER_')) env[k] = v;
  for (const [k, v] of Object.entries(config.userEnv ?? {})) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  Object.assign(env, config.env, {
    TERM: args.colors === undefined || args.colors >= 256 ? 'xterm-256color' : 'xterm',
    NCURSES_NO_UTF8_ACS: '1',
    PWD: home,
  });

  session = new ServerSession({
    key,
    socket: bound.socket,
    family: bound.family,
    file,
    args: fileArgs,
    env,
    cwd: home,
    cols: config.cols,
    rows: config.rows,
    networkTimeout: timeoutVar('MOSH_SERVER_NETWORK_TMOUT'),
    signalTimeout: timeoutVar('MOSH_SERVER_SIGNAL_TMOUT'),
    log,
  });
  for (const [m, f] of early) session.receive(m, f);
  process.on('SIGTERM', () => session!.terminate());
  process.on('SIGINT', () => session!.terminate());
  process.on('SIGUSR1', () => session!.signalUsr1());
  session.start();
  const reason = await session.done;
  log(`[mosh-server is exiting: ${reason}.]`);
  process.exit(0);
}

const LOGIN_SHELLS = new Set(['bash', 'zsh', 'sh', 'dash', 'ksh', 'mksh', 'fish', 'tcsh', 'csh']);

function safeShell(): string | null {
  try {
    return userInfo().shell;
  } catch {
    return null;
  }
}

const argv = process.argv.slice(2);
if (argv[0] === DAEMON_FLAG) {
  daemon(JSON.parse(argv[1]) as DaemonConfig).catch((e) => {
    process.stderr.write(`mosh-server: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
} else {
  foreground(argv).catch((e) => errorExit(`mosh-server: ${(e as Error).message}`));
}
