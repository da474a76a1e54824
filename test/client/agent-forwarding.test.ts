// Agent forwarding between our client (in this process) and our server (dist/server.js), with a real ssh-agent:
// the session's shell lists the local agent's key through SSH_AUTH_SOCK, which is a 0600 socket in a 0700 folder
// that goes away with the session; without forwarding the session has no socket of ours; forwarding with no agent
// to reach answers every request with failure at once. (With stock peers: test/interop/stock-forwarding.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withSession } from '../support/fwdsession';
import { needs } from '../support/peers';
import { startSshAgent } from '../support/sshagent';
import { startOurServer, until } from '../support/stock';
import { runCli } from '../support/clirun';

test(
  "ssh-add -l in the session lists the local agent's key; the socket is 0600 in a 0700 folder, gone after the session",
  needs('ssh-agent', 'ssh-add', 'ssh-keygen'),
  async () => {
    const agent = await startSshAgent();
    let sockPath = '';
    try {
      await withSession({ forward: { path: agent.sock } }, async (c, statuses) => {
        c.type('ssh-add -l; echo "rc=$?"\r');
        await c.waitScreen(
          (l) => l.some((x) => x.includes(agent.fingerprint)) && l.some((x) => x === 'rc=0'),
          15_000,
          'the key listed',
        );
        assert.ok(c.screen.lines().some((x) => x.includes('forwarded-test-key (ED25519)')));
        c.type('echo "SOCK=$SSH_AUTH_SOCK"; stat -c "mode=%a" "$SSH_AUTH_SOCK" "$(dirname "$SSH_AUTH_SOCK")"\r');
        await c.waitScreen(
          (l) => l.some((x) => x.startsWith('SOCK=/')) && l.filter((x) => x.startsWith('mode=')).length === 2,
          5_000,
          'the socket path and modes',
        );
        const lines = c.screen.lines();
        sockPath = lines.find((x) => x.startsWith('SOCK='))!.slice(5);
        assert.match(
          sockPath,
          /\/vscode-mosh-[^/]+\/agent\.[0-9a-f]{16}$/,
          'an unpredictable name in a private folder',
        );
        assert.deepEqual(
          lines.filter((x) => x.startsWith('mode=')),
          ['mode=600', 'mode=700'],
        );
        assert.deepEqual(statuses, [{ on: true, reason: '' }], 'the client was told forwarding is on, once');
      });
      assert.ok(
        sockPath !== '' && !existsSync(sockPath) && !existsSync(join(sockPath, '..')),
        'the folder is removed when the session ends',
      );
    } finally {
      await agent.stop();
    }
  },
);

test('without forwarding the session gets no SSH_AUTH_SOCK of ours', async () => {
  await withSession({}, async (c, statuses) => {
    c.type('echo "[${SSH_AUTH_SOCK:-none}]"\r');
    await c.waitScreen((l) => l.some((x) => /^\[.*\]$/.test(x)), 5_000, 'the variable');
    const shown = c.screen.lines().find((x) => /^\[.*\]$/.test(x))!;
    assert.doesNotMatch(shown, /vscode-mosh-/);
    assert.equal(shown, `[${process.env.SSH_AUTH_SOCK || 'none'}]`, 'whatever the server inherited, untouched');
    assert.deepEqual(statuses, [], 'nothing said about forwarding that was not asked for');
  });
});

test(
  'forwarding with no agent to reach: every request gets a failure at once, nothing hangs',
  needs('ssh-add'),
  async () => {
    await withSession({ forward: { path: join(tmpdir(), 'no-such-agent.sock') } }, async (c) => {
      const t0 = Date.now();
      c.type('ssh-add -l; echo "rc=$?"\r');
      await c.waitScreen((l) => l.some((x) => /^rc=\d+$/.test(x)), 10_000, 'ssh-add to finish');
      const lines = c.screen.lines();
      assert.ok(lines.includes('rc=1') || lines.includes('rc=2'), `ssh-add failed: ${lines.join(' | ')}`);
      assert.ok(
        lines.some((x) => /agent refused operation|error fetching identities/i.test(x)),
        'the agent refused (SSH_AGENT_FAILURE)',
      );
      assert.ok(Date.now() - t0 < 5000, 'promptly');
    });
  },
);

test('the host cannot create the agent socket: the client is told why forwarding is off, and the session works without it', async () => {
  await withSession({ forward: {}, env: { TMPDIR: '/nonexistent/tmp' } }, async (c, statuses) => {
    await until(() => statuses.length > 0, 5_000, 'the forwarding status');
    assert.deepEqual(
      statuses.map((s) => s.on),
      [false],
    );
    assert.match(statuses[0].reason, /the server could not create the agent socket in \/nonexistent\/tmp: ENOENT/);
    c.type('echo "[${SSH_AUTH_SOCK:-none}] ok-$((6*7))"\r');
    await c.waitScreen((l) => l.some((x) => /ok-42$/.test(x)), 5_000, 'a command to run');
    assert.doesNotMatch(
      c.screen.lines().find((x) => /ok-42$/.test(x))!,
      /vscode-mosh-/,
    );
  });
});

test(
  'a saved session continued by a new client process forwards the agent again; a request cut off by the switch fails instead of hanging',
  needs('ssh-agent', 'ssh-add', 'ssh-keygen'),
  async () => {
    const agent = await startSshAgent();
    const dir = mkdtempSync(join(tmpdir(), 'mosh-fwd-resume-'));
    const file = join(dir, 'session.json');
    const server = await startOurServer({ command: ['/bin/sh'], env: { HOME: dir, PS1: '$ ', ENV: '' } });
    const env = { MOSH_KEY: server.key, SSH_AUTH_SOCK: agent.sock, HOME: dir };
    const first = runCli(['client', '-A', '--predict=never', '--save', file, '127.0.0.1', String(server.port)], {
      env,
    });
    let second: ReturnType<typeof runCli> | null = null;
    try {
      await first.waitFor((l) => l.some((x) => x.startsWith('$')), 'the prompt');
      first.type('ssh-add -l; echo "rc=$?"\r');
      await first.waitFor((l) => l.some((x) => x.includes(agent.fingerprint)) && l.includes('rc=0'), 'the key listed');
      // A program that keeps a connection to the agent socket open across the switch (its request is never answered
      // by the first client: the local agent never gets it), then the first client dies.
      const cut = join(dir, 'cut.txt');
      first.type(
        `clear; ${process.execPath} -e "const s=require('net').connect(process.env.SSH_AUTH_SOCK);s.on('close',()=>require('fs').writeFileSync('${cut}','closed'))" &\r`,
      );
      await new Promise((r) => setTimeout(r, 2500)); // a periodic save with the channel open
      first.proc.kill('SIGKILL');
      await first.exit;
      second = runCli(['client', '--restore', file], { env: { SSH_AUTH_SOCK: agent.sock, HOME: dir } });
      second.type('clear; ssh-add -l; echo "rc=$?"\r');
      await second.waitFor(
        (l) => l.some((x) => x.includes(agent.fingerprint)) && l.includes('rc=0'),
        'the key listed after the restore',
      );
      await until(() => existsSync(cut), 10_000, 'the connection cut off by the switch to be closed');
    } finally {
      await first.stop();
      await second?.stop();
      server.kill();
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
