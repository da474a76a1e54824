// The terminal client (dist/cli.js under a pty) frozen with SIGSTOP for longer than the retry timeout
// (ACTIVE_RETRY_TIMEOUT, 10 s), then continued with SIGCONT, against stock mosh-server and against ours: the
// session goes on, the notification bar told the user how long ago the server was last heard from, and every
// keystroke typed before, during (queued in the pty while the client was stopped) and after the freeze reached
// the shell exactly once: `cat > file` receives them, and the file must hold exactly what was typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { needs } from '../support/peers';
import {
  type ServerStartOptions,
  type StockServer,
  Screen,
  startOurServer,
  startStockServer,
  until,
} from '../support/stock';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const FREEZE_MS = 11_500;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function freezeAndContinue(label: string, start: (o: ServerStartOptions) => Promise<StockServer>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-freeze-'));
  const server = await start({ command: ['/bin/sh'], env: { HOME: dir, PS1: '$ ', ENV: '' } });
  const screen = new Screen(80, 24);
  const proc = pty.spawn(process.execPath, [CLI, 'client', '127.0.0.1', String(server.port)], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    env: { ...process.env, MOSH_KEY: server.key, LANG: 'C.UTF-8', TERM: 'xterm-256color', MOSH_NO_TERM_INIT: '1' },
  });
  let raw = '';
  let written = Promise.resolve();
  proc.onData((d) => {
    raw += d;
    written = written.then(() => screen.write(d));
  });
  let exitCode: number | null = null;
  proc.onExit((e) => (exitCode = e.exitCode));
  let stopped = false;
  const waitScreen = async (pred: (lines: string[]) => boolean, ms: number, what: string) => {
    try {
      await until(async () => (await written, pred(screen.lines())), ms, `${label}: ${what}`);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}; the screen shows:\n${screen
          .lines()
          .map((l) => `|${l}`)
          .join('\n')}`,
      );
    }
  };
  try {
    await waitScreen((l) => l.includes('$'), 10_000, 'the prompt');
    proc.write(`cd ${dir} && cat > typed.txt\r`);
    await waitScreen((l) => l.some((x) => x.endsWith('cat > typed.txt')), 5_000, 'the command echoed');
    // Typed as a person would, a line at a time.
    proc.write('before one\r');
    await waitScreen((l) => l.includes('before one'), 5_000, 'the first line');
    proc.write('before two\r');
    await waitScreen((l) => l.includes('before two'), 5_000, 'the second line');

    process.kill(proc.pid, 'SIGSTOP');
    stopped = true;
    await sleep(1_000);
    await written;
    const frozenAt = raw.length; // (what the client wrote just before it stopped may arrive after the signal)
    // The client is stopped: these keystrokes wait in the pty until it reads them after SIGCONT.
    proc.write('during freeze\r');
    await sleep(FREEZE_MS - 1_000);
    assert.equal(raw.length, frozenAt, 'a stopped client draws nothing');
    const resumedAt = raw.length;
    process.kill(proc.pid, 'SIGCONT');
    stopped = false;

    // The notification bar: "mosh: Last contact 11 seconds ago. [To quit: Ctrl-^ .]" (or 12, by timing).
    await until(
      () => /Last contact \d+ seconds ago/.test(raw.slice(resumedAt)),
      5_000,
      `${label}: the last-contact warning`,
    );
    const seconds = Number(/Last contact (\d+) seconds ago/.exec(raw.slice(resumedAt))![1]);
    assert.ok(seconds >= 10 && seconds <= 20, `the bar counts the freeze: ${seconds} s`);
    assert.match(raw.slice(resumedAt), /mosh: Last contact \d+ seconds ago\. \[To quit: Ctrl-\^ \.\]/);

    // The session continues: the queued line arrives, the bar goes away once the server is heard again.
    await waitScreen((l) => l.includes('during freeze'), 10_000, 'the line typed during the freeze');
    await waitScreen((l) => !l[0].includes('Last contact'), 10_000, 'the bar to go away');
    proc.write('after resume\r');
    await waitScreen((l) => l.includes('after resume'), 5_000, 'the line typed after the freeze');
    proc.write('\x04'); // end cat's input
    await waitScreen(
      (l) => l.at(-1) === '$' || l.filter((x) => x !== '').at(-1) === '$',
      5_000,
      'the prompt after cat',
    );
    assert.equal(
      readFileSync(join(dir, 'typed.txt'), 'utf8'),
      'before one\nbefore two\nduring freeze\nafter resume\n',
      'every keystroke exactly once',
    );

    // And a command typed afterwards runs.
    proc.write('echo "af""ter $((6*7))"\r');
    await waitScreen((l) => l.includes('after 42'), 5_000, 'a command after the freeze');

    proc.write('\x1e.');
    await until(() => exitCode !== null, 10_000, `${label}: the client to exit`);
    assert.equal(exitCode, 0, 'the client quits cleanly');
    assert.match(raw, /\[mosh is exiting\.\]/);
    await until(() => !server.alive(), 10_000, `${label}: the server to exit`);
  } finally {
    if (stopped) process.kill(proc.pid, 'SIGCONT');
    if (exitCode === null) {
      try {
        proc.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    await written;
    screen.dispose();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'dist/cli.js frozen 11.5 s with SIGSTOP then continued, stock mosh-server: the session goes on, the bar showed the last contact, no keystroke lost or doubled',
  needs('mosh-server'),
  async () => {
    await freezeAndContinue('stock server', startStockServer);
  },
);

test('dist/cli.js frozen 11.5 s with SIGSTOP then continued, our server: the session goes on, the bar showed the last contact, no keystroke lost or doubled', async () => {
  await freezeAndContinue('our server', startOurServer);
});
