// `host -- command` in Connect to Host, target parts, and the remote command line built from a folder and a command.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  formatConnectInput,
  formatTarget,
  parseConnectInput,
  remoteCommand,
  targetParts,
} from '../../src/vscode/target';

test('"host -- command" splits at the first " -- "; the command keeps its own dashes and quotes', () => {
  assert.deepEqual(parseConnectInput('devbox'), { target: 'devbox' });
  assert.deepEqual(parseConnectInput('  alice@devbox:2222  '), { target: 'alice@devbox:2222' });
  assert.deepEqual(parseConnectInput('devbox -- tmux new -A -s main'), {
    target: 'devbox',
    command: 'tmux new -A -s main',
  });
  assert.deepEqual(parseConnectInput('devbox -- sh -c "ls -- x" -- y'), {
    target: 'devbox',
    command: 'sh -c "ls -- x" -- y',
  });
  assert.deepEqual(parseConnectInput('devbox --'), { target: 'devbox' }, 'nothing after --: the login shell');
  assert.deepEqual(parseConnectInput('devbox    --    htop'), { target: 'devbox', command: 'htop' });
});

test('input that names no host is refused', () => {
  assert.equal(parseConnectInput(''), null);
  assert.equal(parseConnectInput('-- htop'), null);
  assert.equal(parseConnectInput('two hosts'), null);
  assert.equal(parseConnectInput('devbox --htop'), null, '"--htop" is not the separator');
  assert.equal(parseConnectInput('-oProxyCommand=x'), null);
});

test('formatConnectInput reads back as what parseConnectInput made', () => {
  for (const s of ['devbox', 'devbox -- tmux a', 'me@h:22 -- echo "a -- b"'])
    assert.equal(formatConnectInput(parseConnectInput(s)!), s);
});

test("target parts follow the ssh layer's [user@]host[:port], IPv6 included", () => {
  assert.deepEqual(targetParts('devbox'), { user: undefined, host: 'devbox' });
  assert.deepEqual(targetParts('alice@devbox:2222'), { user: 'alice', host: 'devbox', port: 2222 });
  assert.deepEqual(targetParts('a@b@devbox'), { user: 'a@b', host: 'devbox' });
  assert.deepEqual(targetParts('[fe80::1]:22'), { user: undefined, host: 'fe80::1', port: 22 });
  assert.deepEqual(targetParts('fe80::1'), { user: undefined, host: 'fe80::1' });
  assert.equal(formatTarget({ host: 'fe80::1', port: 22 }), '[fe80::1]:22');
  assert.equal(formatTarget({ user: 'me', host: 'h' }), 'me@h');
});

test("no folder and no command: the server's login shell (no command at all)", () => {
  assert.equal(remoteCommand({}), undefined);
  assert.equal(remoteCommand({ command: '   ' }), undefined);
  assert.equal(remoteCommand({ command: [] }), undefined);
  assert.deepEqual(remoteCommand({ command: ['tmux', 'a'] }), ['tmux', 'a'], 'an argv runs as is');
});

/** Runs a remote command line here, as the mosh server would (argv, no shell of ours in between). */
function run(argv: string[], env: Record<string, string> = {}): string {
  return execFileSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', SHELL: '/bin/sh', ...env },
  });
}

test('the remote command starts in the folder, runs the command there, and passes odd names through intact', () => {
  const dir = mkdtempSync(join(tmpdir(), "mosh cwd $(x) 'q' "));
  try {
    assert.equal(run(remoteCommand({ cwd: dir, command: ['pwd'] })!).trim(), dir);
    assert.equal(
      run(remoteCommand({ cwd: dir, command: 'pwd; echo "$((6*7))"' })!).trim(),
      `${dir}\n42`,
      'a string runs in the login shell',
    );
    assert.equal(run(remoteCommand({ command: ['printf', '%s|', 'a b', '$HOME', '"q"'] })!), 'a b|$HOME|"q"|');
    assert.equal(
      run(remoteCommand({ cwd: '/nonexistent/folder', command: ['pwd'] })!, { HOME: dir }).trim(),
      dir,
      'a missing folder falls back to home',
    );
    // no command: the login shell, in the folder (fed a script on stdin here)
    const shell = execFileSync(remoteCommand({ cwd: dir })![0], remoteCommand({ cwd: dir })!.slice(1), {
      encoding: 'utf8',
      input: 'pwd\n',
      env: { PATH: process.env.PATH, HOME: '/', SHELL: '/bin/sh' },
    });
    assert.equal(shell.trim(), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
