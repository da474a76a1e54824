// ssh_config resolution as OpenSSH does it, and the user@host[:port] targets a user types.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { matchPatternList, parseTarget, resolveHost } from '../../src/ssh/config';
import { BootstrapError } from '../../src/ssh/errors';

const root = mkdtempSync(join(tmpdir(), 'mosh-sshconfig-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh home with ~/.ssh/config = text (plus other files under ~/.ssh). */
function home(config: string, files: Record<string, string> = {}): { home: string; file: string } {
  const h = join(root, `home${n++}`);
  mkdirSync(join(h, '.ssh'), { recursive: true });
  const file = join(h, '.ssh', 'config');
  writeFileSync(file, config);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(h, '.ssh', name, '..'), { recursive: true });
    writeFileSync(join(h, '.ssh', name), text);
  }
  return { home: h, file };
}

function resolve(target: string, config: string, files: Record<string, string> = {}, extra: object = {}) {
  const h = home(config, files);
  return {
    ...resolveHost(target, { configFiles: [h.file], home: h.home, localUser: 'alice', ...extra }),
    home: h.home,
  };
}

describe('targets typed by the user', () => {
  test('host, user@host, host:port, user@host:port', () => {
    assert.deepEqual(parseTarget('example.org'), { user: undefined, host: 'example.org', port: undefined });
    assert.deepEqual(parseTarget('bob@example.org'), { user: 'bob', host: 'example.org', port: undefined });
    assert.deepEqual(parseTarget('example.org:2222'), { user: undefined, host: 'example.org', port: 2222 });
    assert.deepEqual(parseTarget('bob@10.0.0.1:22'), { user: 'bob', host: '10.0.0.1', port: 22 });
  });
  test('IPv6: bare, bracketed, bracketed with a port, and ssh:// URLs', () => {
    assert.deepEqual(parseTarget('::1'), { user: undefined, host: '::1', port: undefined });
    assert.deepEqual(parseTarget('bob@[fe80::1]:2200'), { user: 'bob', host: 'fe80::1', port: 2200 });
    assert.deepEqual(parseTarget('[::1]'), { user: undefined, host: '::1', port: undefined });
    assert.deepEqual(parseTarget('ssh://bob@host.example:2022'), { user: 'bob', host: 'host.example', port: 2022 });
  });
  test('bad ports and empty parts are refused with the reason', () => {
    assert.throws(
      () => parseTarget('host:99999'),
      (e: BootstrapError) => e.code === 'config' && /Bad port "99999"/.test(e.message),
    );
    assert.throws(() => parseTarget('host:x'), /Bad port/);
    assert.throws(() => parseTarget('@host'), /empty user/);
    assert.throws(() => parseTarget(''), /No host/);
  });
});

describe('ssh_config resolution', () => {
  test('Host patterns: first value wins, HostName with %h, User and Port', () => {
    const r = resolve(
      'web',
      `Host web
  HostName %h.example.org
  User deploy
  Port 2200
Host *
  User nobody
  Port 22
  HostName ignored
`,
    );
    assert.equal(r.alias, 'web');
    assert.equal(r.hostname, 'web.example.org');
    assert.equal(r.user, 'deploy');
    assert.equal(r.port, 2200);
  });

  test('wildcards, ? and negation in Host lines; names compared case-insensitively', () => {
    const cfg = `Host *.prod !db.prod
  User ops
Host app? APP-X
  Port 2201
`;
    assert.equal(resolve('web.prod', cfg).user, 'ops');
    assert.equal(resolve('db.prod', cfg).user, 'alice');
    assert.equal(resolve('app1', cfg).port, 2201);
    assert.equal(resolve('app-x', cfg).port, 2201);
    assert.equal(resolve('app12', cfg).port, 22);
    assert.equal(matchPatternList(['a,b', '!c'], 'b'), true);
    assert.equal(matchPatternList(['*', '!c'], 'c'), false);
  });

  test('defaults: the local user, port 22, ask for unknown keys, OpenSSH auth order', () => {
    const r = resolve('plain.example', '');
    assert.equal(r.user, 'alice');
    assert.equal(r.port, 22);
    assert.equal(r.strictHostKeyChecking, 'ask');
    assert.deepEqual(r.preferredAuthentications, ['publickey', 'keyboard-interactive', 'password']);
    assert.deepEqual(r.userKnownHostsFiles, [join(r.home, '.ssh/known_hosts'), join(r.home, '.ssh/known_hosts2')]);
    assert.deepEqual(r.proxyJump, []);
  });

  test('user@host:port typed by the user wins over the config', () => {
    const r = resolve('carol@web:2022', 'Host web\n  User deploy\n  Port 2200\n');
    assert.equal(r.user, 'carol');
    assert.equal(r.port, 2022);
    const r2 = resolve('web', 'Host web\n  User deploy\n', {}, { user: 'dave', port: 23 });
    assert.equal(r2.user, 'dave');
    assert.equal(r2.port, 23);
  });

  test('IdentityFile accumulates, expands ~ and tokens, keeps only files that exist; IdentitiesOnly', () => {
    const r = resolve(
      'box',
      `Host box
  IdentityFile ~/.ssh/id_%h
  IdentityFile %d/.ssh/id_%r_missing
  IdentitiesOnly yes
Host *
  IdentityFile ~/.ssh/common
`,
      { id_box: 'k', common: 'k' },
    );
    assert.deepEqual(r.identityFiles, [join(r.home, '.ssh/id_box'), join(r.home, '.ssh/common')]);
    assert.equal(r.identitiesOnly, true);
  });

  test('without any IdentityFile the default names are used, if present; -i comes first', () => {
    const r = resolve('box', '', { id_ed25519: 'k', id_rsa: 'k' });
    assert.deepEqual(r.identityFiles, [join(r.home, '.ssh/id_rsa'), join(r.home, '.ssh/id_ed25519')]);
    const h = home('Host box\n  IdentityFile ~/.ssh/cfgkey\n', { cfgkey: 'k', cli: 'k' });
    const r2 = resolveHost('box', { configFiles: [h.file], home: h.home, identityFiles: [join(h.home, '.ssh/cli')] });
    assert.deepEqual(r2.identityFiles, [join(h.home, '.ssh/cli'), join(h.home, '.ssh/cfgkey')]);
  });

  test('Include: relative to ~/.ssh, globs in sorted order, conditional inside a Host block', () => {
    const r = resolve(
      'db',
      `Include conf.d/*.conf
Host db
  Include db-only
Host *
  Include late
`,
      {
        'conf.d/10-first.conf': 'Host db\n  User first\n',
        'conf.d/20-second.conf': 'Host db\n  User second\n  Port 2300\n',
        'conf.d/ignored.txt': 'Host db\n  User txt\n',
        'db-only': 'HostName db.internal\n',
        late: 'Port 9999\nCompression yes\n',
      },
    );
    assert.equal(r.user, 'first');
    assert.equal(r.port, 2300);
    assert.equal(r.hostname, 'db.internal');
    assert.deepEqual(r.options.get('compression'), ['yes']);
    const other = resolve('web', 'Host db\n  Include db-only\n', { 'db-only': 'HostName db.internal\n' });
    assert.equal(other.hostname, 'web');
  });

  test('an Include that includes itself is stopped with an error, not a hang', () => {
    assert.throws(
      () => resolve('x', 'Include loop\n', { loop: 'Include loop\n' }),
      (e: BootstrapError) => e.code === 'config' && /nested too deeply/.test(e.message),
    );
  });

  test('Match host (after HostName), originalhost, user, exec, negation and all', () => {
    const cfg = `Host short
  HostName long.example.org
Match host *.example.org
  User matched
Match originalhost short
  Port 2400
Match exec "exit 0" !user root
  Compression yes
Match exec "exit 1"
  ForwardX11 yes
Match all
  LogLevel QUIET
`;
    const r = resolve('short', cfg);
    assert.equal(r.user, 'matched');
    assert.equal(r.port, 2400);
    assert.deepEqual(r.options.get('compression'), ['yes']);
    assert.equal(r.options.get('forwardx11'), undefined);
    assert.deepEqual(r.options.get('loglevel'), ['QUIET']);
    assert.equal(resolve('short', cfg, {}, { matchExec: false }).options.get('compression'), undefined);
  });

  test('Match final applies in a second pass, with the final host name', () => {
    const r = resolve('a', 'Host a\n  HostName a.example\nMatch final host a.example\n  User finaluser\n');
    assert.equal(r.user, 'finaluser');
  });

  test('ProxyJump lists hops nearest first; "none" turns it off', () => {
    assert.deepEqual(resolve('t', 'Host t\n  ProxyJump u@j1:2222,j2\n').proxyJump, ['u@j1:2222', 'j2']);
    assert.deepEqual(resolve('t', 'Host t\n  ProxyJump none\nHost *\n  ProxyJump j\n').proxyJump, []);
  });

  test('ProxyCommand keeps its quoting and expands %h and %p', () => {
    const r = resolve(
      't',
      'Host t\n  HostName real.example\n  Port 2022\n  ProxyCommand nc -X connect -x "proxy host:8080" %h %p\n',
    );
    assert.equal(r.proxyCommand, 'nc -X connect -x "proxy host:8080" real.example 2022');
  });

  test('host key and authentication settings are read', () => {
    const r = resolve(
      't',
      `Host t
  StrictHostKeyChecking accept-new
  HashKnownHosts yes
  UserKnownHostsFile ~/kh1 /tmp/kh2
  HostKeyAlias alias.example
  PreferredAuthentications password,gssapi-with-mic,keyboard-interactive
  PasswordAuthentication no
  NumberOfPasswordPrompts 1
  IdentityAgent none
  ConnectTimeout 7
  BatchMode yes
`,
    );
    assert.equal(r.strictHostKeyChecking, 'accept-new');
    assert.equal(r.hashKnownHosts, true);
    assert.deepEqual(r.userKnownHostsFiles, [join(r.home, 'kh1'), '/tmp/kh2']);
    assert.equal(r.hostKeyAlias, 'alias.example');
    assert.deepEqual(r.preferredAuthentications, ['password', 'keyboard-interactive']);
    assert.equal(r.passwordAuthentication, false);
    assert.equal(r.numberOfPasswordPrompts, 1);
    assert.equal(r.identityAgent, 'none');
    assert.equal(r.connectTimeout, 7);
    assert.equal(r.batchMode, true);
  });

  test('directive names are case-insensitive and "=" separates too', () => {
    const r = resolve('t', 'host t\n  hostname=t.example\n  PORT=2500\n  user = eve\n');
    assert.equal(r.hostname, 't.example');
    assert.equal(r.port, 2500);
    assert.equal(r.user, 'eve');
  });

  test('missing config files are fine; an unreadable Match is a config error', () => {
    const r = resolveHost('x', { configFiles: [join(root, 'nope', 'config')], home: root, localUser: 'alice' });
    assert.equal(r.hostname, 'x');
    assert.throws(
      () => resolve('x', 'Match frobnicate yes\n  User x\n'),
      (e: BootstrapError) => e.code === 'config' && /frobnicate/.test(e.message),
    );
    assert.throws(() => resolve('x', 'Host x\n  Port 70000\n'), /Bad port "70000"/);
  });

  test('a system file (/etc/ssh style) resolves relative Includes beside itself', () => {
    const etc = mkdtempSync(join(root, 'etc-'));
    mkdirSync(join(etc, 'ssh_config.d'));
    writeFileSync(join(etc, 'ssh_config.d', 'a.conf'), 'Host *\n  SendEnv LANG\n');
    writeFileSync(join(etc, 'ssh_config'), `Include ${join(etc, 'ssh_config.d')}/*.conf\n`);
    chmodSync(etc, 0o755);
    const r = resolveHost('x', { configFiles: [join(etc, 'ssh_config')], home: root, localUser: 'alice' });
    assert.deepEqual(r.options.get('sendenv'), ['LANG']);
  });
});
