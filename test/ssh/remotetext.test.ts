// Remote text shown outside the terminal stream: a hostile ssh server's banner and keyboard-interactive title,
// instructions and prompts carry escape sequences (clear screen, retitle the window, fake lines) and reach the
// Prompter without them; the cleaning keeps words, newlines and tabs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Server, utils } from 'ssh2';
import { resolveHost } from '../../src/ssh/config';
import { connectSsh } from '../../src/ssh/connect';
import { BootstrapError } from '../../src/ssh/errors';
import { cleanRemoteText } from '../../src/ssh/remotetext';
import { ScriptedPrompter } from '../support/prompter';

const ESC = '\x1b';
const HOSTILE = {
  banner: `Welcome${ESC}[2J${ESC}[H${ESC}]0;pwned-title\x07\r\nsecond line\tTAB\x08\x08\x7f\u202eevil\r\n`,
  title: `Two-factor${ESC}[31m red${ESC}[0m`,
  instructions: `Enter the code.\n${ESC}[1A${ESC}[2KFake: password accepted\x9b31m`,
  prompt: `Code${ESC}P1;2|secret${ESC}\\: `,
};

function hasControls(s: string): boolean {
  return [...s].some((c) => c !== '\n' && c !== '\t' && /[\p{Cc}\p{Cf}]/u.test(c));
}

describe('remote text is cleaned before a front end shows it', () => {
  let server: Server;
  let port = 0;
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'mosh-remotetext-'));
    const hostKey = utils.generateKeyPairSync('ed25519').private;
    server = new Server({ hostKeys: [hostKey], banner: HOSTILE.banner }, (client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
        ctx.prompt([{ prompt: HOSTILE.prompt, echo: false }], HOSTILE.title, HOSTILE.instructions, () => ctx.reject());
      });
      client.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('banner, keyboard-interactive title, instructions and prompt reach the Prompter without escape sequences', async () => {
    const config = join(work, 'config');
    writeFileSync(
      config,
      `Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile ${join(work, 'known_hosts')}\n  NumberOfPasswordPrompts 1\n`,
    );
    const host = resolveHost(`tester@127.0.0.1:${port}`, { configFiles: [config], home: work, identityFiles: [] });
    const p = new ScriptedPrompter({ 'keyboard-interactive': ['123456'] });
    await assert.rejects(connectSsh(host, { prompter: p, agents: [] }), (e: BootstrapError) => e.code === 'auth');
    assert.equal(p.infos.length, 1);
    assert.equal(p.infos[0], 'Welcome\nsecond line\tTABevil');
    const q = p.questions[0];
    assert.equal(q.kind, 'keyboard-interactive');
    assert.equal(q.title, 'Two-factor red');
    assert.equal(q.instructions, 'Enter the code.\nFake: password accepted');
    assert.equal(q.message, 'Code: ');
    for (const s of [p.infos[0], q.title!, q.instructions!, q.message]) assert.ok(!hasControls(s), JSON.stringify(s));
  });

  test('cleanRemoteText: sequences and controls go, words, newlines and tabs stay; one-line texts lose line breaks', () => {
    assert.equal(cleanRemoteText(`a${ESC}[38;5;196mb${ESC}[0m\r\nc\rd`), 'ab\ncd');
    assert.equal(cleanRemoteText(`x${ESC}]8;;http://evil${ESC}\\link${ESC}]8;;${ESC}\\y`), 'xlinky');
    assert.equal(cleanRemoteText(`bell\x07nul\0del\x7fc1\x85end`), 'bellnuldelc1end');
    assert.equal(cleanRemoteText('ünïcødé ✓ 日本\tok'), 'ünïcødé ✓ 日本\tok');
    assert.equal(cleanRemoteText('one\ntwo\tthree', { multiline: false }), 'one two three');
  });
});
