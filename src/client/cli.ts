// Entry point of dist/cli.js, the terminal front end of MoshClient:
//   MOSH_KEY=KEY node dist/cli.js client [--predict=adaptive|always|never|experimental] [--predict-overwrite] IP PORT
// a drop-in for stock mosh-client (its environment variables too). Raw tty, window-size changes followed, the
// escape key, and the tty restored on every exit path. Not the ssh bootstrap (the "connect" command comes with
// the ssh issue).

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { DisplayPreference } from '../predict';
import { BAR_TEXT, escapeKeyName } from '../predict';
import { KeyError, parseKey } from '../transport/key';
import { EscapeKeyHandler, escapeConfig } from './escape';
import { MoshClient, type SavedSession } from './moshclient';

const VERSION = 'vscode-mosh client 0.1.0 (mosh protocol 2, compatible with mosh 1.4)';
const MODES: DisplayPreference[] = ['adaptive', 'always', 'never', 'experimental'];
const USAGE =
  `Usage: MOSH_KEY=KEY node dist/cli.js client [--predict=${MODES.join('|')}] [--predict-overwrite] [--save FILE] IP PORT\n` +
  `       node dist/cli.js client --restore FILE [--save FILE]     (continue a saved session in a new process)`;
const SAVE_INTERVAL_MS = 2000;

/** Leaves every mode the remote application may have set, then the alternate screen. */
const RESTORE_TERMINAL = '\x1b[0m\x1b[?25h\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1004l\x1b[?5l';

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
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--save' || a === '--restore') {
      const v = args[++i];
      if (!v) fail(`${a} needs a file name.\n${USAGE}`);
      if (a === '--save') saveFile = v;
      else restoreFile = v;
    } else if (a.startsWith('--predict=')) predict = a.slice('--predict='.length);
    else if (a === '--predict-overwrite') overwrite = true;
    else if (a === '-#') continue;
    else if (a.startsWith('-') && a !== '-') fail(`Unknown option ${a}.\n${USAGE}`);
    else positional.push(a);
  }
  if (predict !== undefined && !MODES.includes(predict as DisplayPreference)) fail(`Unknown prediction mode ${predict}.`);
  let saved: SavedSession | undefined;
  let ip = '';
  let port = 0;
  let key: Buffer | undefined;
  if (restoreFile) {
    if (positional.length !== 0) fail(USAGE);
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
  if (!process.stdin.isTTY || !process.stdout.isTTY) fail('mosh needs a terminal: standard input and output must be a tty.');

  const escape = new EscapeKeyHandler(escapeConfig(process.env.MOSH_ESCAPE_KEY));
  const quitHint = escape.config.key === null ? '' : escapeKeyName(escape.config.key);
  const termInit = !process.env.MOSH_NO_TERM_INIT;
  const out = process.stdout;
  const stdin = process.stdin;

  let restored = false;
  const restoreTty = () => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {
      /* not a tty any more */
    }
    out.write(RESTORE_TERMINAL + (termInit ? '\x1b[?1049l' : '') + '\r\n');
  };
  const enterTty = () => {
    restored = false;
    stdin.setRawMode(true);
    if (termInit) out.write('\x1b[?1049h');
  };
  process.on('exit', restoreTty);
  process.on('uncaughtException', (e) => {
    restoreTty();
    fail(`mosh: internal error: ${e.stack ?? e}`);
  });

  enterTty();
  const size = { cols: out.columns || 80, rows: out.rows || 24 };
  const events = {
    screen: (d: string) => out.write(d),
    exit: (e: { code: number; message: string }) => {
      restoreTty();
      out.write('[mosh is exiting.]\n');
      if (e.message) process.stderr.write(`\n${e.message}\n`);
      if (saveFile) rmSync(saveFile, { force: true }); // the session is over: nothing to continue
      process.exit(e.code);
    },
    save: () => persist(),
  };
  let client: MoshClient;
  try {
    client = saved
      ? MoshClient.restore(saved, events, { ...size, quitHint, ...(predict ? { predict: predict as DisplayPreference } : {}) })
      : new MoshClient({ host: ip, port, key: key!, ...size, predict: predict as DisplayPreference | undefined, predictOverwrite: overwrite, quitHint }, events);
  } catch (e) {
    restoreTty();
    fail(`Cannot continue the saved session: ${(e as Error).message}`);
  }
  // The saved session holds the key: written with owner-only permissions, atomically (temp file + rename).
  function persist(): void {
    if (!saveFile) return;
    const tmp = `${saveFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(client.save()), { mode: 0o600 });
    renameSync(tmp, saveFile);
  }
  if (saveFile) {
    persist();
    setInterval(persist, SAVE_INTERVAL_MS).unref();
  }

  stdin.on('data', (chunk: Buffer) => {
    for (const a of escape.feed(chunk)) {
      if (a.type === 'send') client.input(a.bytes, chunk.length > 100);
      else if (a.type === 'quit') void client.close(BAR_TEXT.exitingOnUserRequest);
      else if (a.type === 'help') client.notify(a.shown ? BAR_TEXT.escapeHelp(quitHint, String.fromCharCode(escape.config.passKey)) : '', { permanent: true, showQuitKeystroke: false });
      else if (a.type === 'suspend') {
        restoreTty();
        out.write('\n[mosh is suspended.]\n');
        process.kill(process.pid, 'SIGSTOP');
      }
    }
  });
  stdin.on('end', () => void client.close(BAR_TEXT.exiting));
  process.on('SIGCONT', () => {
    if (!restored) return;
    enterTty();
    client.repaint();
  });
  process.on('SIGWINCH', () => client.resize(out.columns || 80, out.rows || 24));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void client.close(BAR_TEXT.signalReceived));
}

const [command, ...rest] = process.argv.slice(2);
if (command === '--version' || command === '-v') process.stdout.write(`${VERSION}\n`);
else if (command === 'client') runClient(rest);
else if (command === undefined || command === '--help' || command === '-h') process.stdout.write(`${USAGE}\n`);
else fail(`Unknown command ${command}.\n${USAGE}`);
