// Complete scrollback (our client with our server): everything printed reaches the user's terminal scrollback,
// complete, in order, each line once, as in a local terminal: through a clean link and a lossy, reordering one;
// with colours and wide characters, line for line and attribute for attribute what a local tmux pane keeps; after
// a kill -9 and --restore in a fresh terminal; and nothing from the alternate screen or a scroll region.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { needs } from '../support/peers';
import { ImpairmentRelay } from '../support/relay';
import { startOurServer, type StockServer, until } from '../support/stock';
import { Tmux } from '../support/tmux';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const node = process.execPath;

/** The numeric lines (trailing blanks ignored: tmux keeps cells erased with EL as spaces). */
function numbers(lines: string[]): number[] {
  return lines
    .map((l) => l.trimEnd())
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

function assertAllOnce(got: number[], n: number, what: string): void {
  const missing = [];
  for (let i = 1; i <= n && missing.length < 10; i++) if (!got.includes(i)) missing.push(i);
  assert.deepEqual(missing, [], `${what}: missing lines`);
  assert.equal(got.length, n, `${what}: each line once (${got.length} numeric lines)`);
  assert.ok(
    got.every((x, i) => x === i + 1),
    `${what}: in order`,
  );
}

/** Compares two line lists and names the first difference (a whole-array diff of 600 lines is unreadable). */
function sameLines(got: string[], want: string[], what: string): void {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i])
      assert.fail(
        `${what}: line ${i + 1} of ${want.length} differs:\n  got  ${JSON.stringify(got[i])}\n  want ${JSON.stringify(want[i])}`,
      );
  }
}

/**
 * The terminal's lines once its numeric lines number `n` (or after `timeoutMs`, for the assertion to name what is
 * missing). After a flood, the history lines beyond the first HISTORY_FLOOD_LINES (server/extensions.ts) follow
 * the screen's last frame in steps, so they can arrive after the command's last line shows: more so through loss,
 * and on a busy machine.
 */
async function historyLines(tmux: Tmux, name: string, n: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = tmux.lines(name);
    if (numbers(lines).length >= n || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function session(tmux: Tmux, name: string, port: number, key: string, extra: string[] = []): Promise<void> {
  tmux.start(name, `exec ${node} ${CLI} client --predict=never ${extra.join(' ')} 127.0.0.1 ${port}`, 80, 24, 100_000, {
    MOSH_KEY: key,
  });
  await until(() => tmux.screen(name).some((l) => l.startsWith('$')), 15_000, `${name}: the prompt`);
}

async function run(tmux: Tmux, name: string, command: string, timeoutMs = 30_000): Promise<string[]> {
  tmux.type(name, `${command}; echo "DO""NE"`);
  tmux.keys(name, 'Enter');
  await until(() => tmux.lines(name).includes('DONE'), timeoutMs, `${name}: ${command} to finish`);
  await new Promise((r) => setTimeout(r, 300));
  return tmux.lines(name);
}

test(
  "seq 1 3000 through our client and server: the terminal's scrollback has every line, in order, once",
  needs('tmux'),
  async () => {
    const server = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ' } });
    const tmux = new Tmux();
    try {
      await session(tmux, 'clean', server.port, server.key);
      await run(tmux, 'clean', 'seq 1 3000');
      assertAllOnce(numbers(await historyLines(tmux, 'clean', 3000)), 3000, 'clean link');
      assert.ok(tmux.historySize('clean') >= 3000 - 24, "the lines are in the terminal's history, not only on screen");
    } finally {
      tmux.kill();
      server.kill();
    }
  },
);

test("clear (CSI 3J) empties the terminal's scrollback as it does the server's", needs('tmux'), async () => {
  const server = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ' } });
  const tmux = new Tmux();
  try {
    tmux.start('local', '/bin/sh', 80, 24, 100_000, { PS1: '$ ' });
    await session(tmux, 'mosh', server.port, server.key);
    const clear = `seq 1 500; printf '\\033[H\\033[2J\\033[3J'; seq 501 510`;
    await run(tmux, 'local', clear);
    await run(tmux, 'mosh', clear);
    assert.ok(tmux.historySize('mosh') < 24, `the scrollback was cleared (${tmux.historySize('mosh')} lines left)`);
    assert.equal(tmux.historySize('mosh'), tmux.historySize('local'), 'as much left as in a local terminal');
    assert.deepEqual(numbers(tmux.lines('mosh')), numbers(tmux.lines('local')));
  } finally {
    tmux.kill();
    server.kill();
  }
});

test('the same at 20 % loss each way with reordering', needs('tmux'), async () => {
  const server = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ' } });
  const relay = await ImpairmentRelay.start({ upstreamPort: server.port, seed: 12 });
  const tmux = new Tmux();
  try {
    await session(tmux, 'lossy', relay.port, server.key);
    relay.set('both', { loss: 0.2, reorder: 0.2, delayMs: 10, jitterMs: 10 });
    await run(tmux, 'lossy', 'seq 1 4000', 90_000);
    assertAllOnce(numbers(await historyLines(tmux, 'lossy', 4000)), 4000, '20 % loss');
  } finally {
    tmux.kill();
    await relay.close();
    server.kill();
  }
});

test(
  'colours and wide characters: the scrollback is what a local terminal keeps, attribute for attribute',
  needs('tmux'),
  async () => {
    const server = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ' } });
    const tmux = new Tmux();
    const script = `i=0; while [ $i -lt 600 ]; do i=$((i+1)); printf '\\033[3%dm%04d 中文 é\\033[1m bold\\033[0m plain %s\\n' $((i%8)) $i "$(printf '%*s' $((i%70)) '' | tr ' ' x)"; done`;
    try {
      tmux.start('local', '/bin/sh', 80, 24, 100_000, { PS1: '$ ' });
      await session(tmux, 'mosh', server.port, server.key);
      const local = await run(tmux, 'local', script, 60_000);
      const mosh = await run(tmux, 'mosh', script, 60_000);
      const body = (lines: string[]) => lines.filter((l) => /\d{4} /.test(l));
      assert.equal(body(local).length, 600);
      sameLines(body(tmux.lines('mosh', true)), body(tmux.lines('local', true)), 'cells and attributes of every line');
      sameLines(body(mosh), body(local), 'text of every line');
    } finally {
      tmux.kill();
      server.kill();
    }
  },
);

test(
  "a client killed with -9 and restored in a fresh terminal gets the history back into that terminal's scrollback",
  needs('tmux'),
  async () => {
    const server: StockServer = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ' } });
    const dir = mkdtempSync(join(tmpdir(), 'mosh-scrollback-'));
    const file = join(dir, 'session.json');
    const tmux = new Tmux();
    try {
      await session(tmux, 'first', server.port, server.key, ['--save', file]);
      await run(tmux, 'first', 'seq 1 2000');
      await new Promise((r) => setTimeout(r, 2500)); // a periodic save after the output
      process.kill(tmux.pid('first'), 'SIGKILL');
      tmux.start('second', `exec ${node} ${CLI} client --restore ${file}`, 80, 24);
      let lines: string[] = [];
      await until(
        () => numbers((lines = tmux.lines('second'))).length >= 2000,
        20_000,
        'the history in the restored terminal',
      );
      assertAllOnce(numbers(lines), 2000, 'restored');
      assert.ok(tmux.historySize('second') >= 2000 - 24, 'in its scrollback');
    } finally {
      tmux.kill();
      server.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('the alternate screen and a scroll region add nothing to the history', needs('tmux'), async () => {
  const server = await startOurServer({ command: ['/bin/sh'], env: { PS1: '$ ' } });
  const tmux = new Tmux();
  try {
    await session(tmux, 'alt', server.port, server.key);
    // 300 lines on the alternate screen, then 300 in a scroll region of rows 2-10, then back to normal.
    await run(
      tmux,
      'alt',
      `printf '\\033[?1049h'; seq 1001 1300; printf '\\033[?1049l\\033[2;10r\\033[10;1H'; seq 2001 2300; printf '\\033[r\\033[24;1H'`,
    );
    const nums = numbers(tmux.lines('alt'));
    assert.deepEqual(
      nums.filter((n) => n > 1000 && n <= 1300 && n < 1290),
      [],
      'alternate-screen lines are not history',
    );
    assert.ok(nums.filter((n) => n > 2000 && n < 2290).length === 0, 'lines leaving a scroll region are not history');
  } finally {
    tmux.kill();
    server.kill();
  }
});
