// Entry point of dist/server.js, our mosh-server (mosh-protocol.md section 10.1). The foreground process
// (foreground.ts) parses the command line, starts a detached copy of this script in a new session, prints the
// daemon's `MOSH CONNECT <port> <key>` and exits, so the ssh connection that started it can close. The daemon
// (here) binds the UDP port, runs the session and exits when it ends.

import { homedir, userInfo } from 'node:os';
import { basename } from 'node:path';
import { bindServerSocket, type Endpoint, formatKey, generateKey } from '../src/transport';
import { DAEMON_FLAG, type DaemonConfig } from './launch';
import { ServerSession } from './session';

/** Kept in step with src/ssh/sessions.ts, which lists sessions by it (server/ may not import src/ssh). */
const PROCESS_TITLE_PREFIX = 'vscode-mosh-server port=';

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
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && k !== 'STY' && !k.startsWith('MOSH_SERVER_')) env[k] = v;
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
  // The foreground's modules load only here: a require() in the bundle runs the required module's code when
  // called, so the session process never loads what only the foreground needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { errorExit, foreground } = require('./foreground') as typeof import('./foreground');
  foreground(argv).catch((e) => errorExit(`mosh-server: ${(e as Error).message}`));
}
