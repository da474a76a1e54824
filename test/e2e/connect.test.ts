// The extension end to end, in a real VS Code (code-server) in headless Chromium: "Mosh: Connect to Host" to the
// loopback sshd's test user, the host key dialog, the password box, a prompt in the terminal panel, a command's
// output read from the page, `tput cols` following a panel resize, and, while the impairment relay drops
// everything, mosh's warning in the panel and a status bar that says how long ago the host was last heard from
// (counting up every second), then the round trip time again after recovery; the status bar's menu; closing the
// panel ending the remote session; a mosh.hosts command and a command typed after ` -- ` running in new panels.
// Screenshots of every step go to test-artifacts/.
//
// Topology: ssh reaches sshd (127.0.0.1) through a ProxyCommand while the host is named 127.0.0.3, so the client
// aims its UDP at 127.0.0.3:S; the server, started with -s, binds 127.0.0.1:S; the relay listens on 127.0.0.3:S
// and forwards to 127.0.0.1:S, like a NAT on the path. S is fixed through the mosh.udpPortRange setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sshdNeeds } from '../support/sshd';
import { canBind, connectInCodeServer } from './support/moshflow';
import { packagedForThisFile } from './support/vsix';
import { e2eNeeds } from './support/workbench';

const vsix = packagedForThisFile('connect');

const needs = (() => {
  const a = e2eNeeds();
  const b = sshdNeeds();
  return a.skip || b.skip ? { skip: a.skip ?? b.skip } : {};
})();

const RTT = /^mosh moshbox · \d+ ms$/;
const LAST_CONTACT = /^mosh moshbox · last contact (\d+) s ago$/;

test(
  'Mosh: Connect to Host in code-server: host key, password, prompt, command output, resize, lost contact in the panel and the status bar, recovery, per-host and typed commands',
  { ...needs, timeout: 10 * 60_000 },
  async (t) => {
    const flow = await connectInCodeServer('connect', vsix().vsix, (m) => t.diagnostic(m), {
      settings: { 'mosh.hosts': { 'mosh?md': { command: 'echo "hosts-$((6*7))"; exec sh' } } },
    });
    const { wb, relay, udpPort, cs } = flow;
    try {
      await wb.typeInTerminal('echo "mosh-e2e-$((6*7))"', { enter: true });
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'mosh-e2e-42'));
      await wb.screenshot('command-output');
      await wb.waitForStatusBarItem(RTT);
      await wb.screenshotStatusBarItem('status-connected', RTT);

      // Resize: the panel gets narrower, and the remote shell sees it.
      await wb.resizeViewport(900, 700);
      await new Promise((r) => setTimeout(r, 1000));
      const { cols } = await wb.terminalSize();
      await wb.typeInTerminal('clear; echo "cols=$(tput cols)"', { enter: true });
      await wb.waitForTerminal((text) => text.includes(`cols=${cols}`), { timeoutMs: 30_000 });
      await wb.screenshot('resized');

      // Lose contact: the relay drops everything; the terminal shows mosh's warning, and the status bar says how
      // long ago the host was last heard from (not the last round trip time), counting up every second.
      relay.set('both', { blackhole: true });
      await wb.waitForTerminal(/mosh: Last contact \d+ seconds ago/, { timeoutMs: 30_000 });
      const first = Number(LAST_CONTACT.exec(await wb.waitForStatusBarItem(LAST_CONTACT, { timeoutMs: 15_000 }))![1]);
      const seen = new Set<number>([first]);
      const t0 = Date.now();
      while (Date.now() - t0 < 4000) {
        const item = (await wb.statusBarItems()).find((s) => s.startsWith('mosh moshbox'));
        assert.ok(
          item && LAST_CONTACT.test(item),
          `the status bar kept saying "last contact" during the outage: ${item}`,
        );
        seen.add(Number(LAST_CONTACT.exec(item)![1]));
        await new Promise((r) => setTimeout(r, 250));
      }
      const counts = [...seen].sort((a, b) => a - b);
      t.diagnostic(`status bar during the outage: last contact ${counts.join(', ')} s ago`);
      assert.ok(
        counts.length >= 3 && counts[counts.length - 1] - counts[0] >= 3,
        `the seconds count up during the outage: ${counts.join(', ')}`,
      );
      await wb.screenshot('last-contact-warning');
      await wb.screenshotStatusBarItem('status-waiting', LAST_CONTACT);
      relay.set('both', { blackhole: false });
      await wb.waitForTerminal((text) => !/Last contact/.test(text), { timeoutMs: 30_000 });
      await wb.waitForStatusBarItem(RTT, { timeoutMs: 15_000 });
      await wb.typeInTerminal('echo "back-$((1+1))"', { enter: true });
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'back-2'), { timeoutMs: 30_000 });
      await wb.screenshot('recovered');
      assert.ok(relay.stats.toServer.blackholed > 0, 'the relay really dropped datagrams');

      // The status bar item's menu: the log, the host's remote sessions, reconnect.
      await wb.clickStatusBarItem(RTT);
      const menu = await wb.waitForQuickInput({ text: /Reconnect to moshbox/ });
      assert.match(menu, /Show Log/);
      assert.match(menu, /Manage Remote Sessions on moshbox/);
      await wb.screenshot('status-menu');
      await wb.page.keyboard.press('Escape');

      // Closing the panel ends the remote session with the handshake: the server exits and frees its port.
      const closePanel = async (what: string) => {
        assert.equal(await canBind(udpPort), false, `${what}: the server holds its UDP port while the session runs`);
        await wb.runCommand('Terminal: Kill the Active Terminal Instance');
        const until = Date.now() + 20_000;
        while (!(await canBind(udpPort)) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        assert.ok(await canBind(udpPort), `${what}: the remote mosh server exited when the panel was closed`);
      };
      await closePanel('first panel');
      await wb.screenshot('closed');

      // mosh.hosts: the entry matching "moshcmd" runs its command in the new panel.
      await wb.runCommand('Mosh: Connect to Host...');
      await wb.waitForQuickInput({ text: /moshcmd/ });
      await wb.answerQuickInput('moshcmd');
      await wb.waitForQuickInput({ text: /password/i, timeoutMs: 60_000 });
      await wb.answerQuickInput(flow.sshd.password);
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'hosts-42'), { timeoutMs: 60_000 });
      await wb.screenshot('mosh-hosts-command');
      await closePanel('mosh.hosts panel');

      // `host -- command` typed in Connect to Host.
      await wb.runCommand('Mosh: Connect to Host...');
      await wb.waitForQuickInput({ text: /moshbox/ });
      await wb.answerQuickInput('moshbox -- echo "typed-$((2*3))"; exec sh');
      await wb.waitForQuickInput({ text: /password/i, timeoutMs: 60_000 });
      await wb.answerQuickInput(flow.sshd.password);
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'typed-6'), { timeoutMs: 60_000 });
      await wb.screenshot('typed-command');
      await closePanel('typed command panel');
    } catch (e) {
      await wb.screenshot('failure').catch(() => {});
      throw new Error(`${(e as Error).message}\nextension host log tail:\n${cs.extensionHostLog().slice(-3000)}`);
    } finally {
      await flow.stop();
    }
  },
);
