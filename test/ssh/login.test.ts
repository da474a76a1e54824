// Logging in to a real OpenSSH server on loopback: keys (plain, encrypted, from an ssh-agent), password,
// keyboard-interactive, ProxyJump; host keys unknown (asked, recorded), changed (refused); and the errors
// for wrong passwords, refused connections and silent servers.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { utils } from 'ssh2';
import { resolveHost } from '../../src/ssh/config';
import { connectSsh, type SshConnection } from '../../src/ssh/connect';
import { BootstrapError } from '../../src/ssh/errors';
import { fingerprint } from '../../src/ssh/knownhosts';
import { ScriptedPrompter } from '../support/prompter';
import { type Sshd, sshdNeeds, startSshd } from '../support/sshd';

const opts = sshdNeeds('ssh-agent', 'ssh-add');

function exec(c: SshConnection, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    c.client.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      ch.on('data', (d: Buffer) => (out += d));
      ch.stderr.on('data', () => undefined);
      ch.on('close', () => resolve(out));
    });
  });
}

describe('ssh login against a real sshd', opts, () => {
  let sshd: Sshd;
  let work: string;
  let n = 0;
  before(async () => {
    sshd = await startSshd();
    work = mkdtempSync(join(tmpdir(), 'mosh-login-'));
  });
  after(async () => {
    await sshd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A fresh home whose ~/.ssh/config has `lines` and whose known_hosts trusts the server (unless told not to). */
  function setup(lines: string[] = [], trusted = true): { home: string; config: string; knownHosts: string } {
    const home = join(work, `h${n++}`);
    execFileSync('mkdir', ['-p', join(home, '.ssh')]);
    const knownHosts = join(home, '.ssh', 'known_hosts');
    if (trusted) writeFileSync(knownHosts, sshd.knownHostsLine() + '\n');
    const config = join(home, '.ssh', 'config');
    writeFileSync(
      config,
      ['Host *', `  UserKnownHostsFile ${knownHosts}`, ...lines.map((l) => `  ${l}`), ''].join('\n'),
    );
    return { home, config, knownHosts };
  }

  async function login(
    lines: string[],
    prompter: ScriptedPrompter,
    extra: { trusted?: boolean; identityFiles?: string[]; agents?: [] } = {},
  ) {
    const s = setup(lines, extra.trusted ?? true);
    const resolve = { configFiles: [s.config], home: s.home, identityFiles: extra.identityFiles };
    const host = resolveHost(`${sshd.user}@127.0.0.1:${sshd.port}`, resolve);
    const conn = await connectSsh(host, {
      prompter,
      resolve: { configFiles: [s.config], home: s.home },
      agents: extra.agents ?? [],
    });
    return { conn, ...s };
  }

  test('key login: an authorized key file logs in without a question and runs a command', async () => {
    const p = new ScriptedPrompter();
    const { conn } = await login([], p, { identityFiles: [sshd.userKey] });
    try {
      assert.equal((await exec(conn, 'id -un')).trim(), sshd.user);
      assert.equal(conn.peerAddress, '127.0.0.1');
      assert.equal(conn.hostKey.status, 'known');
      assert.deepEqual(p.questions, []);
    } finally {
      conn.close();
    }
  });

  test('encrypted key: the passphrase is asked (again after a wrong one) and the key logs in', async () => {
    const key = join(work, 'enc_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'right horse', '-f', key]);
    rmSync(`${key}.pub`); // the public half must then come from the private file's header
    sshd.authorize(execFileSync('ssh-keygen', ['-y', '-P', 'right horse', '-f', key]).toString());
    const p = new ScriptedPrompter({ passphrase: ['wrong', 'right horse'] });
    const { conn } = await login([], p, { identityFiles: [key] });
    try {
      assert.deepEqual(p.kinds(), ['passphrase', 'passphrase']);
      assert.match(p.questions[0].message, /Enter passphrase for key '.*enc_key': /);
      assert.equal(p.questions[1].retry, true);
      assert.equal((await exec(conn, 'echo ok')).trim(), 'ok');
    } finally {
      conn.close();
    }
  });

  test('an encrypted key the server would not accept is never unlocked (no passphrase question)', async () => {
    const key = join(work, 'unauthorized_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pp', '-f', key]);
    const p = new ScriptedPrompter({ password: [sshd.password] });
    const { conn } = await login(['PreferredAuthentications publickey,password'], p, { identityFiles: [key] });
    conn.close();
    assert.deepEqual(p.kinds(), ['password']);
  });

  test('ssh-agent: keys from SSH_AUTH_SOCK log in first, with no question', async () => {
    const sock = join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100; i++) {
        try {
          execFileSync('ssh-add', [sshd.userKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const p = new ScriptedPrompter();
      const s = setup([`IdentityAgent ${sock}`]);
      const host = resolveHost(`${sshd.user}@127.0.0.1:${sshd.port}`, { configFiles: [s.config], home: s.home });
      const conn = await connectSsh(host, { prompter: p });
      try {
        assert.deepEqual(p.questions, []);
        assert.equal((await exec(conn, 'id -un')).trim(), sshd.user);
      } finally {
        conn.close();
      }
    } finally {
      agent.kill();
    }
  });

  test('password login: the question names user and host, the session works', async () => {
    const p = new ScriptedPrompter({ password: [sshd.password] });
    const { conn } = await login(['PreferredAuthentications password'], p);
    try {
      assert.deepEqual(p.kinds(), ['password']);
      assert.equal(p.questions[0].message, `${sshd.user}@127.0.0.1's password: `);
      assert.equal(p.questions[0].echo, false);
      assert.equal((await exec(conn, 'id -un')).trim(), sshd.user);
    } finally {
      conn.close();
    }
  });

  test("keyboard-interactive (OpenSSH order: before password) answers the server's questions", async () => {
    const p = new ScriptedPrompter({ 'keyboard-interactive': [sshd.password] });
    const { conn } = await login([], p);
    try {
      assert.deepEqual(p.kinds(), ['keyboard-interactive']);
      assert.match(p.questions[0].message, /Password/i);
      assert.equal(p.questions[0].echo, false);
      assert.equal((await exec(conn, 'id -un')).trim(), sshd.user);
    } finally {
      conn.close();
    }
  });

  test('a wrong password ends in a clear message: who, how many attempts, what was tried, what the server accepts', async () => {
    const p = new ScriptedPrompter({ password: ['nope-1', 'nope-2'] });
    await assert.rejects(
      login(['PreferredAuthentications password', 'NumberOfPasswordPrompts 2'], p),
      (e: BootstrapError) => {
        assert.equal(e.code, 'auth');
        assert.match(
          e.message,
          new RegExp(
            `Permission denied: ${sshd.user}@127\\.0\\.0\\.1 \\(port ${sshd.port}\\) did not accept the password \\(2 attempts\\)\\.`,
          ),
        );
        assert.match(e.message, /Tried: password \(2 attempts\)\./);
        assert.match(e.message, /The server accepts: .*password/);
        return true;
      },
    );
    assert.deepEqual(p.kinds(), ['password', 'password']);
    assert.equal(p.questions[1].retry, true);
  });

  test('a changed host key is refused before any credential is offered', async () => {
    const other = utils.generateKeyPairSync('ed25519').public;
    const p = new ScriptedPrompter({ password: [sshd.password] });
    const s = setup(['PreferredAuthentications password'], false);
    writeFileSync(s.knownHosts, `# first line\n[127.0.0.1]:${sshd.port} ${other}\n`);
    const host = resolveHost(`${sshd.user}@127.0.0.1:${sshd.port}`, { configFiles: [s.config], home: s.home });
    await assert.rejects(connectSsh(host, { prompter: p, agents: [] }), (e: BootstrapError) => {
      assert.equal(e.code, 'hostkey-changed');
      assert.match(e.message, /WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!/);
      assert.ok(e.message.includes(`Offending ED25519 key in ${s.knownHosts}:2`));
      assert.match(e.message, /Host key verification failed\./);
      return true;
    });
    assert.deepEqual(p.questions, []);
    assert.deepEqual(p.hostKeyQuestions, []);
  });

  test('an unknown host key is shown with its SHA256 fingerprint, and recorded once accepted', async () => {
    const expected = fingerprint(Buffer.from(sshd.hostKeyPub.split(' ')[1], 'base64'));
    const pubFp = execFileSync('ssh-keygen', ['-l', '-f', `${sshd.hostKeyPath}.pub`]).toString();
    assert.ok(pubFp.includes(expected));
    const p = new ScriptedPrompter({}, true);
    const { conn, knownHosts, config, home } = await login(['HashKnownHosts no'], p, {
      trusted: false,
      identityFiles: [sshd.userKey],
    });
    conn.close();
    assert.equal(p.hostKeyQuestions.length, 1);
    const q = p.hostKeyQuestions[0];
    assert.equal(q.host, `[127.0.0.1]:${sshd.port}`);
    assert.equal(q.fingerprint, expected);
    assert.equal(q.keyType, 'ED25519');
    assert.match(q.message, /can't be established/);
    assert.equal(conn.hostKey.status, 'recorded');
    assert.equal(readFileSync(knownHosts, 'utf8').trim(), sshd.knownHostsLine());
    // the second time, nothing is asked
    const p2 = new ScriptedPrompter({}, true);
    const host = resolveHost(`${sshd.user}@127.0.0.1:${sshd.port}`, {
      configFiles: [config],
      home,
      identityFiles: [sshd.userKey],
    });
    const again = await connectSsh(host, { prompter: p2, agents: [] });
    again.close();
    assert.deepEqual(p2.hostKeyQuestions, []);
    assert.equal(again.hostKey.status, 'known');
  });

  test('an unknown host key the user refuses ends the connection and records nothing', async () => {
    const p = new ScriptedPrompter({}, false);
    const s = setup([], false);
    const host = resolveHost(`${sshd.user}@127.0.0.1:${sshd.port}`, {
      configFiles: [s.config],
      home: s.home,
      identityFiles: [sshd.userKey],
    });
    await assert.rejects(
      connectSsh(host, { prompter: p, agents: [] }),
      (e: BootstrapError) => e.code === 'hostkey-refused' && /Host key verification failed/.test(e.message),
    );
    assert.equal(p.hostKeyQuestions.length, 1);
    assert.throws(() => readFileSync(s.knownHosts));
  });

  test('StrictHostKeyChecking accept-new records without asking; yes refuses unknown keys', async () => {
    const p = new ScriptedPrompter();
    const { conn, knownHosts } = await login(['StrictHostKeyChecking accept-new', 'HashKnownHosts yes'], p, {
      trusted: false,
      identityFiles: [sshd.userKey],
    });
    conn.close();
    assert.deepEqual(p.hostKeyQuestions, []);
    assert.match(readFileSync(knownHosts, 'utf8'), /^\|1\|/);
    await assert.rejects(
      login(['StrictHostKeyChecking yes'], new ScriptedPrompter(), { trusted: false, identityFiles: [sshd.userKey] }),
      (e: BootstrapError) => e.code === 'hostkey-refused',
    );
  });

  test('ProxyJump: through one ssh connection to the target (here the same server)', async () => {
    const s = setup([`IdentityFile ${sshd.userKey}`]);
    writeFileSync(
      s.config,
      readFileSync(s.config, 'utf8') +
        `Host target\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  ProxyJump ${sshd.user}@127.0.0.1:${sshd.port}\n`,
    );
    const resolve = { configFiles: [s.config], home: s.home };
    const host = resolveHost('target', resolve);
    assert.deepEqual(host.proxyJump, [`${sshd.user}@127.0.0.1:${sshd.port}`]);
    const conn = await connectSsh(host, { prompter: new ScriptedPrompter(), resolve, agents: [] });
    try {
      assert.match(await exec(conn, 'echo "$SSH_CONNECTION"'), /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
      assert.equal(conn.peerAddress, '127.0.0.1');
    } finally {
      conn.close();
    }
  });

  test('a closed port is "Connection refused"; a silent server times out with the time said', async () => {
    const closed = await new Promise<number>((r) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => r(port));
      });
    });
    const s = setup();
    const resolve = { configFiles: [s.config], home: s.home };
    await assert.rejects(
      connectSsh(resolveHost(`u@127.0.0.1:${closed}`, resolve), { prompter: new ScriptedPrompter(), agents: [] }),
      (e: BootstrapError) => {
        assert.equal(e.code, 'unreachable');
        assert.match(e.message, new RegExp(`connect to host 127\\.0\\.0\\.1 port ${closed}: Connection refused`));
        return true;
      },
    );
    const silent: Server = await new Promise((r) => {
      const srv = createServer(() => undefined).listen(0, '127.0.0.1', () => r(srv));
    });
    try {
      const port = (silent.address() as { port: number }).port;
      const t0 = Date.now();
      await assert.rejects(
        connectSsh(resolveHost(`u@127.0.0.1:${port}`, resolve), {
          prompter: new ScriptedPrompter(),
          agents: [],
          timeoutMs: 600,
        }),
        (e: BootstrapError) => {
          assert.equal(e.code, 'timeout');
          assert.match(e.message, /did not complete the ssh handshake within 600 ms\./);
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 3000);
    } finally {
      silent.close();
    }
  });
});
