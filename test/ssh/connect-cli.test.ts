// End to end: `node dist/cli.js connect` on a pseudo-terminal against a real sshd on loopback, with our server
// (unknown host key confirmed, password typed without echo) and with the stock mosh-server (key file): both
// reach a shell prompt, run a command and quit with Ctrl-^ . ; and a refused ssh port is a clear error.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as pty from '@lydell/node-pty';
import { Screen, until } from '../support/stock';
import { type Sshd, sshdNeeds, startSshd } from '../support/sshd';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

interface Run {
  proc: pty.IPty;
  screen: Screen;
  raw: () => string;
  text: () => Promise<string>;
  waitFor: (re: RegExp, what: string, ms?: number) => Promise<void>;
  exit: Promise<number>;
}

const running = new Set<pty.IPty>();

function runCli(args: string[], home: string): Run {
  const screen = new Screen(100, 30);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    MOSH_NO_TERM_INIT: '1',
  };
  const proc = pty.spawn(process.execPath, [CLI, 'connect', ...args], {
    name: 'xterm-256color',
    cols: 100,
    rows: 30,
    env,
    cwd: home,
  });
  let raw = '';
  let pending = Promise.resolve();
  proc.onData((d) => {
    raw += d;
    pending = pending.then(() => screen.write(d));
  });
  running.add(proc);
  const exit = new Promise<number>((r) =>
    proc.onExit((e) => {
      running.delete(proc);
      r(e.exitCode);
    }),
  );
  const text = async () => (await pending, screen.text());
  return {
    proc,
    screen,
    raw: () => raw,
    text,
    exit,
    waitFor: async (re, what, ms = 15_000) => {
      try {
        await until(async () => re.test(await text()), ms, what);
      } catch (e) {
        throw new Error(`${(e as Error).message}; the screen shows:\n${(await text()).replace(/\n+$/, '')}`);
      }
    },
  };
}

describe('node dist/cli.js connect (real sshd, under a pty)', sshdNeeds('mosh-server'), () => {
  let sshd: Sshd;
  let work: string;
  let n = 0;
  before(async () => {
    sshd = await startSshd();
    work = mkdtempSync(join(tmpdir(), 'mosh-cli-connect-'));
  });
  after(async () => {
    for (const p of running) p.kill('SIGKILL');
    await sshd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  const newHome = () => {
    const home = join(work, `home${n++}`);
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    return home;
  };

  async function session(run: Run): Promise<void> {
    await run.waitFor(/moshtest@[^\n]*[$#] ?$/m, 'the remote shell prompt');
    run.proc.write('echo "MARK-$((6*7))"\r');
    await run.waitFor(/^MARK-42$/m, 'the command output');
    run.proc.write('\x1e.'); // Ctrl-^ . quits
    const code = await Promise.race([run.exit, new Promise<number>((r) => setTimeout(() => r(-1), 10_000).unref())]);
    if (code === -1) run.proc.kill();
    assert.equal(code, 0, `exit status; output:\n${await run.text()}`);
  }

  test('our server: the unknown host key is confirmed, the password is typed unseen, the shell runs a command', async () => {
    const home = newHome();
    const run = runCli(['--ssh-port', String(sshd.port), `${sshd.user}@127.0.0.1`], home);
    await run.waitFor(/Are you sure you want to continue connecting \(yes\/no\)\?$/m, 'the host key question');
    const shown = await run.text();
    assert.match(
      shown,
      new RegExp(`The authenticity of host '\\[127\\.0\\.0\\.1\\]:${sshd.port}' can't be established\\.`),
    );
    assert.match(shown, /ED25519 key fingerprint is SHA256:[A-Za-z0-9+/]{43}\./);
    run.proc.write('yes\r');
    await run.waitFor(/[Pp]assword:$/m, 'the password question');
    run.proc.write(`${sshd.password}\r`);
    await session(run);
    assert.ok(!run.raw().includes(sshd.password), 'the password never appears on the terminal');
    const known = readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8');
    assert.equal(known.trim().split('\n').length, 1, 'the host key was recorded');
  });

  test('stock mosh-server (--server=system) with a key file (-i): no question, the shell runs a command', async () => {
    const home = newHome();
    writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine() + '\n');
    const run = runCli(
      [
        '--ssh-port',
        String(sshd.port),
        '-i',
        sshd.userKey,
        '--server=system',
        '--predict=never',
        `${sshd.user}@127.0.0.1`,
      ],
      home,
    );
    await session(run);
    assert.doesNotMatch(run.raw(), /password|passphrase|authenticity/i);
  });

  test('ssh works but no UDP comes back: after the 15 s wait, the words say that UDP ports must be open', async () => {
    const home = newHome();
    writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine() + '\n');
    // a "server" that announces a port where nothing listens, as if a firewall dropped every datagram
    const fake = join(sshd.dir, 'silent-server');
    writeFileSync(fake, '#!/bin/sh\necho "MOSH CONNECT 9 AAAAAAAAAAAAAAAAAAAAAA"\n', { mode: 0o755 });
    const run = runCli(
      ['--ssh-port', String(sshd.port), '-i', sshd.userKey, `--server=${fake}`, `${sshd.user}@127.0.0.1`],
      home,
    );
    assert.equal(await run.exit, 1);
    const text = run.raw().replace(/\r/g, '');
    assert.match(
      text,
      /ssh worked and the mosh server started, but no UDP packet came back from 127\.0\.0\.1 port 9\./,
    );
    assert.match(text, /Mosh needs UDP: open UDP ports 60000-61000/);
  });

  test('a refused ssh port ends with the reason and status 255', async () => {
    const port = await new Promise<number>((r) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => r(p));
      });
    });
    const run = runCli([`nobody@127.0.0.1:${port}`], newHome());
    assert.equal(await run.exit, 255);
    assert.match(await run.text(), new RegExp(`ssh: connect to host 127\\.0\\.0\\.1 port ${port}: Connection refused`));
  });
});
