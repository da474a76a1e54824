// A bootstrap that cannot hang (real sshd, its own test user): a login whose ~/.bashrc never returns ends at the
// login deadline with words that point at ~/.bashrc, and nothing of the user's is left running on the host
// (with a pty, and on a server that refuses ptys); a cancel ends it at once, before it starts, while the login
// hangs, and while a password question is open; a link that dies after login is noticed by ssh keepalives; an
// upload that stops moving is given up.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, type BootstrapOptions } from '../../src/ssh/bootstrap';
import { BootstrapError } from '../../src/ssh/errors';
import type { HostKeyQuestion, Prompter, TextQuestion } from '../../src/ssh/prompt';
import { ScriptedPrompter } from '../support/prompter';
import { removeTestUser, type Sshd, sshdNeeds, startSshd, userProcesses } from '../support/sshd';
import { startFreezingRelay } from '../support/tcpfreeze';

const USER = 'moshstall';
const DIST = join(__dirname, '..', '..', '..', 'dist');

/** Waits until the user has no process left on the host (the remote side of our exec is gone). */
async function nothingLeft(ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = userProcesses(USER);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = userProcesses(USER);
  }
  return left;
}

/** Asks and never hears back, as a user who walked away; keeps the questions (and their cancel signals). */
class SilentPrompter implements Prompter {
  readonly questions: (TextQuestion | HostKeyQuestion)[] = [];
  asked: () => void = () => undefined;
  ask(q: TextQuestion): Promise<string | undefined> {
    this.questions.push(q);
    this.asked();
    return new Promise(() => undefined);
  }
  confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    this.questions.push(q);
    this.asked();
    return new Promise(() => undefined);
  }
}

describe('bootstrap deadlines, cancel and keepalives (real sshd)', sshdNeeds(), () => {
  let sshd: Sshd;
  let noTty: Sshd;
  let home: string;
  const bashrc = (text: string) => {
    writeFileSync(join(home, '.bashrc'), text);
    execFileSync('chown', [`${USER}:${USER}`, join(home, '.bashrc')]);
  };
  before(async () => {
    sshd = await startSshd({ user: USER });
    noTty = await startSshd({ user: USER, extraConfig: ['PermitTTY no'] });
    home = sshd.home;
    for (const s of [sshd, noTty]) {
      writeFileSync(join(s.dir, 'known_hosts'), s.knownHostsLine() + '\n');
      writeFileSync(
        join(s.dir, 'ssh_config'),
        `Host *\n  UserKnownHostsFile ${join(s.dir, 'known_hosts')}\n  IdentityFile ${s.userKey}\n`,
      );
    }
  });
  after(async () => {
    // anything a failed test left behind: only this test user's processes, by pid
    for (const line of userProcesses(USER)) {
      try {
        process.kill(Number(line.split(/\s+/)[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sshd?.stop();
    await noTty?.stop();
    removeTestUser(USER);
  });

  /** A known_hosts that trusts the sshd's key behind the relay's port. */
  const relayKnownHosts = (port: number) => {
    const f = join(sshd.dir, `known_hosts_${port}`);
    writeFileSync(f, `[127.0.0.1]:${port} ${sshd.hostKeyPub}\n`);
    return f;
  };

  const opts = (s: Sshd, extra: Partial<BootstrapOptions> = {}): BootstrapOptions => ({
    target: `${USER}@127.0.0.1:${s.port}`,
    prompter: new ScriptedPrompter(),
    agents: [],
    bundleDir: DIST,
    resolve: { configFiles: [join(s.dir, 'ssh_config')], home: s.dir },
    ...extra,
  });

  for (const which of ['with a pty', 'on a server that refuses ptys (PermitTTY no)'] as const) {
    test(`a ~/.bashrc that never returns, ${which}: the login deadline ends it with words about ~/.bashrc; nothing is left running`, async () => {
      bashrc('sleep 100000\n');
      assert.deepEqual(await nothingLeft(), [], 'clean before');
      const t = Date.now();
      await assert.rejects(
        bootstrap(opts(which === 'with a pty' ? sshd : noTty, { timeouts: { loginMs: 1500 } })),
        (e: BootstrapError) => {
          assert.equal(e.code, 'timeout');
          assert.match(
            e.message,
            /^The remote login on 127\.0\.0\.1 did not answer within 1\.5 s: the login shell never finished its startup files\./,
          );
          assert.match(e.message, /Check ~\/\.bashrc \(or ~\/\.profile/);
          return true;
        },
      );
      assert.ok(Date.now() - t < 8000, `ended in ${Date.now() - t} ms`);
      assert.deepEqual(
        await nothingLeft(),
        [],
        'no process of the user is left on the host (the sleep of ~/.bashrc included)',
      );
    });
  }

  test('cancel while the login hangs: rejects with "cancelled" at once, and nothing is left running', async () => {
    bashrc('sleep 100000\n');
    const ac = new AbortController();
    let abortedAt = 0;
    const p = bootstrap(
      opts(sshd, {
        signal: ac.signal,
        log: (l) => {
          if (l.startsWith('authenticated as'))
            setTimeout(() => {
              abortedAt = Date.now();
              ac.abort();
            }, 500);
        },
      }),
    );
    await assert.rejects(
      p,
      (e: BootstrapError) => e.code === 'cancelled' && e.message === 'Connecting to 127.0.0.1 was cancelled.',
    );
    assert.ok(abortedAt > 0 && Date.now() - abortedAt < 1000, `ended ${Date.now() - abortedAt} ms after the cancel`);
    assert.deepEqual(await nothingLeft(), []);
  });

  test('cancel before it starts: rejects with "cancelled" and connects to nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const lines: string[] = [];
    await assert.rejects(
      bootstrap(opts(sshd, { signal: ac.signal, log: (l) => lines.push(l) })),
      (e: BootstrapError) => e.code === 'cancelled',
    );
    assert.deepEqual(lines, []);
  });

  for (const question of ['host key', 'password'] as const) {
    test(`cancel while the ${question} question is open: rejects with "cancelled" and tells the question to close`, async () => {
      bashrc('');
      const ac = new AbortController();
      const prompter = new SilentPrompter();
      prompter.asked = () => setTimeout(() => ac.abort(), 200);
      const config = join(sshd.dir, `ssh_config_${question.replace(' ', '')}`);
      writeFileSync(
        config,
        question === 'password'
          ? `Host *\n  UserKnownHostsFile ${join(sshd.dir, 'known_hosts')}\n`
          : `Host *\n  UserKnownHostsFile ${join(sshd.dir, 'empty_known_hosts')}\n`,
      );
      const p = bootstrap(
        opts(sshd, {
          prompter,
          signal: ac.signal,
          resolve: { configFiles: [config], home: sshd.dir, identityFiles: [] },
        }),
      );
      await assert.rejects(p, (e: BootstrapError) => e.code === 'cancelled');
      assert.equal(prompter.questions.length, 1);
      assert.equal(prompter.questions[0].kind, question === 'password' ? 'keyboard-interactive' : 'hostkey');
      assert.equal(prompter.questions[0].signal?.aborted, true);
    });
  }

  test('a link that dies after login is noticed by keepalives (ServerAliveInterval/CountMax from ssh_config)', async () => {
    bashrc('');
    const relay = await startFreezingRelay(sshd.port);
    try {
      const config = join(sshd.dir, 'ssh_config_alive');
      writeFileSync(
        config,
        `Host *\n  UserKnownHostsFile ${relayKnownHosts(relay.port)}\n  IdentityFile ${sshd.userKey}\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n`,
      );
      let frozenAt = 0;
      const p = bootstrap(
        opts(sshd, {
          target: `${USER}@127.0.0.1:${relay.port}`,
          resolve: { configFiles: [config], home: sshd.dir },
          log: (l) => {
            if (l.startsWith('authenticated as')) {
              relay.freeze();
              frozenAt = Date.now();
            }
          },
        }),
      );
      await assert.rejects(p, (e: BootstrapError) => {
        assert.equal(e.code, 'timeout');
        assert.match(
          e.message,
          /^ssh: the connection to 127\.0\.0\.1 stopped answering: no reply to 2 keepalives sent 1 s apart/,
        );
        return true;
      });
      assert.ok(Date.now() - frozenAt < 8000, `noticed ${Date.now() - frozenAt} ms after the link died`);
    } finally {
      await relay.close();
    }
  });

  test('without ServerAliveInterval in ssh_config, keepalives run every 15 s (3 unanswered) during the bootstrap', async () => {
    bashrc('');
    const lines: string[] = [];
    await assert.rejects(
      bootstrap(opts(sshd, { server: '/bin/false', log: (l) => lines.push(l) })),
      (e: BootstrapError) => e.code === 'launch',
    );
    assert.ok(lines.includes('keepalive every 15 s, up to 3 unanswered'), lines.join('\n'));
  });

  test('an upload that stops moving is given up after the stall deadline', async () => {
    bashrc('');
    rmSync(join(home, '.cache'), { recursive: true, force: true });
    const relay = await startFreezingRelay(sshd.port);
    try {
      const config = join(sshd.dir, 'ssh_config_noalive');
      writeFileSync(
        config,
        `Host *\n  UserKnownHostsFile ${relayKnownHosts(relay.port)}\n  IdentityFile ${sshd.userKey}\n  ServerAliveInterval 0\n`,
      );
      const p = bootstrap(
        opts(sshd, {
          target: `${USER}@127.0.0.1:${relay.port}`,
          resolve: { configFiles: [config], home: sshd.dir },
          timeouts: { uploadStallMs: 1500 },
          log: (l) => {
            if (l.startsWith('uploading the server to')) relay.freeze();
          },
        }),
      );
      await assert.rejects(
        p,
        (e: BootstrapError) =>
          e.code === 'timeout' &&
          /^Uploading the server to .* made no progress for 1\.5 s; the link to 127\.0\.0\.1 may have stalled/.test(
            e.message,
          ),
      );
    } finally {
      await relay.close();
    }
  });
});
