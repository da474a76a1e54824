// The foreground half of our mosh-server (main.ts): parses the command line, chooses the locale, starts the
// session process detached (Node cannot fork), prints its `MOSH CONNECT <port> <key>` and returns, so the ssh
// connection that started it can close. Loaded only in the foreground, so the session process never loads what
// only this needs (child_process, readline).

import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { createInterface } from 'node:readline';
import { parseServerArgs, USAGE } from './args';
import { DAEMON_ENV, DAEMON_FLAG, DAEMON_NODE_FLAGS, type DaemonConfig, VERSION } from './launch';
import { chooseLocale } from './locale';

export function errorExit(text: string, code = 1): never {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  process.exit(code);
}

export async function foreground(argv: string[]): Promise<void> {
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
  process.stderr.write(
    `\n${VERSION}\nMIT licensed; speaks the mosh 1.4 protocol.\n\n[mosh-server detached, pid = ${child.pid}]\n`,
  );
  child.stdout!.destroy();
  child.unref();
}
