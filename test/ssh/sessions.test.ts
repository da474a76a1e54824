// Listing and ending our mosh sessions on a host over ssh (the "Manage Remote Sessions" command's engine).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap } from '../../src/ssh/bootstrap';
import { endRemoteSessions, listRemoteSessions, parseSessions } from '../../src/ssh/sessions';
import { ScriptedPrompter } from '../support/prompter';
import { removeTestUser, type Sshd, sshdNeeds, startSshd } from '../support/sshd';
import { until } from '../support/stock';

const DIST = join(__dirname, '..', '..', '..', 'dist');
const USER = 'moshsessions';

test('parses ps output into our sessions only', () => {
  const ps = [
    '  101   01:02:03 vscode-mosh-server port=60001',
    '  102 2-00:00:05 vscode-mosh-server port=60002',
    '  103      00:07 /usr/bin/mosh-server new -s',
    '  104      00:09 bash',
  ].join('\n');
  assert.deepEqual(parseSessions(ps), [
    { pid: 101, port: 60001, ageSeconds: 3723 },
    { pid: 102, port: 60002, ageSeconds: 2 * 86400 + 5 },
  ]);
});

describe('remote sessions over a real sshd', sshdNeeds(), () => {
  let sshd: Sshd;
  const opts = () => ({
    prompter: new ScriptedPrompter(),
    resolve: { configFiles: [join(sshd.dir, 'ssh_config')], home: sshd.dir },
  });
  before(async () => {
    sshd = await startSshd({ user: USER });
    const known = join(sshd.dir, 'known_hosts');
    writeFileSync(known, sshd.knownHostsLine() + '\n');
    writeFileSync(
      join(sshd.dir, 'ssh_config'),
      `Host *\n  UserKnownHostsFile ${known}\n  IdentityFile ${sshd.userKey}\n`,
    );
  });
  after(async () => {
    await sshd?.stop();
    removeTestUser(USER);
  });

  test('lists the sessions our server runs for the user, and ends the ones asked for', async () => {
    const target = `${USER}@127.0.0.1:${sshd.port}`;
    const boot = () => bootstrap({ target, agents: [], bundleDir: DIST, server: 'bundled', ...opts() });
    const a = await boot();
    const b = await boot();
    const listed = await listRemoteSessions(target, opts());
    assert.equal(listed.ip, '127.0.0.1');
    const ports = listed.sessions.map((s) => s.port).sort();
    assert.deepEqual(ports, [a.port, b.port].sort());
    const victim = listed.sessions.find((s) => s.port === a.port)!;
    assert.deepEqual(
      await endRemoteSessions(target, [victim.pid, 1], opts()),
      [victim.pid],
      'only our own processes are signalled',
    );
    await until(
      async () => (await listRemoteSessions(target, opts())).sessions.every((s) => s.port !== a.port),
      10_000,
      'the ended session to go',
    );
    const rest = await listRemoteSessions(target, opts());
    assert.deepEqual(
      rest.sessions.map((s) => s.port),
      [b.port],
    );
    await endRemoteSessions(
      target,
      rest.sessions.map((s) => s.pid),
      opts(),
    );
  });
});
