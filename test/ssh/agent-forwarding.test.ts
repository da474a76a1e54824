// Agent forwarding end to end: `node dist/cli.js connect` on a pseudo-terminal, a real sshd on loopback and a real
// ssh-agent holding the only key the test user authorizes. Inside the mosh session, `ssh-add -l` lists that key and
// an `ssh` login back to the sshd (BatchMode, no key of its own) authenticates through the forwarded agent; the
// same login without the agent is refused. ForwardAgent in ssh_config turns it on as -A does, and -a wins over it.
// With the stock mosh-server, the user is told before the session that forwarding is off, and the session works.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliRun, runCli } from '../support/clirun';
import { type Sshd, sshdNeeds, startSshd } from '../support/sshd';
import { innerLogin, type SshAgent, startSshAgent } from '../support/sshagent';

const PROMPT = /moshtest@[^\n]*[$#] ?$/;

describe(
  'agent forwarding over mosh (real sshd and ssh-agent, dist/cli.js connect)',
  sshdNeeds('ssh', 'ssh-agent', 'ssh-add', 'mosh-server'),
  () => {
    let sshd: Sshd;
    let agent: SshAgent;
    let work: string;
    let n = 0;
    const runs: CliRun[] = [];
    before(async () => {
      sshd = await startSshd();
      agent = await startSshAgent();
      sshd.authorize(agent.pub);
      work = mkdtempSync(join(tmpdir(), 'mosh-agent-fwd-'));
    });
    after(async () => {
      for (const r of runs) await r.stop();
      await agent?.stop();
      await sshd?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });
    const newHome = (config = '') => {
      const home = join(work, `home${n++}`);
      mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
      writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine() + '\n');
      if (config) writeFileSync(join(home, '.ssh', 'config'), config);
      return home;
    };
    const connect = (args: string[], home: string): CliRun => {
      const r = runCli(['connect', '--ssh-port', String(sshd.port), '--predict=never', ...args], {
        env: { HOME: home, SSH_AUTH_SOCK: agent.sock },
        cwd: home,
      });
      runs.push(r);
      return r;
    };
    const prompt = (r: CliRun) => r.waitFor((l) => l.some((x) => PROMPT.test(x)), 'the remote shell prompt', 30_000);
    /** Runs `command` in the session and waits for its "rc=N" line; returns the screen. */
    const runIn = async (r: CliRun, command: string, ms = 20_000): Promise<string[]> => {
      r.type('clear\r');
      await r.waitFor((l) => l.filter((x) => x !== '').length <= 1, 'a clear screen');
      r.type(`${command}\r`);
      await r.waitFor((l) => l.some((x) => /^rc=\d+$/.test(x)), `"${command}" to finish`, ms);
      return r.lines();
    };

    test("-A: ssh-add -l lists the local agent's key, and an ssh login from the session authenticates through it (and not without it)", async () => {
      const r = connect(['-A', `${sshd.user}@127.0.0.1`], newHome());
      await prompt(r);
      let lines = await runIn(r, 'ssh-add -l; echo "rc=$?"');
      assert.ok(
        lines.some((x) => x.includes(agent.fingerprint)),
        `the key is listed:\n${lines.join('\n')}`,
      );
      assert.ok(lines.includes('rc=0'));
      const accepted = () =>
        sshd
          .log()
          .split('\n')
          .filter((x) => x.includes('Accepted publickey') && x.includes(agent.fingerprint)).length;
      const before = accepted();
      lines = await runIn(r, innerLogin(sshd.port, sshd.user));
      assert.ok(lines.includes('inner-42-login'), `the inner login ran its command:\n${lines.join('\n')}`);
      assert.ok(lines.includes('rc=0'));
      assert.equal(accepted(), before + 1, "sshd accepted the forwarded agent's key for it");
      lines = await runIn(r, innerLogin(sshd.port, sshd.user, 'SSH_AUTH_SOCK= '));
      assert.ok(
        lines.includes('rc=255') && lines.some((x) => /Permission denied/.test(x)),
        `without the agent the login is refused:\n${lines.join('\n')}`,
      );
      await r.stop();
    });

    test('ForwardAgent yes in ssh_config forwards as -A does; -a turns it off', async () => {
      const config = `Host fwd\n  HostName 127.0.0.1\n  User ${sshd.user}\n  ForwardAgent yes\n`;
      const on = connect(['fwd'], newHome(config));
      await prompt(on);
      const lines = await runIn(on, 'ssh-add -l; echo "rc=$?"');
      assert.ok(
        lines.some((x) => x.includes(agent.fingerprint)),
        `the key is listed:\n${lines.join('\n')}`,
      );
      await on.stop();

      const off = connect(['-a', 'fwd'], newHome(config));
      await prompt(off);
      const offLines = await runIn(off, 'echo "[${SSH_AUTH_SOCK:-none}]"; echo "rc=$?"');
      assert.ok(offLines.includes('[none]'), `no SSH_AUTH_SOCK with -a:\n${offLines.join('\n')}`);
      await off.stop();
    });

    test('-A with the stock mosh-server: a clear line before the session says forwarding is off and why; the session works', async () => {
      const r = connect(['-A', '--server=system', `${sshd.user}@127.0.0.1`], newHome());
      await prompt(r);
      assert.match(
        r.raw(),
        /mosh: agent forwarding is off: the mosh server on 127\.0\.0\.1 is system mosh-server \([^)]*\), which cannot forward an ssh agent \(only ours can\)\./,
      );
      const lines = await runIn(r, 'echo "ok-$((6*7))"; echo "rc=$?"');
      assert.ok(lines.includes('ok-42'));
      await r.stop();
    });
  },
);
