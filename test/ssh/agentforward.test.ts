// Whether and which agent to forward (src/ssh/agentforward.ts, ssh_config's ForwardAgent read by config.ts), as
// OpenSSH decides: yes/no, a path, a $VARIABLE, IdentityAgent's agent for "yes", -A and -a over the config; the
// mosh.forwardAgent setting is a user setting only; and the Pageant-style bridge (ssh2's agent protocol in front
// of an agent object) answers `ssh-add -l` and signs through a real ssh-agent.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAgent } from 'ssh2';
import { agentCandidates, WINDOWS_AGENT_PIPE } from '../../src/client/agentrelay';
import { agentProtocolStream, forwardTarget } from '../../src/ssh/agentforward';
import { resolveHost } from '../../src/ssh/config';
import { needs, which } from '../support/peers';
import { startSshAgent } from '../support/sshagent';

describe('ForwardAgent and the forwarding switch', () => {
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'mosh-fwdcfg-'))));
  after(() => rmSync(root, { recursive: true, force: true }));
  const resolve = (config: string, target = 't') => {
    const f = join(root, `config-${Math.random().toString(36).slice(2)}`);
    writeFileSync(f, config);
    return resolveHost(target, { configFiles: [f], home: root, localUser: 'alice' });
  };

  test('ForwardAgent yes/no/path/$VARIABLE, and absent, as ssh_config(5) says', () => {
    assert.equal(resolve('Host t\n').forwardAgent, false);
    assert.equal(resolve('Host t\n  ForwardAgent no\n').forwardAgent, false);
    assert.deepEqual(resolve('Host t\n  ForwardAgent yes\n').forwardAgent, {});
    assert.deepEqual(resolve('Host t\n  ForwardAgent ~/agent.sock\n').forwardAgent, { path: join(root, 'agent.sock') });
    process.env.MOSH_TEST_AGENT_VAR = '/run/some/agent';
    assert.deepEqual(resolve('Host t\n  ForwardAgent $MOSH_TEST_AGENT_VAR\n').forwardAgent, {
      path: '/run/some/agent',
    });
    delete process.env.MOSH_TEST_AGENT_VAR;
    assert.deepEqual(
      resolve('Host t\n  ForwardAgent $MOSH_TEST_AGENT_VAR\n').forwardAgent,
      { path: 'none' },
      'an unset variable: no agent',
    );
    assert.deepEqual(
      resolve('Host t\n  IdentityAgent /run/other.sock\n  ForwardAgent yes\n').forwardAgent,
      { path: '/run/other.sock' },
      "yes forwards IdentityAgent's agent",
    );
    assert.deepEqual(
      resolve('Host t\n  ForwardAgent yes\nHost *\n  ForwardAgent no\n').forwardAgent,
      {},
      'first value wins',
    );
  });

  test('-A forwards without the config, -a never forwards, otherwise the config decides', () => {
    const none = { forwardAgent: false as const, identityAgent: undefined };
    const yes = { forwardAgent: {}, identityAgent: undefined };
    assert.equal(forwardTarget(none), null);
    assert.deepEqual(forwardTarget(none, true), {});
    assert.deepEqual(forwardTarget({ forwardAgent: false, identityAgent: '/ia.sock' }, true), { path: '/ia.sock' });
    assert.deepEqual(forwardTarget(yes), {});
    assert.equal(forwardTarget(yes, false), null);
    assert.deepEqual(
      forwardTarget({ forwardAgent: { path: '/p.sock' }, identityAgent: undefined }, true),
      { path: '/p.sock' },
      'a configured agent stays with -A',
    );
  });

  test('the agents a forwarded connection tries: the one named, else SSH_AUTH_SOCK, and on Windows the OpenSSH pipe, then Pageant', () => {
    assert.deepEqual(agentCandidates({ path: '/x.sock' }, { SSH_AUTH_SOCK: '/y.sock' }, 'linux'), ['/x.sock']);
    assert.deepEqual(agentCandidates({ path: 'none' }, { SSH_AUTH_SOCK: '/y.sock' }, 'linux'), []);
    assert.deepEqual(agentCandidates({}, { SSH_AUTH_SOCK: '/y.sock' }, 'linux'), ['/y.sock']);
    assert.deepEqual(agentCandidates({}, {}, 'linux'), []);
    assert.deepEqual(agentCandidates({}, {}, 'win32'), [WINDOWS_AGENT_PIPE, 'pageant']);
  });

  test('mosh.forwardAgent is off by default and a user (application) setting: a workspace cannot turn it on', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const p = manifest.contributes.configuration.properties['mosh.forwardAgent'];
    assert.ok(p, 'declared');
    assert.equal(p.type, 'boolean');
    assert.equal(p.default, false);
    assert.ok(['application', 'machine'].includes(p.scope), `scope ${p.scope}`);
  });
});

test(
  'the agent-protocol bridge (as used for Pageant) lists keys and signs through an agent object',
  needs('ssh-agent', 'ssh-add', 'ssh-keygen'),
  async () => {
    const agent = await startSshAgent();
    const dir = mkdtempSync(join(tmpdir(), 'mosh-bridge-'));
    const sock = join(dir, 'bridge.sock');
    // A socket whose every connection is served by the bridge over ssh2's own client for the real agent.
    const server = createServer((c) => {
      const bridge = agentProtocolStream(createAgent(agent.sock));
      c.pipe(bridge as unknown as NodeJS.WritableStream);
      (bridge as unknown as NodeJS.ReadableStream).pipe(c);
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(sock, r));
    // Asynchronously: the bridge runs in this process.
    const run = (file: string, args: string[], o: { env?: NodeJS.ProcessEnv; input?: Buffer } = {}) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const c = execFile(which(file)!, args, { env: o.env ?? process.env, timeout: 10_000 }, (err, stdout) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout: String(stdout) }),
        );
        if (o.input) c.stdin!.end(o.input);
      });
    try {
      const env = { ...process.env, SSH_AUTH_SOCK: sock };
      const listed = (await run('ssh-add', ['-l'], { env })).stdout;
      assert.ok(listed.includes(agent.fingerprint), listed);
      const msg = join(dir, 'message');
      writeFileSync(msg, 'signed through the bridge\n');
      // With only the public key given, ssh-keygen asks the agent to sign.
      assert.equal(
        (await run('ssh-keygen', ['-Y', 'sign', '-f', `${agent.key}.pub`, '-n', 'file', msg], { env })).code,
        0,
        'signed',
      );
      const sig = readFileSync(`${msg}.sig`, 'utf8');
      assert.match(sig, /BEGIN SSH SIGNATURE/);
      writeFileSync(join(dir, 'allowed'), `test@example ${agent.pub}\n`);
      const verified = await run(
        'ssh-keygen',
        ['-Y', 'verify', '-f', join(dir, 'allowed'), '-I', 'test@example', '-n', 'file', '-s', `${msg}.sig`],
        { input: readFileSync(msg) },
      );
      assert.equal(verified.code, 0, 'the signature verifies');
      // Anything else (here: adding a key) is refused at once, not left hanging.
      const t0 = Date.now();
      const add = await run('ssh-add', [agent.key], { env });
      assert.notEqual(add.code, 0, 'refused');
      assert.ok(Date.now() - t0 < 5000, 'promptly');
    } finally {
      await new Promise((r) => server.close(r));
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
