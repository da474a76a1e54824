// The whole bootstrap against a real sshd for a user whose login shell is sh, bash, zsh, fish, csh or tcsh: sshd
// hands our command line to that shell, and the server must still get its arguments (here a command to run with
// "!", a trailing backslash, quotes, "$", newlines, spaces and non-ASCII) byte for byte. The server is a stand-in
// that writes its argv as JSON and announces a session, so only the ssh side is measured. Also: startup-file
// output does not hide where our script starts.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap } from '../../src/ssh/bootstrap';
import { needs, which } from '../support/peers';
import { ScriptedPrompter } from '../support/prompter';
import { removeTestUser, setLoginShell, type Sshd, sshdNeeds, startSshd } from '../support/sshd';

const USER = 'moshshells';
const COMMAND = [
  'printf',
  '%s\\n',
  '!',
  '!!',
  'trail\\',
  "it's",
  '"dq"',
  '$HOME',
  '`id`',
  'two\nlines',
  '  spaced  ',
  'ünïcødé ✓',
  '~',
  '*',
  '',
  'end',
];

describe('bootstrap under every login shell (real sshd)', sshdNeeds(), () => {
  let sshd: Sshd;
  let fake: string;
  let argvFile: string;
  before(async () => {
    sshd = await startSshd({ user: USER });
    writeFileSync(join(sshd.dir, 'known_hosts'), sshd.knownHostsLine() + '\n');
    writeFileSync(
      join(sshd.dir, 'ssh_config'),
      `Host *\n  UserKnownHostsFile ${join(sshd.dir, 'known_hosts')}\n  IdentityFile ${sshd.userKey}\n`,
    );
    argvFile = join(sshd.dir, 'argv.json');
    fake = join(sshd.dir, 'fake-mosh-server');
    writeFileSync(
      fake,
      `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));\nconsole.log('MOSH CONNECT 60001 AAAAAAAAAAAAAAAAAAAAAA');\n`,
      { mode: 0o755 },
    );
    writeFileSync(argvFile, '');
    chmodSync(argvFile, 0o666); // the test user's stand-in server writes it
  });
  after(async () => {
    await sshd?.stop();
    removeTestUser(USER);
  });

  for (const shell of ['sh', 'bash', 'zsh', 'fish', 'csh', 'tcsh']) {
    test(`login shell ${shell}: the server gets the command's arguments byte for byte`, needs(shell), async () => {
      setLoginShell(USER, which(shell)!);
      writeFileSync(argvFile, '');
      const r = await bootstrap({
        target: `${USER}@127.0.0.1:${sshd.port}`,
        prompter: new ScriptedPrompter(),
        agents: [],
        resolve: { configFiles: [join(sshd.dir, 'ssh_config')], home: sshd.dir },
        server: fake,
        locale: { LANG: 'C.UTF-8' },
        command: COMMAND,
      });
      assert.equal(r.server.kind, 'path');
      assert.equal(r.probe.shell, which(shell));
      assert.deepEqual(JSON.parse(readFileSync(argvFile, 'utf8')), [
        'new',
        '-s',
        '-c',
        '256',
        '-l',
        'LANG=C.UTF-8',
        '--',
        ...COMMAND,
      ]);
    });
  }

  test('startup files that print (even without a final newline) do not hide the start of our script', async () => {
    setLoginShell(USER, which('bash')!);
    const bashrc = join(sshd.home, '.bashrc');
    writeFileSync(bashrc, "printf 'Welcome! Last login: yesterday'\n");
    try {
      const r = await bootstrap({
        target: `${USER}@127.0.0.1:${sshd.port}`,
        prompter: new ScriptedPrompter(),
        agents: [],
        resolve: { configFiles: [join(sshd.dir, 'ssh_config')], home: sshd.dir },
        server: fake,
        timeouts: { loginMs: 3000, startMs: 3000 },
      });
      assert.equal(r.probe.began, true);
      assert.equal(r.server.kind, 'path');
    } finally {
      rmSync(bashrc, { force: true });
    }
  });

  after(() => rmSync(argvFile, { force: true }));
});
