// The extension end to end, in a real VS Code (code-server) in headless Chromium: "Mosh: Connect to Host" to the
// loopback sshd's test user, the host key dialog, the password box, a prompt in the terminal panel, a command's
// output read from the page, `tput cols` following a panel resize, and the last-contact warning while the
// impairment relay drops everything, then recovery, and closing the panel ending the remote session.
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

test('Mosh: Connect to Host in code-server: host key, password, prompt, command output, resize, lost contact and recovery', { ...needs, timeout: 10 * 60_000 }, async (t) => {
  const flow = await connectInCodeServer('connect', vsix().vsix, (m) => t.diagnostic(m));
  const { wb, relay, udpPort, cs } = flow;
  try {
    await wb.typeInTerminal('echo "mosh-e2e-$((6*7))"', { enter: true });
    await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'mosh-e2e-42'));
    await wb.screenshot('command-output');

    // Resize: the panel gets narrower, and the remote shell sees it.
    await wb.resizeViewport(900, 700);
    await new Promise((r) => setTimeout(r, 1000));
    const { cols } = await wb.terminalSize();
    await wb.typeInTerminal('clear; echo "cols=$(tput cols)"', { enter: true });
    await wb.waitForTerminal((text) => text.includes(`cols=${cols}`), { timeoutMs: 30_000 });
    await wb.screenshot('resized');

    // Lose contact: the relay drops everything; the terminal shows mosh's warning.
    relay.set('both', { blackhole: true });
    await wb.waitForTerminal(/mosh: Last contact \d+ seconds ago/, { timeoutMs: 30_000 });
    await wb.screenshot('last-contact-warning');
    relay.set('both', { blackhole: false });
    await wb.waitForTerminal((text) => !/Last contact/.test(text), { timeoutMs: 30_000 });
    await wb.typeInTerminal('echo "back-$((1+1))"', { enter: true });
    await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'back-2'), { timeoutMs: 30_000 });
    await wb.screenshot('recovered');
    assert.ok(relay.stats.toServer.blackholed > 0, 'the relay really dropped datagrams');

    // Closing the panel ends the remote session with the handshake: the server exits and frees its port.
    assert.equal(await canBind(udpPort), false, 'the server holds its UDP port while the session runs');
    await wb.runCommand('Terminal: Kill the Active Terminal Instance');
    const until = Date.now() + 20_000;
    while (!(await canBind(udpPort)) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    assert.ok(await canBind(udpPort), 'the remote mosh server exited when the panel was closed');
    await wb.screenshot('closed');
  } catch (e) {
    await wb.screenshot('failure').catch(() => {});
    throw new Error(`${(e as Error).message}\nextension host log tail:\n${cs.extensionHostLog().slice(-3000)}`);
  } finally {
    await flow.stop();
  }
});
