// Black-box check of the 'mosh' vocabulary against the stock mosh 1.4 emulator: the diffs for a random session
// are cat'ed inside a real mosh-server, a real mosh-client draws the result into a pty, and what it shows must
// be what the last snapshot says (text, cursor, title, and renditions up to what mosh keeps of them). Skipped
// where mosh is not installed. Known mosh differences, left out of the comparison: mosh drops dim (2),
// strikethrough (9) and overline (53), writes palette colours below 16 its own way, and keeps a combining mark
// without a base character in a cell of its own (so the random session has none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator, newFrame, rowText, type Snapshot } from '../../src/emulator/index';
import { int, randomChunk, rng } from './support/generators';

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveMosh = which('mosh-server') && which('mosh-client');

/** A style reduced to what mosh 1.4 keeps: bold, italic, underline, blink, inverse, invisible, colours. */
function moshKept(style: string): string {
  const p = style === '' ? [] : style.split(';');
  const attrs = new Set<string>();
  let fg = '';
  let bg = '';
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === '38' || v === '48') {
      const rgb = p[i + 1] === '2';
      const c = rgb ? p.slice(i + 2, i + 5).join(',') : p[i + 2];
      i += rgb ? 4 : 2;
      if (v === '38') fg = c;
      else bg = c;
    } else if (v === '58') {
      i += p[i + 1] === '2' ? 4 : 2;
    } else {
      const n = Number(v.split(':')[0]);
      if (n >= 30 && n <= 37) fg = String(n - 30);
      else if (n >= 90 && n <= 97) fg = String(n - 82);
      else if (n >= 40 && n <= 47) bg = String(n - 40);
      else if (n >= 100 && n <= 107) bg = String(n - 92);
      else if ([1, 3, 4, 5, 7, 8].includes(n)) attrs.add(String(n));
    }
  }
  return `${[...attrs].sort().join(',')}|${fg}|${bg}`;
}

async function runSession(seed: number, dir: string): Promise<{ got: Snapshot; want: Snapshot }> {
  const pty = await import('@lydell/node-pty');
  const cols = 80;
  const rows = 24;
  const r = rng(seed);
  const em = new Emulator(cols, rows);
  let prev: Snapshot | null = null;
  let stream = '';
  for (let i = 0; i < 60; i++) {
    const n = 1 + int(r, 4);
    for (let j = 0; j < n; j++) em.write(randomChunk(r, cols, rows, false));
    const s = em.snapshot();
    stream += newFrame(prev !== null, prev, s, { vocabulary: 'mosh' });
    prev = s;
  }
  const file = join(dir, `stream-${seed}.bin`);
  writeFileSync(file, stream);
  const env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  const server = spawnSync(
    'mosh-server',
    [
      'new',
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-c',
      '256',
      '-l',
      'LANG=C.UTF-8',
      '--',
      'sh',
      '-c',
      `stty -opost -echo; sleep 0.3; cat ${file}; sleep 8`,
    ],
    { env, encoding: 'utf8' },
  );
  const out = `${server.stdout}${server.stderr}`;
  const m = /MOSH CONNECT (\d+) (\S+)/.exec(out);
  assert.ok(m, `mosh-server said: ${out}`);
  const view = new Emulator(cols, rows);
  const client = pty.spawn('mosh-client', ['127.0.0.1', m[1]], {
    cols,
    rows,
    env: { ...env, MOSH_KEY: m[2], TERM: 'xterm-256color' },
  });
  client.onData((d) => view.write(d));
  // Wait until the client shows the final frame (or give up after 8 s).
  const want = prev!;
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 200));
    const s = view.snapshot();
    if (
      s.cursor.x === want.cursor.x &&
      s.cursor.y === want.cursor.y &&
      rowText(s, want.cursor.y) === rowText(want, want.cursor.y)
    ) {
      await new Promise((res) => setTimeout(res, 300));
      break;
    }
  }
  const got = view.snapshot();
  client.kill();
  const pid = /pid = (\d+)/.exec(out);
  if (pid) {
    try {
      process.kill(Number(pid[1]));
    } catch {
      // already gone
    }
  }
  return { got, want };
}

test(
  'a stock mosh-client shows what the mosh-vocabulary diffs describe',
  { skip: haveMosh ? false : 'mosh not installed', timeout: 30000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-mosh-'));
    try {
      const results = await Promise.all([11, 12, 13, 14].map((seed) => runSession(seed, dir)));
      for (const [i, { got, want }] of results.entries()) {
        for (let y = 0; y < want.rows; y++) {
          // mosh prints short blank runs as spaces: compare with trailing blanks dropped and spaces for empties.
          const g = rowText(got, y)
            .replace(/\u00a0/g, ' ')
            .trimEnd();
          const w = rowText(want, y).trimEnd();
          assert.equal(g, w, `session ${i} row ${y}`);
          for (let x = 0; x < want.cols; x++) {
            if (want.lines[y].text[x] === '' || want.lines[y].text[x] === ' ') continue;
            assert.equal(
              moshKept(got.lines[y].style[x]),
              moshKept(want.lines[y].style[x]),
              `session ${i} cell (${y},${x})`,
            );
          }
        }
        assert.deepEqual(got.cursor, want.cursor, `session ${i} cursor`);
        if (want.titleSet && want.title !== '') assert.equal(got.title, `[mosh] ${want.title}`, `session ${i} title`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
