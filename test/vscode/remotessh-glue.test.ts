// The Remote-SSH path through the real bundles (dist/extension.js and the dist/session.js it loads), with a stand-in
// for the vscode module (a Remote-SSH window cannot be made in code-server) and a real sshd on loopback as the
// "remote": Mosh: New Terminal opens a panel on the window's host with no picker, in the workspace folder; the
// Mosh profile does the same and runs the mosh.hosts command; Reconnect (after asking) puts a fresh session on the
// same host and folder in place of a running one; mosh.defaultInRemoteSsh makes Mosh the workspace's default
// profile and puts back what was there. Also: activating with nothing to bring back does not load the session code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Shows a panel's output on a headless screen, as VS Code's terminal would. */
function attach(pty: Pty): {
  screen: Screen;
  closed: Promise<void>;
  waitFor(re: RegExp, ms?: number): Promise<string>;
} {
  const screen = new Screen(100, 30);
  pty.onDidWrite((d) => void screen.write(d));
  const closed = new Promise<void>((r) => pty.onDidClose(() => r()));
  pty.open({ columns: 100, rows: 30 });
  return {
    screen,
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
  "in a Remote-SSH window, New Terminal and the Mosh profile open panels on the window's host in its folder with no picker; Reconnect replaces a running session after asking",
  { ...sshdNeeds(), timeout: 180_000 },
  async (t) => {
    const sshd = await startSshd();
    const home = mkdtempSync(join(tmpdir(), 'mosh-glue-home-'));
    const project = mkdtempSync(join(tmpdir(), 'mosh glue project '));
    chmodSync(project, 0o755);
    const savedEnv = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
    process.env.HOME = home; // ~/.ssh/config and known_hosts of this "local machine"
    delete process.env.SSH_AUTH_SOCK;
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(
      join(home, '.ssh', 'config'),
      `Host devbox\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.userKey}\n  IdentitiesOnly yes\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
    const fake = installFakeVscode({
      remoteName: 'ssh-remote',
      folders: [`vscode-remote://ssh-remote+devbox${encodeURI(project)}`],
      settings: { 'mosh.server': 'bundled', 'mosh.predictionDisplay': 'never', 'mosh.defaultInRemoteSsh': true },
      answers: [{ match: /still running/, button: 'End and Reconnect' }],
    });
    const panels: ReturnType<typeof attach>[] = [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(join(DIST, 'extension.js')) as { activate(c: unknown): void; deactivate(): Promise<void> };
    try {
      ext.activate(fake.context);
      const sessionLoaded = () => Object.keys(require.cache).some((k) => k.endsWith(join('dist', 'session.js')));
      assert.equal(sessionLoaded(), false, 'activation with no saved panel does not load the session code');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        fake.workspaceWrites.get('terminal.integrated.defaultProfile.linux'),
        'Mosh',
        'mosh.defaultInRemoteSsh made Mosh the default profile',
      );
      assert.equal(fake.workspaceWrites.get('terminal.integrated.defaultProfile.osx'), 'Mosh');

      // Mosh: New Terminal: no picker (the fake has none), the window's host, the workspace folder
      await fake.commands.get('mosh.newTerminal')!();
      assert.equal(sessionLoaded(), true);
      assert.equal(fake.terminals.length, 1);
      assert.equal(fake.terminals[0].name, 'devbox');
      const first = attach(fake.terminals[0].creationOptions.pty as Pty);
      panels.push(first);
      await first.waitFor(/\$ ?$/m, 60_000);
      (fake.terminals[0].creationOptions.pty as Pty).handleInput('echo "[$(pwd)]"\r');
      await first.waitFor(new RegExp(`^\\[${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]$`, 'm'));
      t.diagnostic(`New Terminal: a shell in ${project}`);

      // Reconnect: asks (the session is alive), ends it, and opens a fresh one on the same host and folder in its place
      (fake.terminals[0].creationOptions.pty as Pty).handleInput('export MARK=old-session\r');
      await first.waitFor(/export MARK=old-session\n.*\$ ?$/m);
      fake.setActiveTerminal(fake.terminals[0]);
      await fake.commands.get('mosh.reconnect')!();
      assert.ok(
        fake.messages.some((m) => m.kind === 'warning' && /still running/.test(m.text)),
        'Reconnect asked before ending the running session',
      );
      assert.equal(fake.terminals[0].disposed, true, 'the old panel is gone');
      // VS Code closed the old panel (the extension disposed it); its session ends with mosh's shutdown handshake.
      const until = Date.now() + 20_000;
      while (!fake.logLines.some((l) => /devbox: session ended \(user\)/.test(l)) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        fake.logLines.some((l) => /devbox: session ended \(user\)/.test(l)),
        'the old session ended cleanly',
      );
      assert.equal(fake.terminals.length, 2);
      const again = attach(fake.terminals[1].creationOptions.pty as Pty);
      await again.waitFor(/\$ ?$/m, 60_000);
      (fake.terminals[1].creationOptions.pty as Pty).handleInput('echo "[$(pwd)] [${MARK:-fresh}]"\r');
      await again.waitFor(new RegExp(`^\\[${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] \\[fresh\\]$`, 'm'));
      t.diagnostic('Reconnect: a fresh shell in the same folder');
      panels[0] = again;

      // The Mosh profile, with a mosh.hosts command for this host
      fake.setSetting('mosh.hosts', { 'dev*': { command: 'echo "hosts-$((6*7)) in [$(pwd)]"; exec sh' } });
      const profile = (await fake.profileProviders.get('mosh.terminal')!.provideTerminalProfile()) as {
        options: { name: string; pty: Pty };
      };
      assert.equal(profile.options.name, 'devbox');
      const second = attach(profile.options.pty);
      panels.push(second);
      await second.waitFor(new RegExp(`hosts-42 in \\[${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]`), 60_000);
      t.diagnostic('profile: the mosh.hosts command ran in the workspace folder');

      // Turning the setting off puts the workspace's default profile back
      fake.setSetting('mosh.defaultInRemoteSsh', false);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(fake.workspaceWrites.has('terminal.integrated.defaultProfile.linux'), false);
      assert.equal(fake.workspaceWrites.has('terminal.integrated.defaultProfile.osx'), false);

      for (const [i, pty] of [fake.terminals[1].creationOptions.pty as Pty, profile.options.pty].entries()) {
        pty.handleInput('exit\r');
        await within(panels[i].closed, 20_000, `panel ${i} to close after exit`);
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\nlog:\n${fake.logLines.slice(-30).join('\n')}`);
    } finally {
      // Panels still open (a failure above) are closed as a user would, which ends their sessions; a server that
      // still runs after that is ended by its port (never left behind for the next test on this user).
      for (const term of fake.terminals) fake.closeTerminal(term, 3);
      await new Promise((r) => setTimeout(r, 1000));
      for (const m of fake.logLines.join('\n').matchAll(/mosh server at [\d.]+:(\d+)/g))
        spawnSync('pkill', ['-f', `vscode-mosh-server port=${m[1]}$`]);
      fake.uninstall();
      process.env.HOME = savedEnv.HOME;
      if (savedEnv.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = savedEnv.SSH_AUTH_SOCK;
      await sshd.stop();
      rmSync(home, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  },
);
