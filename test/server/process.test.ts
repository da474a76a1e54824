// dist/server.js as a process: it runs from a folder holding nothing but itself and its pty binary, talks to
// our client-side terminal state, and ends by itself (network timeout, SIGTERM) without leaving processes behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowText } from '../../src/emulator';
import { TerminalState } from '../../src/statesync/terminal';
import { UserStream } from '../../src/statesync/userstream';
import { parseKey } from '../../src/transport/key';
import { until } from '../support/stock';
import { UdpPeer } from '../support/udppeer';
import { alive } from '../support/process';

const DIST = join(__dirname, '..', '..', '..', 'dist');

async function startServer(dir: string, command: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    [join(dir, 'server.js'), 'new', '-i', '127.0.0.1', '-p', '0', '--', ...command],
    {
      env: { ...process.env, LANG: 'C.UTF-8', PS1: '$ ', ENV: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const m = /MOSH CONNECT (\d+) (\S{22})/.exec(out);
  const pid = /pid = (\d+)/.exec(err);
  assert.equal(code, 0, `server start: ${out} ${err}`);
  assert.ok(m && pid, `MOSH CONNECT and pid printed: ${out} ${err}`);
  return { port: Number(m[1]), key: parseKey(m[2]), pid: Number(pid[1]) };
}

function connect(port: number, key: Buffer) {
  const peer = UdpPeer.client({
    server: { address: '127.0.0.1', port },
    key,
    local: new UserStream(),
    remote: TerminalState.initial(80, 24),
  });
  peer.transport.currentState.pushResize(80, 24);
  peer.kick();
  const rows = () => {
    const s = peer.transport.latestRemote().state.snapshot;
    return Array.from({ length: s.rows }, (_, y) => rowText(s, y).trimEnd());
  };
  return { peer, rows };
}

test('runs from a folder holding only server.js and its pty binary, and serves our client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-server-alone-'));
  cpSync(join(DIST, 'server.js'), join(dir, 'server.js'));
  cpSync(join(DIST, 'pty'), join(dir, 'pty'), { recursive: true });
  const server = await startServer(dir, ['/bin/sh']);
  const { peer, rows } = connect(server.port, server.key);
  try {
    await peer.waitFor(() => rows().some((l) => l === '$'), 10_000, 'the prompt');
    peer.transport.currentState.pushBytes(Buffer.from('echo "al""one" $((6*7))\r'));
    peer.kick();
    await peer.waitFor(() => rows().includes('alone 42'), 10_000, 'command output');
    peer.transport.startShutdown();
    peer.kick();
    await peer.waitFor(() => peer.transport.sender.shutdownAcknowledged, 10_000, 'shutdown acknowledged');
    await until(() => !alive(server.pid), 5_000, 'the server to exit');
  } finally {
    await peer.close();
    if (alive(server.pid)) process.kill(server.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exits after MOSH_SERVER_NETWORK_TMOUT seconds without the client, leaving no process behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-server-tmout-'));
  const pidFile = join(dir, 'shell.pid');
  const server = await startServer(DIST, ['/bin/sh', '-c', `echo $$ > ${pidFile}; exec sleep 600`], {
    MOSH_SERVER_NETWORK_TMOUT: '1',
  });
  const { peer } = connect(server.port, server.key);
  try {
    await until(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      10_000,
      'the command to start',
    );
    const shellPid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(shellPid));
    await peer.close(); // the client vanishes without a word
    await until(() => !alive(server.pid), 15_000, 'the server to give up on the client');
    await until(() => !alive(shellPid), 5_000, "the session's command to be gone");
  } finally {
    if (alive(server.pid)) process.kill(server.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM before any client connects ends the server at once', async () => {
  const server = await startServer(DIST, ['/bin/sh']);
  assert.ok(alive(server.pid));
  process.kill(server.pid, 'SIGTERM');
  await until(() => !alive(server.pid), 3_000, 'the server to exit');
});

test("the session process runs with its own malloc setting; the shell gets the user's environment back", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-server-env-'));
  const out = join(dir, 'env.txt');
  const script = `echo "arena=\${MALLOC_ARENA_MAX-unset} pad=\${MALLOC_TOP_PAD_-unset} trim=\${MALLOC_TRIM_THRESHOLD_-unset}" > ${out}; exec sleep 600`;
  const server = await startServer(DIST, ['/bin/sh', '-c', script], { MALLOC_ARENA_MAX: '' });
  const expected = `arena= pad=${process.env.MALLOC_TOP_PAD_ ?? 'unset'} trim=${process.env.MALLOC_TRIM_THRESHOLD_ ?? 'unset'}`;
  const { peer } = connect(server.port, server.key);
  try {
    await until(() => existsSync(out) && readFileSync(out, 'utf8').includes('\n'), 10_000, 'the command to start');
    assert.equal(readFileSync(out, 'utf8').trim(), expected, "the user's values, not the daemon's");
    const daemonEnv = readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0');
    for (const v of ['MALLOC_ARENA_MAX=1', 'MALLOC_TOP_PAD_=0', 'MALLOC_TRIM_THRESHOLD_=131072'])
      assert.ok(daemonEnv.includes(v), v);
  } finally {
    await peer.close();
    if (alive(server.pid)) process.kill(server.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
