// A panel whose session cannot be saved (SecretStorage refuses the write) says so in the panel's bar and in the
// log, keeps its session (the client stops sending only at the last stored floor: test/client/savefloor.test.ts),
// and clears the notice once a save succeeds again. Drives the real MoshTerminal against our in-process server,
// with a stand-in for the vscode module.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { startInProcServer } from '../support/inprocserver';
import { Screen, until } from '../support/stock';
import { installFakeVscode } from './support/fakevscode';

test('a failed save of the session is said in the panel and the log; the session goes on; a later save clears it', async () => {
  const fake = installFakeVscode();
  const server = await startInProcServer({ command: ['/bin/sh'] });
  // Loaded after the stand-in, so that their `require('vscode')` gets it.
  const load = createRequire(__filename);
  const { MoshTerminal } = load('../../src/vscode/terminal') as typeof import('../../src/vscode/terminal');
  const { SessionStore } = load('../../src/vscode/persist') as typeof import('../../src/vscode/persist');
  const { readSettings } = load('../../src/vscode/settings') as typeof import('../../src/vscode/settings');
  const secrets = fake.context.secrets as { store: (k: string, v: string) => Promise<void> };
  const store = secrets.store;
  let failing = false;
  secrets.store = async (k, v) => {
    if (failing) throw new Error('the keyring is locked');
    return store(k, v);
  };
  const log = (fake.api.window as { createOutputChannel: (n: string, o: unknown) => never }).createOutputChannel(
    'Mosh',
    { log: true },
  );
  const screen = new Screen(80, 24);
  let written = Promise.resolve();
  const term = new MoshTerminal(
    { target: 'box' },
    {
      bootstrap: async () => ({ host: '127.0.0.1', port: server.port, key: server.key }),
      settings: () => ({ ...readSettings(), predictionDisplay: 'never' }),
      prompter: { ask: async () => undefined } as never,
      log,
      onStatus: () => undefined,
      onClosed: () => undefined,
      again: () => undefined,
      store: new SessionStore(fake.context as never),
    },
  );
  term.onDidWrite((d) => (written = written.then(() => screen.write(d))));
  const text = async () => (await written, screen.lines().join('\n'));
  try {
    term.open({ columns: 80, rows: 24 });
    await until(async () => /\$ ?$/m.test(await text()), 15_000, 'the prompt');
    failing = true;
    await term.persist();
    await until(
      async () => /could not be saved \(the keyring is locked\)/.test(await text()),
      5_000,
      'the notice in the panel',
    );
    assert.ok(
      fake.logLines.some((l) => /could not save the session: the keyring is locked/.test(l)),
      'the log says why',
    );
    term.handleInput('echo "st""ill here"\r');
    await until(async () => (await text()).includes('still here'), 10_000, 'the session to go on');
    failing = false;
    await term.persist();
    await until(async () => !/could not be saved/.test(await text()), 5_000, 'the notice to go once a save succeeds');
  } finally {
    term.close();
    await until(() => term.ended, 5_000, 'the panel to end').catch(() => undefined);
    await server.stop();
    fake.uninstall();
  }
});
