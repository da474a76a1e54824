// The extension end to end, in a real VS Code (code-server) in headless Chromium: "Mosh: Connect to Host" to the
// loopback sshd's test user, the host key dialog, the password box, a prompt in the terminal panel, a command's
// output read from the page, `tput cols` following a panel resize, and the last-contact warning while the
// impairment relay drops everything, then recovery, and closing the panel ending the remote session.
// Screenshots of every step go to test-artifacts/.
//
// Topology: ssh reaches sshd (127.0.0.1) through a ProxyCommand while the host is named 127.0.0.3, so the client
// aims its UDP at 127.0.0.3:S; the server, started with -s, binds 127.0.0.1:S; the relay listens on 127.0.0.3:S
// and forwards to 127.0.0.1:S, like a NAT on the path. S is fixed through the mosh.udpPortRange setting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImpairmentRelay } from '../support/relay';
import { type Sshd, sshdNeeds, startSshd } from '../support/sshd';
import { freshArtifactsDir, startCodeServer } from './support/codeserver';
import { packageExtension, type Packaged } from './support/vsix';
import { e2eNeeds, openWorkbench } from './support/workbench';

let tmp = '';
let packaged: Packaged | undefined;
let packagingError: unknown;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mosh-e2e-connect-'));
  try {
    packaged = await packageExtension(join(tmp, 'vscode-mosh.vsix'), { timeoutMs: 240_000 });
  } catch (e) {
    packagingError = e;
  }
}, { timeout: 300_000 });

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether 127.0.0.1:port is free (the server has let go of it). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const needs = (() => {
  const a = e2eNeeds();
  const b = sshdNeeds();
  return a.skip || b.skip ? { skip: a.skip ?? b.skip } : {};
})();

test('Mosh: Connect to Host in code-server: host key, password, prompt, command output, resize, lost contact and recovery', { ...needs, timeout: 10 * 60_000 }, async (t) => {
  if (!packaged) throw packagingError instanceof Error ? packagingError : new Error(`packaging failed: ${String(packagingError)}`);
  const name = 'connect';
  freshArtifactsDir(name);
  const log = (m: string) => t.diagnostic(m);
  const sshd: Sshd = await startSshd();
  const udpPort = await freeUdpPort();
  const relay = await ImpairmentRelay.start({ listenHost: '127.0.0.3', listenPort: udpPort, upstreamHost: '127.0.0.1', upstreamPort: udpPort, seed: 6 });
  const cs = await startCodeServer({
    vsix: packaged.vsix,
    label: name,
    log,
    settings: { 'mosh.udpPortRange': String(udpPort), 'mosh.server': 'bundled', 'mosh.predictionDisplay': 'never' },
  });
  let wb: Awaited<ReturnType<typeof openWorkbench>> | undefined;
  try {
    // The user's ssh config in code-server's HOME: an alias reached through a ProxyCommand.
    mkdirSync(join(cs.home, '.ssh'), { recursive: true, mode: 0o700 });
    const proxy = join(cs.home, 'proxy.js');
    writeFileSync(proxy, `const s = require('net').connect(Number(process.argv[2]), '127.0.0.1'); process.stdin.pipe(s); s.pipe(process.stdout); s.on('close', () => process.exit(0));\n`);
    writeFileSync(
      join(cs.home, '.ssh', 'config'),
      `Host moshbox\n  HostName 127.0.0.3\n  Port ${sshd.port}\n  User ${sshd.user}\n  ProxyCommand ${process.execPath} ${proxy} %p\n  PreferredAuthentications password\n  IdentitiesOnly yes\n`,
      { mode: 0o600 },
    );

    wb = await openWorkbench(cs.url, { name, log });
    await wb.screenshot('workbench');
    await wb.runCommand('Mosh: Connect to Host...');
    await wb.waitForQuickInput({ text: /moshbox/ });
    await wb.screenshot('host-picker');
    await wb.answerQuickInput('moshbox');

    // Unknown host key: a modal dialog with the fingerprint.
    const deadline = Date.now() + 60_000;
    let dialog: string | null = null;
    while (!(dialog = await wb.dialog()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(dialog && /authenticity of host/i.test(dialog) && /SHA256:/.test(dialog), `host key dialog: ${dialog}`);
    await wb.screenshot('host-key-dialog');
    await wb.clickDialogButton('Connect');

    // The password, in an input box.
    await wb.waitForQuickInput({ text: /password/i, timeoutMs: 60_000 });
    await wb.screenshot('password');
    await wb.answerQuickInput(sshd.password);

    await wb.waitForTerminal(/\$\s*$|\$ /m, { timeoutMs: 90_000 });
    await wb.screenshot('prompt');
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
    await wb?.screenshot('failure').catch(() => {});
    throw new Error(`${(e as Error).message}\nextension host log tail:\n${cs.extensionHostLog().slice(-3000)}`);
  } finally {
    await wb?.close();
    await cs.stop();
    await relay.close();
    await sshd.stop();
  }
});
