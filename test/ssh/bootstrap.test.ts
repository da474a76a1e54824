// The whole bootstrap against a real sshd with its own test user (so its deployment cache can be wiped): the
// first connect uploads our server, the second uploads nothing; both end in a working mosh session. A remote
// without Node falls back to stock mosh-server under auto and is a clear error under bundled; system and explicit
// paths; two clients deploying at once; a half-finished deployment is not taken for a complete one; a cached copy
// that was changed is never run (it is uploaded again); the cache is private (0700/0600) whatever the local modes
// and umasks are, and a too open one is tightened.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, type BootstrapOptions, type BootstrapResult } from '../../src/ssh/bootstrap';
import { loadBundle } from '../../src/ssh/deploy';
import { BootstrapError } from '../../src/ssh/errors';
import { proveSession } from '../support/moshsession';
import { ScriptedPrompter } from '../support/prompter';
import { removeTestUser, type Sshd, sshdNeeds, startSshd } from '../support/sshd';

const USER = 'moshdeploy';
const DIST = join(__dirname, '..', '..', '..', 'dist');

describe('bootstrap: deployment and server choice (real sshd)', sshdNeeds('mosh-server'), () => {
  let sshd: Sshd;
  let known: string;
  const started: number[] = [];
  before(async () => {
    // the sftp-server's umask lets group-writable files through: our modes must not depend on it
    sshd = await startSshd({ user: USER, sftpArgs: ['-u', '002'] });
    known = join(sshd.dir, 'known_hosts');
    writeFileSync(known, sshd.knownHostsLine() + '\n');
    writeFileSync(
      join(sshd.dir, 'ssh_config'),
      `Host *\n  UserKnownHostsFile ${known}\n  IdentityFile ${sshd.userKey}\n`,
    );
  });
  after(async () => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await sshd?.stop();
    removeTestUser(USER);
  });

  const cache = () => join(sshd.home, '.cache', 'vscode-mosh');
  async function boot(extra: Partial<BootstrapOptions> = {}): Promise<BootstrapResult> {
    const r = await bootstrap({
      target: `${USER}@127.0.0.1:${sshd.port}`,
      prompter: new ScriptedPrompter(),
      agents: [],
      bundleDir: DIST,
      resolve: { configFiles: [join(sshd.dir, 'ssh_config')], home: sshd.dir },
      ...extra,
    });
    if (r.pid) started.push(r.pid);
    return r;
  }

  test('first connect uploads the server into ~/.cache/vscode-mosh/<hash>/, the second uploads nothing; both sessions work', async () => {
    rmSync(cache(), { recursive: true, force: true });
    const hash = loadBundle(DIST).hash;
    const first = await boot();
    assert.equal(first.uploaded, true);
    assert.equal(first.server.kind, 'bundled');
    assert.match(first.server.description, /^bundled \(node v\d+/);
    assert.equal(first.ip, '127.0.0.1');
    const dir = join(cache(), hash);
    assert.deepEqual(readdirSync(cache()), [hash], 'no temporary folders left behind');
    assert.ok(existsSync(join(dir, 'server.js')));
    assert.ok(existsSync(join(dir, 'pty', `${process.platform}-${process.arch}`, 'pty.node')));
    assert.equal(statSync(join(dir, 'server.js')).uid, statSync(sshd.home).uid, 'owned by the user');
    const mtime = statSync(join(dir, 'server.js')).mtimeMs;
    assert.match(await proveSession(first), /MARK-42/);

    const second = await boot();
    assert.equal(second.uploaded, false);
    assert.equal(second.timings.upload, 0);
    assert.equal(second.server.kind, 'bundled');
    assert.equal(statSync(join(dir, 'server.js')).mtimeMs, mtime, 'the same files, untouched');
    assert.match(await proveSession(second), /MARK-42/);
  });

  test('keyboard-interactive login ends in a working session too', async () => {
    const r = await bootstrap({
      target: `${USER}@127.0.0.1:${sshd.port}`,
      prompter: new ScriptedPrompter({ 'keyboard-interactive': [sshd.password] }),
      agents: [],
      bundleDir: DIST,
      resolve: { configFiles: [join(sshd.dir, 'ssh_config')], home: sshd.dir, identityFiles: [] },
      server: 'bundled',
    });
    if (r.pid) started.push(r.pid);
    assert.match(await proveSession(r), /MARK-42/);
  });

  test('a remote without Node: auto falls back to the stock mosh-server (and the session works)', async () => {
    const r = await boot({ hideRemoteNode: true });
    assert.equal(r.server.kind, 'system');
    assert.equal(r.server.path, '/usr/bin/mosh-server');
    assert.equal(r.uploaded, false);
    assert.equal(r.probe.node, null);
    assert.match(await proveSession(r), /MARK-42/);
  });

  test('a remote without Node: bundled is refused with what to install', async () => {
    await assert.rejects(boot({ hideRemoteNode: true, server: 'bundled' }), (e: BootstrapError) => {
      assert.equal(e.code, 'no-server');
      assert.match(
        e.message,
        /The bundled server needs Node\.js 18 or later on 127\.0\.0\.1, but no Node\.js was found there/,
      );
      assert.match(e.message, /Install Node\.js 18\+ there, or use --server=system/);
      return true;
    });
  });

  test('system and an explicit path run that server; a missing path is a clear error', async () => {
    const sys = await boot({ server: 'system' });
    assert.equal(sys.server.kind, 'system');
    const explicit = await boot({ server: '/usr/bin/mosh-server' });
    assert.equal(explicit.server.kind, 'path');
    assert.equal(explicit.server.path, '/usr/bin/mosh-server');
    assert.match(await proveSession(explicit), /MARK-42/);
    await assert.rejects(
      boot({ server: '/opt/nothing/mosh-server' }),
      (e: BootstrapError) =>
        e.code === 'no-server' && /"\/opt\/nothing\/mosh-server" was not found on 127\.0\.0\.1/.test(e.message),
    );
  });

  test('a server that fails to start is reported with its own words', async () => {
    await assert.rejects(
      boot({ server: '/bin/false' }),
      (e: BootstrapError) =>
        e.code === 'launch' && /did not print "MOSH CONNECT"\. It exited with status 1/.test(e.message),
    );
  });

  test("a failing server's output is quoted in the error without its escape sequences", async () => {
    const noisy = join(sshd.dir, 'noisy-server');
    writeFileSync(
      noisy,
      "#!/bin/sh\nprintf '\\033]0;pwned\\007\\033[2Jcannot bind\\033[31m: port taken\\r\\n' >&2\nexit 3\n",
      { mode: 0o755 },
    );
    await assert.rejects(boot({ server: noisy }), (e: BootstrapError) => {
      assert.equal(e.code, 'launch');
      assert.match(e.message, /It exited with status 3\.\nIts output:\n[^]*cannot bind: port taken/);
      assert.ok(![...e.message].some((c) => c !== '\n' && /\p{Cc}/u.test(c)), JSON.stringify(e.message));
      return true;
    });
  });

  test('two clients deploying at once both start, leaving one complete copy', async () => {
    rmSync(cache(), { recursive: true, force: true });
    const [a, b] = await Promise.all([boot(), boot()]);
    assert.equal(a.server.kind, 'bundled');
    assert.equal(b.server.kind, 'bundled');
    assert.ok(a.uploaded || b.uploaded);
    assert.deepEqual(readdirSync(cache()), [loadBundle(DIST).hash]);
  });

  test("a copy without this platform's pty binary (a home shared with another machine) gets it added; stale uploads are removed", async () => {
    rmSync(cache(), { recursive: true, force: true });
    const dir = join(cache(), loadBundle(DIST).hash);
    mkdirSync(join(dir, 'pty', 'plan9-mips'), { recursive: true });
    copyFileSync(join(DIST, 'server.js'), join(dir, 'server.js'));
    writeFileSync(join(dir, 'pty', 'plan9-mips', 'pty.node'), 'not this one');
    // and the leftovers of a client that died while uploading, two hours ago
    const stale = join(cache(), `${loadBundle(DIST).hash}.tmp-0badf00d`);
    mkdirSync(join(stale, 'pty'), { recursive: true });
    writeFileSync(join(stale, 'server.js'), 'half');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    const uid = statSync(sshd.home).uid;
    execFileSync('chown', ['-R', `${uid}:${uid}`, join(sshd.home, '.cache')]);
    const r = await boot();
    assert.equal(r.uploaded, true);
    assert.equal(r.server.kind, 'bundled');
    assert.ok(existsSync(join(dir, 'pty', `${process.platform}-${process.arch}`, 'pty.node')));
    assert.deepEqual(readdirSync(cache()), [loadBundle(DIST).hash]);
    assert.deepEqual(
      readdirSync(join(dir, 'pty')).sort(),
      [`${process.platform}-${process.arch}`, 'plan9-mips'].sort(),
    );
  });

  /** Every folder and file of our cache with its mode, e.g. { "<hash>/server.js": 0o600 }. */
  function modes(): Record<string, number> {
    const out: Record<string, number> = { '.': statSync(cache()).mode & 0o777 };
    const walk = (rel: string) => {
      for (const name of readdirSync(join(cache(), rel))) {
        const r = rel ? `${rel}/${name}` : name;
        const st = statSync(join(cache(), r));
        out[r] = st.mode & 0o777;
        if (st.isDirectory()) walk(r);
      }
    };
    walk('');
    return out;
  }

  function expectPrivate(hash: string): void {
    const plat = `${process.platform}-${process.arch}`;
    assert.deepEqual(modes(), {
      '.': 0o700,
      [hash]: 0o700,
      [`${hash}/server.js`]: 0o600,
      [`${hash}/pty`]: 0o700,
      [`${hash}/pty/${plat}`]: 0o700,
      [`${hash}/pty/${plat}/pty.node`]: 0o700,
    });
  }

  test('a cached server.js that was changed is never run: it is reported, uploaded again, and the fresh copy runs', async () => {
    rmSync(cache(), { recursive: true, force: true });
    const hash = loadBundle(DIST).hash;
    await boot();
    const marker = join(sshd.home, 'TAMPERED-SERVER-RAN');
    rmSync(marker, { force: true });
    // a server.js that would see the session key: it leaves a marker, then behaves like the real one
    const serverJs = join(cache(), hash, 'server.js');
    writeFileSync(
      serverJs,
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nrequire(${JSON.stringify(join(DIST, 'server.js'))});\n`,
    );
    const uid = statSync(sshd.home).uid;
    execFileSync('chown', [`${uid}:${uid}`, serverJs]);
    const lines: string[] = [];
    const r = await boot({ log: (l) => lines.push(l) });
    assert.ok(!existsSync(marker), 'the changed server.js never ran');
    assert.equal(r.uploaded, true);
    assert.equal(r.server.kind, 'bundled');
    assert.ok(
      lines.some((l) => l === `the cached server in ${join(cache(), hash)} did not match its hash; uploaded it again`),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /failed its check \(.*server\.js does not match its hash\): not running it/.test(l)),
      lines.join('\n'),
    );
    assert.deepEqual(readdirSync(cache()), [hash], 'the bad copy is gone, no leftovers');
    assert.match(await proveSession(r), /MARK-42/);
    assert.ok(!existsSync(marker));
  });

  test('uploaded folders are 0700 and files 0600 (pty 0700) even from 0666 local files under umask 002', async () => {
    rmSync(cache(), { recursive: true, force: true });
    const loose = mkdtempSync(join(tmpdir(), 'mosh-loose-dist-'));
    const old = process.umask(0o002);
    try {
      cpSync(join(DIST, 'server.js'), join(loose, 'server.js'));
      cpSync(join(DIST, 'pty'), join(loose, 'pty'), { recursive: true });
      const walk = (d: string) => {
        chmodSync(d, 0o777);
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          if (statSync(p).isDirectory()) walk(p);
          else chmodSync(p, 0o666);
        }
      };
      walk(loose);
      const r = await boot({ bundleDir: loose });
      assert.equal(r.uploaded, true);
      expectPrivate(loadBundle(loose).hash);
      assert.match(await proveSession(r), /MARK-42/);
    } finally {
      process.umask(old);
      rmSync(loose, { recursive: true, force: true });
    }
  });

  test('a cache left too open (by an older version) is tightened before the server runs, without uploading again', async () => {
    rmSync(cache(), { recursive: true, force: true });
    const hash = loadBundle(DIST).hash;
    await boot();
    execFileSync('sh', [
      '-c',
      `find "$1" -type d -exec chmod 0777 {} + && find "$1" -type f -exec chmod 0666 {} +`,
      'x',
      cache(),
    ]);
    const lines: string[] = [];
    const r = await boot({ log: (l) => lines.push(l) });
    assert.equal(r.uploaded, false);
    assert.ok(
      lines.some((l) => /^tightened the permissions of 6 of our cached files and folders/.test(l)),
      lines.join('\n'),
    );
    expectPrivate(hash);
    assert.match(await proveSession(r), /MARK-42/);
  });
});
