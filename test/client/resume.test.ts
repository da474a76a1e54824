// Session resume: our command-line client saves its session, is killed, and a new process continues it —
// same shell, same screen, and never a reused sequence number (nonce). Against stock mosh-server and ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { openPacket, TO_SERVER } from '../../src/transport/datagram';
import { parseKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { needs } from '../support/peers';
import { ImpairmentRelay } from '../support/relay';
import {
  type ServerStartOptions,
  type StockServer,
  Screen,
  startOurServer,
  startStockServer,
  until,
} from '../support/stock';
import { WireDecoder } from '../support/wire';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

function runCli(args: string[], env: Record<string, string> = {}) {
  const screen = new Screen(80, 24);
  const proc = pty.spawn(process.execPath, [CLI, 'client', ...args], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    env: { ...process.env, MOSH_NO_TERM_INIT: '1', ...env },
  });
  let written = Promise.resolve();
  proc.onData((d) => (written = written.then(() => screen.write(d))));
  let exited = false;
  proc.onExit(() => (exited = true));
  const wait = async (pred: (lines: string[]) => boolean, what: string) => {
    try {
      await until(async () => (await written, pred(screen.lines())), 15_000, what);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}; the screen shows:\n${screen
          .lines()
          .map((l) => `|${l}`)
          .join('\n')}`,
      );
    }
  };
  return { proc, screen, wait, settled: () => written, exited: () => exited };
}

async function resumeScenario(label: string, start: (o: ServerStartOptions) => Promise<StockServer>) {
  const server = await start({ command: ['/bin/sh'] });
  const dir = mkdtempSync(join(tmpdir(), 'mosh-resume-'));
  const file = join(dir, 'session.json');
  // A tap between client and server records the sequence number of every datagram the client sends.
  const decoder = new WireDecoder(new OcbAes128(parseKey(server.key)));
  const seqs: { phase: 'before' | 'after'; seq: bigint }[] = [];
  let phase: 'before' | 'after' = 'before';
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    tap: (dir2, d) => {
      if (dir2 !== 'toServer') return;
      const i = decoder.decode(d);
      if (i && i.direction === TO_SERVER) seqs.push({ phase, seq: i.seq });
    },
  });
  const first = runCli(['--predict=never', '--save', file, '127.0.0.1', String(relay.port)], { MOSH_KEY: server.key });
  let second: ReturnType<typeof runCli> | null = null;
  try {
    await first.wait((l) => l.some((x) => x === '$'), `${label}: the prompt`);
    const mark = randomBytes(4).toString('hex');
    first.proc.write(`export MARK=${mark}; clear; echo "be""fore"\r`);
    await first.wait((l) => l[0] === 'before', `${label}: the command before the kill`);
    await new Promise((r) => setTimeout(r, 2500)); // at least one periodic save after the command
    assert.ok(existsSync(file), 'the session was saved');
    assert.equal(statSync(file).mode & 0o077, 0, 'the saved session (it holds the key) is private to its owner');
    await first.settled();
    const before = first.screen.lines();
    first.proc.kill('SIGKILL');
    await until(() => first.exited(), 5_000, 'the first client to die');
    phase = 'after';

    second = runCli(['--restore', file, '--save', file]);
    await second.wait((l) => l[0] === 'before', `${label}: the restored screen`);
    await second.settled();
    assert.deepEqual(second.screen.lines(), before, 'the restored client shows the same screen');
    second.proc.write('echo "[$MARK]"\r');
    await second.wait((l) => l.includes(`[${mark}]`), `${label}: the same shell after restore`);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { key: string };
    assert.equal(saved.key, server.key);

    const maxBefore = seqs.filter((s) => s.phase === 'before').reduce((m, s) => (s.seq > m ? s.seq : m), -1n);
    const after = seqs.filter((s) => s.phase === 'after');
    assert.ok(maxBefore >= 0n && after.length > 0);
    assert.ok(
      after.every((s) => s.seq > maxBefore),
      `every sequence number after restore (min ${after.reduce((m, s) => (s.seq < m ? s.seq : m), after[0].seq)}) is beyond those before (max ${maxBefore})`,
    );

    second.proc.write('\x1e.');
    await until(() => second!.exited(), 10_000, `${label}: the restored client to quit`);
    await until(() => !server.alive(), 15_000, `${label}: the server to end with the session`);
    assert.ok(!existsSync(file), 'a session that ended leaves no saved file');
  } finally {
    for (const c of [first, second]) {
      if (c && !c.exited()) c.proc.kill('SIGKILL');
      c?.screen.dispose();
    }
    await relay.close();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a killed client is continued by a new process against stock mosh-server', needs('mosh-server'), () =>
  resumeScenario('stock', startStockServer),
);

test('a killed client is continued by a new process against our server', () => resumeScenario('ours', startOurServer));

test('two restores from one saved file never send the same sequence number twice (decrypting tap)', async () => {
  const server = await startOurServer({ command: ['/bin/sh'] });
  const dir = mkdtempSync(join(tmpdir(), 'mosh-resume2-'));
  const file = join(dir, 'session.json');
  const aead = new OcbAes128(parseKey(server.key));
  const seen = new Map<bigint, string>();
  const dups: string[] = [];
  let phase = 'first';
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    tap: (d, data) => {
      if (d !== 'toServer') return;
      const o = openPacket(aead, data);
      if (!o.ok || o.packet.direction !== TO_SERVER) return;
      const prev = seen.get(o.packet.seq);
      // A retransmitted datagram is a new datagram with a new number; the same number twice is a reused nonce.
      if (prev !== undefined) dups.push(`${o.packet.seq} in ${prev} and ${phase}`);
      seen.set(o.packet.seq, phase);
    },
  });
  const clients: ReturnType<typeof runCli>[] = [];
  try {
    const first = runCli(['--predict=never', '--save', file, '127.0.0.1', String(relay.port)], {
      MOSH_KEY: server.key,
    });
    clients.push(first);
    await first.wait((l) => l.some((x) => x === '$'), 'the prompt');
    first.proc.write('echo one\r');
    await first.wait((l) => l.includes('one'), 'the first command');
    await new Promise((r) => setTimeout(r, 2500));
    first.proc.kill('SIGKILL');
    await until(() => first.exited(), 5_000, 'the first client to die');
    for (const n of ['second', 'third']) {
      phase = n;
      // --restore without --save: the floor still moves on in the file before anything is sent
      const c = runCli(['--restore', file]);
      clients.push(c);
      c.proc.write(`echo ${n}-ok\r`);
      await c.wait((l) => l.includes(`${n}-ok`), `the ${n} client's command`);
      c.proc.kill('SIGKILL');
      await until(() => c.exited(), 5_000, `the ${n} client to die`);
    }
    const phases = new Set(seen.values());
    assert.deepEqual([...phases].sort(), ['first', 'second', 'third'], 'each client sent datagrams');
    assert.deepEqual(dups, [], 'no sequence number was sent twice');
  } finally {
    for (const c of clients) {
      if (!c.exited()) c.proc.kill('SIGKILL');
      c.screen.dispose();
    }
    await relay.close();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--restore refuses a --save elsewhere (a second copy could be restored twice)', () => {
  const r = spawnSync(process.execPath, [CLI, 'client', '--restore', '/tmp/a.json', '--save', '/tmp/b.json'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /saves the session back into that file/);
});
