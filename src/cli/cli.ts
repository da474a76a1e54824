// Entry point of dist/cli.js, the terminal front end of MoshClient:
//   MOSH_KEY=KEY node dist/cli.js client [--predict=adaptive|always|never|experimental] [--predict-overwrite] [-A] IP PORT
// a drop-in for stock mosh-client (its environment variables too), and
//   node dist/cli.js connect [--ssh-port N] [-i IDENTITY] [-p PORT[:PORT2]] [--server=...] [--predict=...] [-A|-a] [user@]host
// the `mosh` wrapper's job: the ssh bootstrap (src/ssh/bootstrap.ts, questions asked on this tty), then the same
// session. Raw tty, window-size changes followed, the escape key, and the tty restored on every exit path.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { setFlagsFromString as setV8Flags } from 'node:v8';
import { HeapGuard } from '../common';
import {
  BAR_TEXT,
  type DisplayPreference,
  escapeKeyName,
  type ForwardAgentTarget,
  type ForwardingStatus,
  KeyError,
  MAX_HISTORY_LINES,
  MoshClient,
  parseKey,
  type SavedSession,
  type ServerHelloInfo,
  setPageantProvider,
} from '../client';
import { escapeConfig, EscapeKeyHandler } from './escape';
import { TtyPrompter } from './ttyprompt';

const VERSION = 'vscode-mosh client 0.1.0 (mosh protocol 2, compatible with mosh 1.4)';
const MODES: DisplayPreference[] = ['adaptive', 'always', 'never', 'experimental'];
const USAGE =
  `Usage: MOSH_KEY=KEY node dist/cli.js client [--predict=${MODES.join('|')}] [--predict-overwrite] [--scrollback N] [-A] [--save FILE] IP PORT\n` +
  `       node dist/cli.js client --restore FILE [--save FILE]     (continue a saved session in a new process)\n` +
  `       node dist/cli.js connect [--ssh-port N] [-i IDENTITY] [-p PORT[:PORT2]] [--server=auto|bundled|system|PATH]\n` +
  `                                [--predict=${MODES.join('|')}] [--predict-overwrite] [--scrollback N] [-A|-a] [-v] [user@]host[:sshport] [-- COMMAND...]\n` +
  `  -A forwards your ssh agent (SSH_AUTH_SOCK) to the session, as ssh -A does (ssh_config's ForwardAgent too; -a: never)`;
/** How long the notification bar says that agent forwarding is off. */
const FORWARDING_NOTICE_MS = 10_000;
const SAVE_INTERVAL_MS = 2000;

/** Leaves every mode the remote application may have set, then the alternate screen. */
const RESTORE_TERMINAL =
  '\x1b[0m\x1b[?25h\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1004l\x1b[?5l';

/** History lines the terminal's scrollback is filled with by default (with our server). */
const DEFAULT_SCROLLBACK = 10_000;

function scrollbackArg(v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) fail(`--scrollback needs a number of lines (0 for none).\n${USAGE}`);
  return Math.min(Number(v), MAX_HISTORY_LINES);
}

function fail(text: string, code = 1): never {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  process.exit(code);
}

function runClient(args: string[]): void {
  let predict: string | undefined = process.env.MOSH_PREDICTION_DISPLAY;
  let overwrite = process.env.MOSH_PREDICTION_OVERWRITE === 'yes';
  const positional: string[] = [];
  let saveFile: string | undefined;
  let restoreFile: string | undefined;
  let scrollback = DEFAULT_SCROLLBACK;
  let forwardAgent: ForwardAgentTarget | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--save' || a === '--restore') {
      const v = args[++i];
      if (!v) fail(`${a} needs a file name.\n${USAGE}`);
      if (a === '--save') saveFile = v;
      else restoreFile = v;
    } else if (a.startsWith('--predict=')) predict = a.slice('--predict='.length);
    else if (a === '--predict-overwrite') overwrite = true;
    else if (a === '--scrollback' || a.startsWith('--scrollback='))
      scrollback = scrollbackArg(a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    else if (a === '-A' || a === '--forward-agent') forwardAgent = {};
    else if (a === '-#') continue;
    else if (a.startsWith('-') && a !== '-') fail(`Unknown option ${a}.\n${USAGE}`);
    else positional.push(a);
  }
  if (predict !== undefined && !MODES.includes(predict as DisplayPreference))
    fail(`Unknown prediction mode ${predict}.`);
  let saved: SavedSession | undefined;
  let ip = '';
  let port = 0;
  let key: Buffer | undefined;
  if (restoreFile) {
    if (positional.length !== 0) fail(USAGE);
    // The session goes on in the file it came from: a second copy elsewhere could be restored a second time from
    // the same sequence numbers (the same nonces under the same key).
    if (saveFile !== undefined && resolvePath(saveFile) !== resolvePath(restoreFile)) {
      fail(
        `--restore ${restoreFile} saves the session back into that file; --save must name the same file or be left out.`,
      );
    }
    saveFile = restoreFile;
    try {
      saved = JSON.parse(readFileSync(restoreFile, 'utf8')) as SavedSession;
    } catch (e) {
      fail(`Cannot read the saved session ${restoreFile}: ${(e as Error).message}`);
    }
  } else {
    if (positional.length !== 2) fail(USAGE);
    const [ipText, portText] = positional;
    ip = ipText;
    port = Number(portText);
    if (!isIP(ip)) fail(`${ip} is not a numeric IP address (the client takes the address the server printed).`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`Bad UDP port (${portText}).`);
    const keyText = process.env.MOSH_KEY;
    delete process.env.MOSH_KEY;
    if (!keyText) fail('MOSH_KEY environment variable not found (it holds the key the server printed).');
    try {
      key = parseKey(keyText);
    } catch (e) {
      fail(e instanceof KeyError ? e.message : String(e));
    }
  }
  runSession({
    ip,
    port,
    key,
    saved,
    predict: predict as DisplayPreference | undefined,
    overwrite,
    saveFile,
    scrollback,
    forwardAgent,
  });
}

interface SessionOptions {
  ip: string;
  port: number;
  key?: Buffer | string;
  /** Continue this saved session instead (ip, port and key are in it). */
  saved?: SavedSession;
  predict?: DisplayPreference;
  overwrite: boolean;
  saveFile?: string;
  /** Lines of scrollback to fill with our server's history (0: none). */
  scrollback: number;
  /** Extra words when the server was never heard from (after connect: ssh worked, so UDP is blocked). */
  noContactHint?: string;
  /** Forward this agent (-A, ForwardAgent). */
  forwardAgent?: ForwardAgentTarget;
}

/** The mosh session on this tty, until it ends (then the process exits with the session's status). */
function runSession(o: SessionOptions): void {
  const { ip, port, key, saved, predict, overwrite, saveFile } = o;
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    fail('mosh needs a terminal: standard input and output must be a tty.');

  const escape = new EscapeKeyHandler(escapeConfig(process.env.MOSH_ESCAPE_KEY));
  const quitHint = escape.config.key === null ? '' : escapeKeyName(escape.config.key);
  const termInit = !process.env.MOSH_NO_TERM_INIT;
  const out = process.stdout;
  const stdin = process.stdin;

  let restored = false;
  // Like stock mosh-client, the session starts on the alternate screen (which keeps no scrollback). With our
  // server and scrollback wanted, it moves to the normal screen so the terminal's own scrollback fills, as with ssh.
  let altScreen = termInit;
  const restoreTty = () => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {
      /* not a tty any more */
    }
    out.write(RESTORE_TERMINAL + (altScreen ? '\x1b[?1049l' : '') + '\r\n');
  };
  const enterTty = () => {
    restored = false;
    stdin.setRawMode(true);
    rawOutput();
    if (altScreen) out.write('\x1b[?1049h');
  };
  process.on('exit', restoreTty);
  process.on('uncaughtException', (e) => {
    restoreTty();
    fail(`mosh: internal error: ${e.stack ?? e}`);
  });

  enterTty();
  const size = { cols: out.columns || 80, rows: out.rows || 24 };
  // Fast redraws leave the old generation full of dead frames for V8 to collect late: collected sooner, after 2 MiB
  // of growth, at most every second and 2 % of the time (see HeapGuard). Not more often: at the server's settings
  // (1 MiB, 100 ms) the client's CPU a frame at 200x50 was 0.527 of stock mosh-client's, against 0.485-0.495 at
  // these (bench clientframe; +3 to +5 ms a frame before V8 kept the per-frame hidden classes, framebuffer.ts).
  // These cost about +0.5 ms in the first seconds (noisy) for 2-4 MiB less private memory at 200x50 (bench
  // memory: 18.5 MiB at the end, 20.4-20.8 at 4 MiB / 2 s). Idle, no frames, no checks.
  const heap = HeapGuard.forThisProcess({ exposeGc: true, growthStep: 2 << 20, timeShare: 50, minSpacingMs: 1000 });
  const events = {
    screen: (d: Buffer) => {
      out.write(d);
      heap.check();
    },
    exit: (e: { code: number; message: string; reason: string }) => {
      restoreTty();
      out.write('[mosh is exiting.]\n');
      if (e.message) process.stderr.write(`\n${e.message}\n`);
      if (e.reason === 'no-contact' && o.noContactHint) process.stderr.write(`\n${o.noContactHint}\n`);
      if (saveFile) rmSync(saveFile, { force: true }); // the session is over: nothing to continue
      process.exit(e.code);
    },
    save: () => persist(),
    peer: (hello: ServerHelloInfo | null) => {
      if (hello === null || hello.historyLines === 0 || o.scrollback === 0 || !altScreen) return;
      altScreen = false;
      out.write('\x1b[?1049l');
      client.repaint();
    },
    // Asked for and not possible: said once, in the notification bar.
    forwarding: (f: ForwardingStatus) => {
      if (!f.on) client.notify(`Agent forwarding is off: ${f.reason}.`, { lifetimeMs: FORWARDING_NOTICE_MS });
    },
  };
  let client: MoshClient;
  try {
    client = saved
      ? MoshClient.restore(saved, events, {
          ...size,
          quitHint,
          scrollback: o.scrollback,
          ...(predict ? { predict } : {}),
          ...(o.forwardAgent ? { forwardAgent: o.forwardAgent } : {}),
        })
      : new MoshClient(
          {
            host: ip,
            port,
            key: key!,
            ...size,
            predict,
            predictOverwrite: overwrite,
            quitHint,
            scrollback: o.scrollback,
            forwardAgent: o.forwardAgent,
          },
          events,
        );
  } catch (e) {
    restoreTty();
    fail(`Cannot continue the saved session: ${(e as Error).message}`);
  }
  // The saved session holds the key: written with owner-only permissions into a new file of our own (never
  // through a planted file or symlink), flushed, then renamed over the old copy. Only then may the client send
  // up to the new floor; a disk error is shown in the bar and sending stops at the last stored floor.
  function persist(): void {
    if (!saveFile) return;
    const saved = client.save();
    try {
      writeSessionFile(saveFile, JSON.stringify(saved));
    } catch (e) {
      client.saveFailed(`${saveFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    client.confirmSaved(saved.seqFloor);
  }
  if (saveFile) {
    persist();
    setInterval(persist, SAVE_INTERVAL_MS).unref();
  }

  stdin.on('data', (chunk: Buffer) => {
    for (const a of escape.feed(chunk)) {
      if (a.type === 'send') client.input(a.bytes, chunk.length > 100);
      else if (a.type === 'quit') void client.close(BAR_TEXT.exitingOnUserRequest);
      else if (a.type === 'help')
        client.notify(a.shown ? BAR_TEXT.escapeHelp(quitHint, String.fromCharCode(escape.config.passKey)) : '', {
          permanent: true,
          showQuitKeystroke: false,
        });
      else if (a.type === 'suspend') {
        restoreTty();
        out.write('\n[mosh is suspended.]\n');
        process.kill(process.pid, 'SIGSTOP');
      }
    }
  });
  stdin.on('end', () => void client.close(BAR_TEXT.exiting));
  stdin.resume(); // a question asked before the session (ssh bootstrap) leaves stdin paused
  process.on('SIGCONT', () => {
    if (!restored) return;
    enterTty();
    client.repaint();
  });
  process.on('SIGWINCH', () => client.resize(out.columns || 80, out.rows || 24));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(sig, () => void client.close(BAR_TEXT.signalReceived));
}

/**
 * Output as stock mosh-client's cfmakeraw leaves it: Node's raw mode (libuv's) keeps output processing on (OPOST,
 * ONLCR), so the kernel turns every LF the display differ writes into CR LF (moving the cursor where the differ
 * does not expect it) and scans every byte: ~0.6 ms of kernel time per 46 KB frame, ten times the write without
 * it. `stty -opost` on this tty (stdin); setRawMode(false) puts the settings saved before raw mode back.
 */
function rawOutput(): void {
  if (process.platform === 'win32') return;
  try {
    execFileSync('stty', ['-opost'], { stdio: [0, 'ignore', 'ignore'], timeout: 2000 });
  } catch {
    /* no stty: output processing stays on (correct apart from the cost and LF) */
  }
}

/** Writes `text` to `file` atomically and durably, through an exclusively created temporary file (mode 0600). */
function writeSessionFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dir = openSync(dirname(resolvePath(file)), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    /* some systems cannot fsync a folder; the rename is still atomic */
  }
}

/** Colours for the server's -c, from this terminal's TERM (as the wrapper asks terminfo). */
function terminalColors(env: NodeJS.ProcessEnv): number {
  return /256|truecolor|direct|kitty|alacritty|wezterm/i.test(env.TERM ?? '') ||
    /truecolor|24bit/i.test(env.COLORTERM ?? '')
    ? 256
    : 8;
}

async function runConnect(args: string[]): Promise<void> {
  let sshPort: number | undefined;
  const identities: string[] = [];
  let ports: string | undefined;
  let server = 'auto';
  let predict: string | undefined = process.env.MOSH_PREDICTION_DISPLAY;
  let overwrite = process.env.MOSH_PREDICTION_OVERWRITE === 'yes';
  let verbose = false;
  let scrollback = DEFAULT_SCROLLBACK;
  let forward: boolean | undefined;
  let target: string | undefined;
  let command: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string) => {
      const v = args[++i];
      if (v === undefined) fail(`${name} needs a value.\n${USAGE}`);
      return v;
    };
    const eq = (name: string) => (a.startsWith(`${name}=`) ? a.slice(name.length + 1) : undefined);
    if (a === '--') {
      command = args.slice(i + 1);
      break;
    } else if (a === '--ssh-port' || eq('--ssh-port') !== undefined) {
      const t = eq('--ssh-port') ?? value(a);
      sshPort = Number(t);
      if (!/^\d+$/.test(t) || sshPort < 1 || sshPort > 65535) fail(`Bad ssh port "${t}".`);
    } else if (a === '-i') identities.push(value(a));
    else if (a.startsWith('-i') && !a.startsWith('--')) identities.push(a.slice(2));
    else if (a === '-p' || a === '--port') ports = value(a);
    else if (eq('--port') !== undefined) ports = eq('--port');
    else if (a.startsWith('-p') && !a.startsWith('--')) ports = a.slice(2);
    else if (a === '--server') server = value(a);
    else if (eq('--server') !== undefined) server = eq('--server')!;
    else if (eq('--predict') !== undefined) predict = eq('--predict');
    else if (a === '--predict-overwrite') overwrite = true;
    else if (a === '--scrollback' || a.startsWith('--scrollback='))
      scrollback = scrollbackArg(a.includes('=') ? a.slice(a.indexOf('=') + 1) : value(a));
    else if (a === '-v' || a === '--verbose') verbose = true;
    else if (a === '-A' || a === '--forward-agent') forward = true;
    else if (a === '-a' || a === '--no-forward-agent') forward = false;
    else if (a.startsWith('-') && a !== '-') fail(`Unknown option ${a}.\n${USAGE}`);
    else if (target === undefined) target = a;
    else {
      command = args.slice(i); // like mosh: what follows the host is the command
      break;
    }
  }
  if (!target) fail(USAGE);
  if (predict !== undefined && !MODES.includes(predict as DisplayPreference))
    fail(`Unknown prediction mode ${predict}.`);
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    fail('mosh needs a terminal: standard input and output must be a tty.');
  const home = homedir();
  const identityFiles = identities.map((f) =>
    resolvePath(f === '~' ? home : f.startsWith('~/') ? join(home, f.slice(2)) : f),
  );

  // Ctrl-C while connecting (at a question too) cancels the bootstrap, which ends whatever it started remotely.
  const cancel = new AbortController();
  const onInterrupt = () => cancel.abort();
  process.on('SIGINT', onInterrupt);
  // The ssh side (ssh2 and its 16 MiB WebAssembly memory) is loaded only for `connect`, never for `client`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bootstrap, udpBlockedHint } = require('../ssh') as typeof import('../ssh');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BootstrapError } = require('../ssh') as typeof import('../ssh');
  let r;
  try {
    r = await bootstrap({
      target,
      signal: cancel.signal,
      prompter: new TtyPrompter({ onInterrupt }),
      server,
      ports,
      colors: terminalColors(process.env),
      command: command?.length ? command : undefined,
      resolve: { port: sshPort, identityFiles },
      log: verbose ? (l) => process.stderr.write(`mosh: ${l}\n`) : undefined,
    });
  } catch (e) {
    if (e instanceof BootstrapError) fail(e.message, e.code === 'cancelled' ? 130 : 255);
    fail(`mosh: internal error: ${(e as Error).stack ?? e}`, 255);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  if (scrollback > 0 && r.server.kind !== 'bundled')
    process.stderr.write(
      `mosh: ${r.server.description} keeps no scrollback history: only what the screen shows scrolls by.\n`,
    );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { forwardTarget, pageantStream } = require('../ssh') as typeof import('../ssh');
  let forwardAgent = forwardTarget(r.host, forward) ?? undefined;
  if (process.platform === 'win32') setPageantProvider(pageantStream);
  if (forwardAgent && r.server.kind !== 'bundled') {
    // Only our server forwards an agent: said before the session starts, and the session goes on without it.
    process.stderr.write(
      `mosh: agent forwarding is off: the mosh server on ${r.host.hostname} is ${r.server.description}, which cannot forward an ssh agent (only ours can).\n`,
    );
    forwardAgent = undefined;
  }
  runSession({
    ip: r.ip,
    port: r.port,
    key: r.key,
    predict: predict as DisplayPreference | undefined,
    overwrite,
    scrollback,
    noContactHint: udpBlockedHint(r, ports),
    forwardAgent,
  });
}

// A terminal client is a small, long-lived process: V8 would grow its young generation to 32 MiB under a fast
// screen (most of the process's private memory) although almost nothing survives a frame. Keeping it at its
// initial 2 MiB costs more, cheaper scavenges. (Only here: the VS Code extension host's heap is not ours to tune.)
// Launched as an executable, dist/cli.js also gets node flags from its first line (esbuild.mjs's CLI_NODE_FLAGS):
// no V8 worker threads, whose malloc arenas and stacks would cost ~7 MiB for a heap this small.
setV8Flags('--semi-space-growth-factor=1');

const [command, ...rest] = process.argv.slice(2);
if (command === '--version' || command === '-v') process.stdout.write(`${VERSION}\n`);
else if (command === 'client') runClient(rest);
else if (command === 'connect') void runConnect(rest);
else if (command === undefined || command === '--help' || command === '-h') process.stdout.write(`${USAGE}\n`);
else fail(`Unknown command ${command}.\n${USAGE}`);
