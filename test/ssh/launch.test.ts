// The remote probe script and the launch pieces without ssh: quoting, the script and its arguments run by every
// login shell (as sshd runs them: `$SHELL -c <line>`), the check of a cached copy before launch, probe parsing,
// the server decision and its messages, MOSH CONNECT parsing, server arguments and locale.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { udpBlockedHint } from '../../src/ssh/bootstrap';
import { BootstrapError } from '../../src/ssh/errors';
import { decide, localeSettings, parseMoshConnect, serverArgs, serverMode, validatePorts } from '../../src/ssh/launch';
import { parseProbe, REMOTE_SCRIPT, remoteArg, remoteCommand, type RemoteProbe, shq } from '../../src/ssh/remote';
import { manifestText } from '../../src/ssh/verify';
import { needs, which } from '../support/peers';

/** The login shells a user may have; each one must hand our script and its arguments to sh unchanged. */
const LOGIN_SHELLS = ['sh', 'bash', 'zsh', 'fish', 'csh', 'tcsh'];

/** Arguments each login shell would mangle if they reached it as they are. */
const NASTY = [
  'new',
  '!',
  '!!',
  'a!b',
  '!$',
  'trail\\',
  '\\',
  "it's",
  "'",
  '"q"',
  '$HOME',
  '$(id)',
  '`id`',
  'line1\nline2',
  '\n',
  '',
  ' ',
  'two  spaces',
  'ünïcødé ✓ 日本',
  '*',
  '~',
  '~root',
  '%self',
  '{a,b}',
  'a;b|c&d',
  '#x',
  'tab\there',
  "\\'",
  'x\r',
  '-e',
  '--',
  '=cmd',
  'p',
  'e',
  'e_101',
];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('the remote script', () => {
  test('shq quotes anything so that sh gives it back unchanged', () => {
    for (const s of ['plain', 'with space', "it's", '$HOME `id` "x" \\ ; | & * ?', '', 'LANG=en_US.UTF-8', 'a\tb']) {
      assert.equal(execFileSync('/bin/sh', ['-c', `printf %s ${shq(s)}`]).toString(), s);
    }
  });

  test('the fixed script has no quote, "!", newline or backslash pair, and every argument is letters, digits and _./:=,+- only', () => {
    assert.ok(
      !/['!\n]|\\\\|\\'/.test(REMOTE_SCRIPT),
      "fish reads \\\\ and \\' in single quotes; csh expands ! and cannot quote a newline",
    );
    const cmd = remoteCommand({
      mode: 'auto',
      hash: 'abc',
      cacheRoot: '.cache/vscode-mosh',
      manifest: 'server.js:00',
      serverArgs: NASTY,
    });
    assert.ok(cmd.startsWith(`sh -c '${REMOTE_SCRIPT}' vscode-mosh `));
    const args = cmd.slice(`sh -c '${REMOTE_SCRIPT}' vscode-mosh `.length).split(' ');
    for (const a of args) assert.match(a, /^(p[A-Za-z0-9_./:=,+-]*|e[A-Za-z0-9_]*)$/);
    assert.equal(remoteArg("it's"), 'eit_047s');
    assert.equal(remoteArg('LANG=C.UTF-8'), 'pLANG=C.UTF-8');
    assert.throws(() => remoteArg('a\0b'), /NUL byte/);
  });

  // what sshd does with our command line: `$SHELL -c <line>`, for every login shell a user may have
  for (const shell of LOGIN_SHELLS) {
    test(
      `login shell ${shell}: the server gets arguments with ! \\ ' " $ newlines spaces and non-ASCII byte for byte`,
      needs(shell),
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'mosh-argv-'));
        try {
          const fake = join(dir, 'fake-server');
          writeFileSync(
            fake,
            `#!${process.execPath}\nconsole.log('ARGV ' + JSON.stringify(process.argv.slice(2)));\n`,
            { mode: 0o755 },
          );
          const cmd = remoteCommand({
            mode: 'path',
            hash: 'h',
            cacheRoot: '.c',
            explicitPath: fake,
            serverArgs: NASTY,
          });
          const out = execFileSync(which(shell)!, ['-c', cmd], {
            env: { PATH: process.env.PATH, HOME: dir, SHELL: which(shell)! },
          }).toString();
          const line = /^ARGV (.*)$/m.exec(out);
          assert.ok(line, `the fake server ran; output:\n${out}`);
          assert.deepEqual(JSON.parse(line[1]), NASTY);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  }

  for (const shell of LOGIN_SHELLS) {
    test(
      `run by ${shell}: probes this machine, finds the cache, checks it, and execs the chosen server`,
      needs(shell),
      () => {
        const home = mkdtempSync(join(tmpdir(), 'mosh-probe-'));
        try {
          const plat = `${process.platform}-${process.arch}`;
          const env = { PATH: process.env.PATH, HOME: home, SHELL: which(shell)! };
          const run = (args: Parameters<typeof remoteCommand>[0]) =>
            execFileSync(which(shell)!, ['-c', remoteCommand(args)], {
              env,
              stdio: ['ignore', 'pipe', 'pipe'],
            }).toString();
          const server = 'console.log("SERVER", process.argv.slice(2).join(" "))';
          const files = { 'server.js': sha256(server), [`pty/${plat}/pty.node`]: sha256('') };
          const base = {
            hash: 'h1',
            cacheRoot: '.cache/vscode-mosh',
            manifest: manifestText(files),
            serverArgs: ['--version'],
          };
          let p = parseProbe(run({ ...base, mode: 'bundled' }));
          assert.equal(p.began, true);
          assert.equal(p.platform, plat);
          assert.equal(p.home, home);
          assert.equal(p.cached, false);
          assert.equal(p.launched, 'none');
          assert.ok(p.node && p.node.major >= 18, 'this machine has Node >= 18');
          mkdirSync(join(home, '.cache/vscode-mosh/h1/pty', plat), { recursive: true });
          writeFileSync(join(home, '.cache/vscode-mosh/h1/server.js'), server);
          writeFileSync(join(home, '.cache/vscode-mosh/h1/pty', plat, 'pty.node'), '');
          const out = run({ ...base, mode: 'auto' });
          p = parseProbe(out);
          assert.equal(p.cached, true);
          assert.match(p.verify ?? '', /^ok/);
          assert.equal(p.launched, 'bundled');
          assert.match(out, /^SERVER --version$/m);
          if (which('mosh-server')) {
            const sys = run({ ...base, mode: 'auto', hideNode: true });
            assert.equal(parseProbe(sys).launched, 'system');
            assert.match(sys, /mosh-server|mosh /i);
          }
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      },
    );
  }

  test('a cached copy that does not match its digests is not run; loose modes are made private before a good one runs', () => {
    const home = mkdtempSync(join(tmpdir(), 'mosh-verify-'));
    try {
      const plat = `${process.platform}-${process.arch}`;
      const root = join(home, '.cache/vscode-mosh');
      const dir = join(root, 'h1');
      const marker = join(home, 'TAMPERED-RAN');
      const good = 'console.log("GOOD SERVER")';
      const files = {
        'server.js': sha256(good),
        [`pty/${plat}/pty.node`]: sha256('pty'),
        'pty/plan9-mips/pty.node': sha256('other'),
      };
      mkdirSync(join(dir, 'pty', plat), { recursive: true });
      writeFileSync(
        join(dir, 'server.js'),
        `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran"); console.log("BAD SERVER")`,
      );
      writeFileSync(join(dir, 'pty', plat, 'pty.node'), 'pty');
      const run = () =>
        execFileSync(
          '/bin/sh',
          [
            '-c',
            remoteCommand({
              mode: 'auto',
              hash: 'h1',
              cacheRoot: '.cache/vscode-mosh',
              manifest: manifestText(files),
              serverArgs: [],
            }),
          ],
          {
            env: { PATH: process.env.PATH, HOME: home, SHELL: '/bin/sh' },
          },
        ).toString();
      let out = run();
      let p = parseProbe(out);
      assert.equal(p.launched, 'none');
      assert.match(p.verify ?? '', /^bad .*server\.js does not match its hash$/);
      assert.ok(!existsSync(marker), 'the tampered server.js never ran');
      assert.doesNotMatch(out, /BAD SERVER/);

      writeFileSync(join(dir, 'server.js'), good);
      for (const d of [root, dir, join(dir, 'pty'), join(dir, 'pty', plat)]) chmodSync(d, 0o777);
      chmodSync(join(dir, 'server.js'), 0o666);
      chmodSync(join(dir, 'pty', plat, 'pty.node'), 0o666);
      out = run();
      p = parseProbe(out);
      assert.equal(p.verify, 'ok fixed=6');
      assert.equal(p.launched, 'bundled');
      assert.match(out, /GOOD SERVER/);
      for (const d of [root, dir, join(dir, 'pty'), join(dir, 'pty', plat)])
        assert.equal(statSync(d).mode & 0o777, 0o700, d);
      assert.equal(statSync(join(dir, 'server.js')).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'pty', plat, 'pty.node')).mode & 0o777, 0o700);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("Node only on the login shell's PATH is found; else the Node of a VS Code Server install", () => {
    const home = mkdtempSync(join(tmpdir(), 'mosh-probe-'));
    try {
      // a PATH with the few tools the script uses but no node
      const bin = join(home, 'bin');
      mkdirSync(bin);
      for (const t of ['uname', 'tail', 'tr', 'sh', 'bash']) execFileSync('ln', ['-s', which(t)!, join(bin, t)]);
      const nodeDir = join(home, 'nodebin');
      mkdirSync(nodeDir);
      execFileSync('ln', ['-s', process.execPath, join(nodeDir, 'node')]);
      writeFileSync(join(home, '.profile'), `PATH="${nodeDir}:$PATH"; export PATH\n`);
      const env = { PATH: bin, HOME: home, SHELL: which('bash')! };
      const probe = () =>
        parseProbe(
          execFileSync(
            which('sh')!,
            ['-c', remoteCommand({ mode: 'bundled', hash: 'h', cacheRoot: '.c', serverArgs: [] })],
            { env },
          ).toString(),
        );
      assert.equal(probe().node?.path, join(nodeDir, 'node'));

      // a configured node comes first
      const mine = join(home, 'mynode', 'bin');
      mkdirSync(mine, { recursive: true });
      execFileSync('ln', ['-s', process.execPath, join(mine, 'node')]);
      const cmd = remoteCommand({
        mode: 'bundled',
        hash: 'h',
        cacheRoot: '.c',
        serverArgs: [],
        nodePath: '~/mynode/bin/node',
      });
      assert.equal(
        parseProbe(execFileSync(which('sh')!, ['-c', cmd], { env }).toString()).node?.path,
        join(mine, 'node'),
      );

      env.SHELL = '/nonexistent/shell'; // no login shell to ask (its /etc/profile would find the system node)
      const vs = join(home, '.vscode-server', 'bin', 'commit123');
      mkdirSync(vs, { recursive: true });
      execFileSync('ln', ['-s', process.execPath, join(vs, 'node')]);
      assert.equal(probe().node?.path, join(vs, 'node'));
      rmSync(join(home, '.vscode-server'), { recursive: true });
      assert.equal(probe().node, null);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('probe lines are read among other output; every node looked at is kept', () => {
    const p = parseProbe(
      [
        'Welcome!',
        'VSMOSH os=Linux',
        'VSMOSH arch=aarch64',
        'VSMOSH plat=linux-arm64',
        'VSMOSH home=/home/u',
        'VSMOSH node-found=v16.20.0 /usr/bin/node',
        'VSMOSH node-found=v20.11.1 /home/u/.vscode-server/bin/abc/node',
        'VSMOSH node=/home/u/.vscode-server/bin/abc/node',
        'VSMOSH mosh-server=',
        'VSMOSH cached=0',
        'VSMOSH launch=none',
      ].join('\r\n'),
    );
    assert.equal(p.platform, 'linux-arm64');
    assert.deepEqual(p.node, { version: 'v20.11.1', path: '/home/u/.vscode-server/bin/abc/node', major: 20 });
    assert.equal(p.nodesFound.length, 2);
    assert.equal(p.moshServer, null);
    assert.equal(p.launched, 'none');
  });
});

describe('choosing the server', () => {
  const probe = (over: Partial<RemoteProbe>): RemoteProbe => ({
    os: 'Linux',
    arch: 'x86_64',
    platform: 'linux-x64',
    home: '/home/u',
    shell: '/bin/bash',
    node: null,
    nodesFound: [],
    moshServer: null,
    cached: false,
    verify: null,
    began: true,
    launched: 'none',
    serverPath: null,
    ...over,
  });
  const node20 = { path: '/usr/bin/node', version: 'v20.1.0', major: 20 };
  const sup = ['linux-x64', 'darwin-arm64'];
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof BootstrapError);
      return e;
    }
    assert.fail('no error');
  };

  test('server choices: auto, bundled, system, anything else is a path', () => {
    assert.deepEqual(serverMode('auto'), { mode: 'auto' });
    assert.deepEqual(serverMode('system'), { mode: 'system' });
    assert.deepEqual(serverMode('/opt/mosh/bin/mosh-server'), { mode: 'path', path: '/opt/mosh/bin/mosh-server' });
  });

  test('Node there, not deployed yet: upload (auto and bundled)', () => {
    assert.equal(decide(probe({ node: node20 }), { mode: 'auto' }, 'h', sup), 'upload');
    assert.equal(decide(probe({ node: node20 }), { mode: 'bundled' }, 'h', sup), 'upload');
  });

  test('neither Node nor mosh-server: the message says exactly what to install', () => {
    const e = err(() => decide(probe({}), { mode: 'auto' }, 'box', sup));
    assert.equal(e.code, 'no-server');
    assert.match(
      e.message,
      /No mosh server can run on box: no Node\.js was found there .* and mosh-server is not installed\./,
    );
    assert.match(e.message, /Node\.js 18 or later/);
    assert.match(e.message, /sudo apt install mosh/);
  });

  test('a too old Node is named with its version and path', () => {
    const e = err(() =>
      decide(
        probe({ nodesFound: [{ path: '/usr/bin/node', version: 'v16.20.0', major: 16 }] }),
        { mode: 'bundled' },
        'box',
        sup,
      ),
    );
    assert.match(e.message, /Node\.js there is too old \(v16\.20\.0 at \/usr\/bin\/node; 18 or later is needed\)/);
  });

  test('system without mosh-server, an explicit path that is not there, a platform without our pty binary', () => {
    assert.match(
      err(() => decide(probe({ node: node20 }), { mode: 'system' }, 'box', sup)).message,
      /mosh-server is not installed on box/,
    );
    assert.match(
      err(() => decide(probe({}), { mode: 'path', path: '/x/mosh-server' }, 'box', sup)).message,
      /"\/x\/mosh-server" was not found on box/,
    );
    const other = probe({ node: node20, platform: 'freebsd-x64', os: 'FreeBSD', arch: 'amd64' });
    assert.match(
      err(() => decide(other, { mode: 'bundled' }, 'box', sup)).message,
      /supports linux-x64, darwin-arm64, but box is FreeBSD amd64/,
    );
    assert.equal(
      decide({ ...other, moshServer: '/usr/local/bin/mosh-server' }, { mode: 'auto' }, 'box', sup),
      'system',
    );
  });
});

describe('launching', () => {
  test('MOSH CONNECT is found among other lines (and CRLF); the detached pid is read from stderr', () => {
    assert.deepEqual(
      parseMoshConnect(
        '\r\n\r\nMOSH CONNECT 60001 abcdefghijklmnopqrstuv\r\n',
        'banner\n[mosh-server detached, pid = 4242]\n',
      ),
      {
        port: 60001,
        key: 'abcdefghijklmnopqrstuv',
        pid: 4242,
      },
    );
    assert.equal(parseMoshConnect('MOSH CONNECT 60001 short\n'), null);
    assert.equal(parseMoshConnect('nothing here'), null);
  });

  test('server arguments as the mosh wrapper gives them', () => {
    assert.deepEqual(serverArgs({ locale: { LANG: 'C.UTF-8' } }), ['new', '-s', '-c', '256', '-l', 'LANG=C.UTF-8']);
    assert.deepEqual(
      serverArgs({
        colors: 8,
        ports: '60001:60010',
        locale: { LANG: 'en_US.UTF-8', LC_TIME: 'C' },
        command: ['htop', '-d', '5'],
      }),
      [
        'new',
        '-s',
        '-c',
        '8',
        '-p',
        '60001:60010',
        '-l',
        'LANG=en_US.UTF-8',
        '-l',
        'LC_TIME=C',
        '--',
        'htop',
        '-d',
        '5',
      ],
    );
    assert.throws(() => validatePorts('70000'), /Bad UDP port or range "70000"/);
    assert.throws(() => validatePorts('61000:60000'), /Bad UDP port/);
    assert.equal(validatePorts('60001'), '60001');
  });

  test("locale: the client's UTF-8 settings are passed, otherwise C.UTF-8", () => {
    assert.deepEqual(localeSettings({ LANG: 'de_DE.UTF-8', LC_MESSAGES: 'C', PATH: '/bin' }), {
      LANG: 'de_DE.UTF-8',
      LC_MESSAGES: 'C',
    });
    assert.deepEqual(localeSettings({ LANG: 'en_US.UTF-8', LC_ALL: 'C' }), { LANG: 'C.UTF-8' });
    assert.deepEqual(localeSettings({}), { LANG: 'C.UTF-8' });
  });

  test('the UDP hint names the address and the ports to open', () => {
    assert.match(
      udpBlockedHint({ ip: '203.0.113.5', port: 60001 }),
      /no UDP packet came back from 203\.0\.113\.5 port 60001\.\nMosh needs UDP: open UDP ports 60000-61000/,
    );
    assert.match(udpBlockedHint({ ip: '::1', port: 60005 }, '60005'), /open UDP port 60005 in the firewalls/);
  });
});
