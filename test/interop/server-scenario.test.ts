// Interop: Debian's stock mosh-client against our server (dist/server.js), running the same user scenario as
// against the stock mosh-server, and ending with the same screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from '../support/peers';
import { type ServerStartOptions, type StockServer, startOurServer, startStockServer, until } from '../support/stock';
import { startStockClient } from '../support/stockclient';

const PROMPT = /^\$ ?$/;

interface Outcome {
  lines: string[];
  cells: string[];
  exitCode: number | null;
}

/**
 * The user scenario of the server issue, through the stock client. `altScreen`: the server restores the screen
 * after a full-screen program (ours does; stock mosh has no alternate screen, so vim's last screen stays).
 */
async function scenario(
  label: string,
  start: (o: ServerStartOptions) => Promise<StockServer>,
  quit: 'exit' | 'escape',
  altScreen: boolean,
  token: string,
): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'mosh-home-'));
  const server = await start({ command: ['/bin/sh'], env: { HOME: home, PS1: '$ ', ENV: '' } });
  const client = startStockClient(server.port, server.key, 80, 24);
  const lastPrompt = (lines: string[]) => lines.some((l) => PROMPT.test(l));
  try {
    await client.waitText((_t, lines) => lastPrompt(lines), 10_000, `${label}: the prompt`);
    // Synchronise on output, never on a screen that may already look right (type-ahead would race `clear`).
    client.type('clear; echo "rea""dy"\r');
    await client.waitText(
      (_t, lines) => lines[0] === 'ready' && PROMPT.test(lines[1]),
      10_000,
      `${label}: a cleared screen`,
    );

    client.type(`echo "tok""${token}"\r`);
    await client.waitText((_t, lines) => lines.includes(`tok${token}`), 10_000, `${label}: echo output`);

    client.resize(90, 25);
    await new Promise((r) => setTimeout(r, 300));
    client.type('tput cols; tput lines\r');
    await client.waitText(
      (_t, lines) => lines.includes('90') && lines.includes('25'),
      10_000,
      `${label}: tput after resize`,
    );

    client.type("printf '\\344\\270\\255\\346\\226\\207 e\\314\\201x\\n'\r");
    await client.waitText((_t, lines) => lines.some((l) => l.startsWith('中文')), 10_000, `${label}: wide characters`);
    const buf = client.screen.term.buffer.active;
    const y = client.screen.lines().findIndex((l) => l.startsWith('中文'));
    const line = buf.getLine(buf.viewportY + y)!;
    const cell = (x: number) => [line.getCell(x)!.getChars(), line.getCell(x)!.getWidth()];
    assert.deepEqual(
      [cell(0), cell(1), cell(2), cell(3), cell(4), cell(5), cell(6)],
      [
        ['中', 2],
        ['', 0],
        ['文', 2],
        ['', 0],
        [' ', 1],
        ['e\u0301', 1],
        ['x', 1],
      ],
      `${label}: cells`,
    );

    client.type('vim -u NONE -N -i NONE notes.txt\r');
    await client.waitText(
      (t, lines) => lines.filter((l) => l === '~').length > 10 && t.includes('notes.txt'),
      15_000,
      `${label}: vim`,
    );
    client.type('ihello from vim\x1b');
    await client.waitText((_t, lines) => lines[0] === 'hello from vim', 10_000, `${label}: typed text in vim`);
    client.type(':wq\r');
    await client.waitText(
      (_t, lines) => PROMPT.test(lines.filter((l) => l !== '').at(-1) ?? ''),
      10_000,
      `${label}: the prompt after vim`,
    );
    assert.equal(readFileSync(join(home, 'notes.txt'), 'utf8'), 'hello from vim\n');
    if (altScreen) {
      await client.waitText(
        (_t, lines) => lines.includes(`tok${token}`) && lines.includes('90') && !lines.includes('~'),
        10_000,
        `${label}: the screen from before vim restored`,
      );
    }

    // A common ending, so both servers' final screens can be compared cell for cell.
    client.type(
      `clear; echo "do""ne ${token}"; printf '\\344\\270\\255 \\033[1;31mred\\033[0m \\033[48;5;33mbg\\033[0m\\n'; tput cols\r`,
    );
    await client.waitText(
      (_t, lines) => lines[0] === `done ${token}` && lines[2] === '90' && PROMPT.test(lines[3]),
      10_000,
      `${label}: the final screen`,
    );
    await client.settled();
    const lines = client.screen.lines();
    const cells = client.screen.cells();

    if (quit === 'exit') client.type('exit\r');
    else client.type('\x1e.');
    await until(() => client.exitCode() !== null, 15_000, `${label}: mosh-client to exit`);
    await until(() => !server.alive(), 15_000, `${label}: the server to exit`);
    return { lines, cells, exitCode: client.exitCode() };
  } finally {
    client.close();
    server.kill();
    rmSync(home, { recursive: true, force: true });
  }
}

test(
  'stock client: the same scenario against stock mosh-server and against ours ends with the same screen',
  needs('mosh-server', 'mosh-client', 'vim'),
  async () => {
    const token = randomBytes(5).toString('hex');
    const stock = await scenario('stock server', startStockServer, 'exit', false, token);
    const ours = await scenario('our server', startOurServer, 'exit', true, token);
    assert.equal(stock.exitCode, 0, 'stock client exits 0 when the shell exits (stock server)');
    assert.equal(ours.exitCode, 0, 'stock client exits 0 when the shell exits (our server)');
    assert.deepEqual(ours.lines, stock.lines);
    assert.deepEqual(ours.cells, stock.cells, 'same colours and attributes in every cell');
  },
);

test(
  'stock client: Ctrl-^ . ends a session on our server cleanly, and the server exits',
  needs('mosh-client', 'vim'),
  async () => {
    const ours = await scenario('our server', startOurServer, 'escape', true, randomBytes(5).toString('hex'));
    assert.equal(ours.exitCode, 0);
  },
);
