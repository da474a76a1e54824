// The shared start of the extension's end-to-end tests: a loopback sshd with the test user, the packaged
// extension in code-server with an ssh config entry named both moshbox and moshcmd (reached through a ProxyCommand
// at 127.0.0.3, so an impairment relay can sit on the UDP path), and "Mosh: Connect to Host" to moshbox through the
// host-key dialog and the password box to a shell prompt in the panel. Test support only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImpairmentRelay } from '../../support/relay';
import { type Sshd, startSshd } from '../../support/sshd';
import { type CodeServer, freshArtifactsDir, startCodeServer } from './codeserver';
import { openWorkbench, type Workbench } from './workbench';

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether 127.0.0.1:port is free (a server has let go of it). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export interface MoshFlow {
  sshd: Sshd;
  relay: ImpairmentRelay;
  cs: CodeServer;
  wb: Workbench;
  udpPort: number;
  stop(): Promise<void>;
}

/**
 * Starts everything and connects: on return the panel shows a shell prompt. Topology: the client aims its UDP
 * at 127.0.0.3:S; the server (started with -s) binds 127.0.0.1:S; the relay on 127.0.0.3:S forwards to it.
 */
export async function connectInCodeServer(
  name: string,
  vsix: string,
  log: (m: string) => void,
  opts: { settings?: Record<string, unknown> } = {},
): Promise<MoshFlow> {
  freshArtifactsDir(name);
  const sshd = await startSshd();
  const udpPort = await freeUdpPort();
  const relay = await ImpairmentRelay.start({
    listenHost: '127.0.0.3',
    listenPort: udpPort,
    upstreamHost: '127.0.0.1',
    upstreamPort: udpPort,
    seed: 6,
  });
  const cs = await startCodeServer({
    vsix,
    label: name,
    log,
    settings: {
      'mosh.udpPortRange': String(udpPort),
      'mosh.server': 'bundled',
      'mosh.predictionDisplay': 'never',
      ...opts.settings,
    },
  });
  let wb: Workbench | undefined;
  const stop = async () => {
    await wb?.close();
    await cs.stop();
    await relay.close();
    // A session the panel kept (window reload) outlives the workbench: end its server too.
    spawnSync('pkill', ['-f', `vscode-mosh-server port=${udpPort}$`]);
    await sshd.stop();
  };
  try {
    mkdirSync(join(cs.home, '.ssh'), { recursive: true, mode: 0o700 });
    const proxy = join(cs.home, 'proxy.js');
    writeFileSync(
      proxy,
      `const s = require('net').connect(Number(process.argv[2]), '127.0.0.1'); process.stdin.pipe(s); s.pipe(process.stdout); s.on('close', () => process.exit(0));\n`,
    );
    writeFileSync(
      join(cs.home, '.ssh', 'config'),
      `Host moshbox moshcmd\n  HostName 127.0.0.3\n  Port ${sshd.port}\n  User ${sshd.user}\n  ProxyCommand ${process.execPath} ${proxy} %p\n  PreferredAuthentications password\n  IdentitiesOnly yes\n`,
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
    return { sshd, relay, cs, wb, udpPort, stop };
  } catch (e) {
    await wb?.screenshot('failure').catch(() => undefined);
    const tail = cs.extensionHostLog().slice(-3000);
    await stop();
    throw new Error(`${(e as Error).message}\nextension host log tail:\n${tail}`);
  }
}
