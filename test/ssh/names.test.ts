// Host and user names that would run commands on this machine through ProxyCommand or `Match exec`
// (CVE-2023-51385): each attack is tried for real, through bootstrap() and through `node dist/cli.js connect`,
// with an ssh_config whose ProxyCommand and Match exec would carry it to /bin/sh. Every one is refused with
// words that name the character and the part, before any local process starts: a marker file proves nothing ran.
// And names that are odd but allowed (from the config itself) reach those commands quoted, byte for byte.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as pty from '@lydell/node-pty';
import { bootstrap } from '../../src/ssh/bootstrap';
import { resolveHost } from '../../src/ssh/config';
import { connectSsh } from '../../src/ssh/connect';
import { BootstrapError } from '../../src/ssh/errors';
import { hostNameProblem, parseTarget, userNameProblem, validateTarget } from '../../src/ssh/names';
import { expandTokensForShell, shq } from '../../src/ssh/shellquote';
import { ScriptedPrompter } from '../support/prompter';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

let work: string;
let home: string;
let config: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'mosh-names-'));
  home = join(work, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  config = join(home, '.ssh', 'config');
  // what CVE-2023-51385 needs: %h, %n or %r in a command the local shell runs
  writeFileSync(
    config,
    [
      `Match exec "touch ${join(work, 'match-exec-ran')}; test %n = %h"`,
      '  ConnectTimeout 1',
      'Host *',
      '  ProxyCommand nc %h %p',
      '  BatchMode yes',
      '',
    ].join('\n'),
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

/** What is in the work folder besides the home: anything there was made by an attack that got through. */
const markers = () => readdirSync(work).filter((f) => f !== 'home');

const W = () => work;
const attacks = (): { target: string; part: 'host' | 'user'; char: string }[] => [
  { target: `x$(touch\${IFS}${W()}/pwned-dollar)`, part: 'host', char: '"$"' },
  { target: `x\`touch\${IFS}${W()}/pwned-backquote\``, part: 'host', char: '"`"' },
  { target: `x;touch\${IFS}${W()}/pwned-semicolon`, part: 'host', char: '";"' },
  { target: `x|touch\${IFS}${W()}/pwned-pipe`, part: 'host', char: '"|"' },
  { target: `x&touch\${IFS}${W()}/pwned-amp`, part: 'host', char: '"&"' },
  { target: `x>${W()}/pwned-redirect`, part: 'host', char: '">"' },
  { target: `x\ntouch ${W()}/pwned-newline`, part: 'host', char: 'a newline (U+000A)' },
  { target: `x\u001b]0;title\u0007`, part: 'host', char: 'an escape character (U+001B)' },
  { target: `-oProxyCommand=touch`, part: 'host', char: '' },
  { target: `u$(touch\${IFS}${W()}/pwned-user)@localhost`, part: 'user', char: '"$"' },
  { target: `u\`touch\${IFS}${W()}/pwned-user-bq\`@localhost`, part: 'user', char: '"`"' },
  { target: `u;touch\${IFS}${W()}/pwned-user-semi@localhost`, part: 'user', char: '";"' },
  { target: `u|touch\${IFS}${W()}/pwned-user-pipe@localhost`, part: 'user', char: '"|"' },
  { target: `u\ntouch ${W()}/pwned-user-nl@localhost`, part: 'user', char: 'a newline (U+000A)' },
  { target: `%d@localhost`, part: 'user', char: '"%"' },
  { target: `u%h@localhost`, part: 'user', char: '"%"' },
  { target: `'u'@localhost`, part: 'user', char: `"'"` },
];

describe('names that would run commands are refused before anything runs', () => {
  test('each attack is refused with the character and the part named', () => {
    for (const a of attacks()) {
      const problem = validateTarget(a.target);
      assert.ok(problem, `refused: ${JSON.stringify(a.target)}`);
      if (a.char)
        assert.match(
          problem,
          new RegExp(
            `^The ${a.part} name ".*" contains ${a.char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, which is not allowed in a ${a.part} name \\(`,
            's',
          ),
        );
      else assert.match(problem, new RegExp(`^The ${a.part} name ".*" starts with "-"`));
      assert.ok(
        !problem.includes('\n') && !problem.includes('\u001b'),
        'the message itself carries no control characters',
      );
    }
    assert.equal(
      validateTarget('x$(touch${IFS}pwned)'),
      'The host name "x$(touch${IFS}pwned)" contains "$", which is not allowed in a host name (shell metacharacter).',
    );
  });

  test('bootstrap() refuses each one with a config error; neither Match exec nor ProxyCommand ran', async () => {
    for (const a of attacks()) {
      await assert.rejects(
        bootstrap({
          target: a.target,
          prompter: new ScriptedPrompter(),
          agents: [],
          resolve: { configFiles: [config], home },
        }),
        (e: BootstrapError) => e.code === 'config' && e.message === validateTarget(a.target),
      );
    }
    assert.deepEqual(markers(), []);
  });

  test('resolveHost() refuses them in a Target object and as the -l user too, before Match exec runs', () => {
    assert.throws(
      () => resolveHost({ host: `a;touch ${W()}/pwned-target` }, { configFiles: [config], home }),
      /contains ";"/,
    );
    assert.throws(
      () => resolveHost({ host: 'ok.example', user: 'u$(id)' }, { configFiles: [config], home }),
      /The user name "u\$\(id\)" contains "\$"/,
    );
    assert.throws(
      () => resolveHost('ok.example', { configFiles: [config], home, user: `u|touch ${W()}/pwned-l` }),
      /The user name .* contains "\|"/,
    );
    assert.deepEqual(markers(), []);
  });

  test('node dist/cli.js connect with the CVE-2023-51385 host name runs nothing and says why', async () => {
    // on a terminal, as a user runs it; ~/.ssh/config has "ProxyCommand nc %h %p"; the cwd is where touch would write
    const p = pty.spawn(process.execPath, [CLI, 'connect', 'x$(touch${IFS}pwned)'], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb' },
      cols: 200,
      rows: 30,
    });
    let out = '';
    p.onData((d) => (out += d));
    const code = await new Promise<number>((resolve) => p.onExit((e) => resolve(e.exitCode)));
    assert.equal(code, 255, out);
    assert.match(
      out,
      /The host name "x\$\(touch\$\{IFS\}pwned\)" contains "\$", which is not allowed in a host name \(shell metacharacter\)\./,
    );
    assert.deepEqual(markers(), []);
  });

  test('ordinary names pass: IPv6 with a zone, IDN, dots and dashes, a Windows user with a space, user@host@gateway', () => {
    for (const t of [
      'example.org',
      'db-1.internal',
      'fe80::1%eth0',
      '[fe80::1%25eth0]:2222',
      'bücher.example',
      'john smith@winbox',
      'alice@bastion@gw.example',
      'a_b+c@h',
      'ssh://bob@host:22',
    ]) {
      assert.equal(validateTarget(t), undefined, t);
    }
    assert.deepEqual(parseTarget('john smith@winbox'), { user: 'john smith', host: 'winbox', port: undefined });
    assert.match(userNameProblem('john -oProxyCommand=x') ?? '', /"-" after a space/);
    assert.match(
      hostNameProblem('a b') ?? '',
      /contains a space character \(U\+0020\), which is not allowed in a host name \(white space\)/,
    );
    assert.match(userNameProblem('a\tb') ?? '', /contains a tab \(U\+0009\)/);
    assert.match(hostNameProblem('ev\u202eil') ?? '', /the control character U\+202E/);
  });
});

describe('values from the config itself are trusted but quoted where they reach the shell', () => {
  // OpenSSH 9.6 trusts HostName and User from ssh_config (they are not checked); we also quote them, so one that
  // is odd but meant (a space, a quote, a dollar) reaches the command as one literal word and runs nothing
  const odd = { hostname: `odd host$(touch pwned-hn)'"x`, user: `o'brien $(id) "x"` };

  test('Match exec: %h, %r and %n arrive byte for byte, outside quotes, in single and in double quotes', () => {
    const out = join(work, 'quoted-out');
    const cfg = join(work, 'quoted-config');
    const w = (s: string) => s.replace(/"/g, '\\"');
    writeFileSync(
      cfg,
      [
        'Host odd',
        `  HostName ${JSON.stringify(odd.hostname)}`,
        `  User ${JSON.stringify(odd.user)}`,
        `Match exec "${w(`printf '%%s|' %h '%h' "%r" %n > ${out}`)}"`,
        '  Port 2022',
        '',
      ].join('\n'),
    );
    const r = resolveHost('odd', { configFiles: [cfg], home });
    assert.equal(r.hostname, odd.hostname);
    assert.equal(r.user, odd.user);
    assert.equal(readFileSync(out, 'utf8'), `${odd.hostname}|${odd.hostname}|${odd.user}|odd|`);
    assert.equal(r.port, 2022, 'the Match matched (its command ran and succeeded)');
    rmSync(out);
    assert.deepEqual(
      markers().filter((f) => f.startsWith('pwned')),
      [],
    );
  });

  test('ProxyCommand: the command connectSsh starts gets %h and %r as single words', async () => {
    const out = join(work, 'proxy-out');
    const cfg = join(work, 'proxy-config');
    writeFileSync(
      cfg,
      [
        'Host odd',
        `  HostName ${JSON.stringify(odd.hostname)}`,
        `  User ${JSON.stringify(odd.user)}`,
        `  ProxyCommand printf '%%s\\n' %h "%r" > ${out}`,
        '  ConnectTimeout 2',
        '',
      ].join('\n'),
    );
    const host = resolveHost('odd', { configFiles: [cfg], home });
    await assert.rejects(connectSsh(host, { prompter: new ScriptedPrompter(), agents: [] }), BootstrapError);
    assert.equal(readFileSync(out, 'utf8'), `${odd.hostname}\n${odd.user}\n`);
    assert.deepEqual(
      markers().filter((f) => f.startsWith('pwned')),
      [],
    );
  });

  /** The error connectSsh gives for a host on 127.0.0.1 reached through `proxyCommand`, which ends at once. */
  async function proxyFailure(name: string, proxyCommand: string): Promise<BootstrapError> {
    const cfg = join(work, `${name}-config`);
    writeFileSync(cfg, [`Host ${name}`, '  HostName 127.0.0.1', `  ProxyCommand ${proxyCommand}`, ''].join('\n'));
    const host = resolveHost(name, { configFiles: [cfg], home });
    const err = await connectSsh(host, { prompter: new ScriptedPrompter(), agents: [], timeoutMs: 10_000 }).then(
      () => assert.fail('connected through a proxy that exited'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BootstrapError, String(err));
    return err;
  }

  test('a ProxyCommand that ends at once: the error names it, its exit status and its last words', async () => {
    const err = await proxyFailure('dies', `sh -c 'echo no route to the bastion >&2; exit 3'`);
    assert.equal(err.code, 'unreachable');
    assert.equal(
      err.message,
      'ssh: the ProxyCommand for 127.0.0.1 exited with status 3 before the ssh handshake finished: no route to the bastion.',
    );
  });

  test('a ProxyCommand that exits 0 is named too, as the connection ending (code ssh, not unreachable)', async () => {
    const err = await proxyFailure('ends', 'true');
    assert.equal(err.code, 'ssh');
    assert.equal(
      err.message,
      'ssh: the ProxyCommand for 127.0.0.1 exited with status 0 before the ssh handshake finished.',
    );
  });

  test('expandTokensForShell: single-pass, quoting by place; %% is a percent; unknown tokens stay', () => {
    const t = { h: `a b'c`, r: '%h', '%': '%' };
    assert.equal(expandTokensForShell('nc %h %p', t), `nc ${shq(`a b'c`)} %p`);
    assert.equal(expandTokensForShell(`echo '%h'`, t), `echo 'a b'\\''c'`);
    assert.equal(expandTokensForShell('echo "%h $x"', { h: 'a"$b`\\' }), 'echo "a\\"\\$b\\`\\\\ $x"');
    assert.equal(expandTokensForShell('echo %r 100%%', t), 'echo %h 100%', 'a value is never expanded again');
    assert.equal(expandTokensForShell('nc %h', { h: 'plain.example' }), 'nc plain.example');
    // cmd.exe: values with spaces are double-quoted; ones it cannot carry are refused
    assert.equal(expandTokensForShell('nc %h %p', { h: 'a b', p: '22' }, 'win32'), 'nc "a b" 22');
    assert.throws(
      () => expandTokensForShell('nc %h', { h: 'a%PATH%' }, 'win32'),
      /cannot be passed safely to a Windows command/,
    );
  });
});
