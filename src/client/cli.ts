// Entry point of dist/cli.js, the terminal front end of MoshClient:
//   MOSH_KEY=KEY node dist/cli.js client [--predict=adaptive|always|never|experimental] [--predict-overwrite] IP PORT
// a drop-in for stock mosh-client (its environment variables too). Raw tty, window-size changes followed, the
// escape key, and the tty restored on every exit path. Not the ssh bootstrap (the "connect" command comes with
// the ssh issue).

import { isIP } from 'node:net';
import type { DisplayPreference } from '../predict';
import { BAR_TEXT, escapeKeyName } from '../predict';
import { KeyError, parseKey } from '../transport/key';
import { EscapeKeyHandler, escapeConfig } from './escape';
import { MoshClient } from './moshclient';

const VERSION = 'vscode-mosh client 0.1.0 (mosh protocol 2, compatible with mosh 1.4)';
const MODES: DisplayPreference[] = ['adaptive', 'always', 'never', 'experimental'];
const USAGE = `Usage: MOSH_KEY=KEY node dist/cli.js client [--predict=${MODES.join('|')}] [--predict-overwrite] IP PORT`;

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
  for (const a of args) {
    if (a.startsWith('--predict=')) predict = a.slice('--predict='.length);
    else if (a === '--predict-overwrite') overwrite = true;
    else if (a === '-#') continue;
    else if (a.startsWith('-') && a !== '-') fail(`Unknown option ${a}.\n${USAGE}`);
    else positional.push(a);
  }
  if (predict !== undefined && !MODES.includes(predict as DisplayPreference)) fail(`Unknown prediction mode ${predict}.`);
  if (positional.length !== 2) fail(USAGE);
  const [ip, portText] = positional;
  const port = Number(portText);
  if (!isIP(ip)) fail(`${ip} is not a numeric IP address (the client takes the address the server printed).`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`Bad UDP port (${portText}).`);
  const keyText = process.env.MOSH_KEY;
  delete process.env.MOSH_KEY;
  if (!keyText) fail('MOSH_KEY environment variable not found (it holds the key the server printed).');
  let key: Buffer;
  try {
    key = parseKey(keyText);
  } catch (e) {
    fail(e instanceof KeyError ? e.message : String(e));
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
  const client = new MoshClient(
    { host: ip, port, key, cols: out.columns || 80, rows: out.rows || 24, predict: predict as DisplayPreference | undefined, predictOverwrite: overwrite, quitHint },
    {
      screen: (d) => out.write(d),
      exit: (e) => {
        restoreTty();
        out.write('[mosh is exiting.]\n');
        if (e.message) process.stderr.write(`\n${e.message}\n`);
        process.exit(e.code);
      },
    },
  );

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
