// Agent forwarding through the real bundles (dist/extension.js, session.js, ssh.js) with a stand-in vscode module
// and a real sshd on loopback: with mosh.forwardAgent on, a panel's shell lists the local agent's key and the log
// says forwarding is on; on a host that runs the system mosh-server, the log and a warning notification say it is
// off and why, and the panel works.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type SshAgent, startSshAgent } from '../support/sshagent';
import { startSshd, sshdNeeds } from '../support/sshd';
import { Screen } from '../support/stock';
import { installFakeVscode } from './support/fakevscode';

const DIST = join(__dirname, '..', '..', '..', 'dist');

interface Pty {
  onDidWrite(l: (d: string) => void): unknown;
  onDidClose(l: (code?: number) => void): unknown;
  open(dims: { columns: number; rows: number }): void;
  handleInput(data: string): void;
}

function attach(pty: Pty): { closed: Promise<void>; waitFor(re: RegExp, ms?: number): Promise<string> } {
  const screen = new Screen(120, 30);
  pty.onDidWrite((d) => void screen.write(d));
  const closed = new Promise<void>((r) => pty.onDidClose(() => r()));
  pty.open({ columns: 120, rows: 30 });
  return {
    closed,
    async waitFor(re, ms = 30_000) {
      const until = Date.now() + ms;
      for (;;) {
        const text = screen.lines().join('\n');
        if (re.test(text)) return text;
        if (Date.now() > until) throw new Error(`the panel never showed ${re}; it shows:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

test(
  "mosh.forwardAgent: the panel's shell lists the local agent's key; with the system mosh-server the log and a notification say why it is off",
  { ...sshdNeeds('ssh-agent', 'ssh-add', 'mosh-server'), timeout: 180_000 },
  async () => {
    const sshd = await startSshd();
    const agent: SshAgent = await startSshAgent();
    const home = mkdtempSync(join(tmpdir(), 'mosh-fwd-glue-'));
    const savedEnv = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
    process.env.HOME = home;
    process.env.SSH_AUTH_SOCK = agent.sock; // the extension host's agent: the one forwarded
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(
      join(home, '.ssh', 'config'),
      `Host devbox\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.userKey}\n  IdentitiesOnly yes\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
    const fake = installFakeVscode({
      settings: { 'mosh.server': 'bundled', 'mosh.predictionDisplay': 'never', 'mosh.forwardAgent': true },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(join(DIST, 'extension.js')) as { activate(c: unknown): void; deactivate(): Promise<void> };
    try {
      ext.activate(fake.context);
      await fake.commands.get('mosh.connect')!('devbox');
      const ours = attach(fake.terminals[0].creationOptions.pty as Pty);
      await ours.waitFor(/\$ ?$/m, 60_000);
      (fake.terminals[0].creationOptions.pty as Pty).handleInput('ssh-add -l; echo "rc=$?"\r');
      await ours.waitFor(new RegExp(`${agent.fingerprint.replace(/[+/]/g, '\\$&')}[\\s\\S]*^rc=0$`, 'm'));
      assert.ok(
        fake.logLines.some((l) => /devbox: ssh agent forwarding is on/.test(l)),
        'the log says forwarding is on',
      );
      assert.ok(!fake.messages.some((m) => /forwarding/.test(m.text)), 'no notification when it works');

      fake.setSetting('mosh.hosts', { devbox: { server: 'system' } });
      await fake.commands.get('mosh.connect')!('devbox');
      const stock = attach(fake.terminals[1].creationOptions.pty as Pty);
      await stock.waitFor(/\$ ?$/m, 60_000);
      (fake.terminals[1].creationOptions.pty as Pty).handleInput('echo "ok-$((6*7))"\r');
      await stock.waitFor(/^ok-42$/m);
      const warning = fake.messages.filter((m) => m.kind === 'warning' && /agent forwarding/.test(m.text));
      assert.equal(warning.length, 1, 'told once');
      assert.match(
        warning[0].text,
        /Mosh: ssh agent forwarding to devbox is off: the mosh server on 127\.0\.0\.1 is system mosh-server \(.*\), which cannot forward an ssh agent/,
      );
      assert.ok(
        fake.logLines.some((l) => /devbox: ssh agent forwarding is off: /.test(l)),
        'and the log',
      );

      for (const [i, p] of [ours, stock].entries()) {
        (fake.terminals[i].creationOptions.pty as Pty).handleInput('exit\r');
        await p.closed;
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\nlog:\n${fake.logLines.slice(-30).join('\n')}`);
    } finally {
      for (const term of fake.terminals) fake.closeTerminal(term, 3);
      await new Promise((r) => setTimeout(r, 1000));
      fake.uninstall();
      process.env.HOME = savedEnv.HOME;
      if (savedEnv.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = savedEnv.SSH_AUTH_SOCK;
      else delete process.env.SSH_AUTH_SOCK;
      await agent.stop();
      await sshd.stop();
      rmSync(home, { recursive: true, force: true });
    }
  },
);
