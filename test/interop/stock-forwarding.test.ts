// Agent forwarding with stock peers: our client asking for it from the stock mosh-server is told why it is off and
// the session works (the server ignores the hello); the stock mosh-client on our server says no hello, so the
// session gets no agent socket of ours and nothing of the channels ever reaches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withSession } from '../support/fwdsession';
import { needs } from '../support/peers';
import { startOurServer, until } from '../support/stock';
import { startStockClient } from '../support/stockclient';

test(
  'stock mosh-server and forwarding asked for: the client says why it is off, once, and the terminal works',
  needs('mosh-server'),
  async () => {
    await withSession({ stock: true, forward: {} }, async (c, statuses) => {
      c.type('echo "ok $((6*7))"\r');
      await c.waitScreen((l) => l.includes('ok 42'), 5_000, 'a command to run');
      await until(() => statuses.length > 0, 5_000, 'the forwarding status');
      assert.equal(statuses.length, 1);
      assert.equal(statuses[0].on, false);
      assert.match(statuses[0].reason, /stock mosh-server, which cannot forward an ssh agent/);
    });
  },
);

test('stock mosh-client on our server: no agent socket of ours in the session', needs('mosh-client'), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-stock-fwd-'));
  const server = await startOurServer({ command: ['/bin/sh'], env: { HOME: dir, PS1: '$ ', ENV: '', TMPDIR: dir } });
  const client = startStockClient(server.port, server.key, 100, 30);
  try {
    await client.waitText((t) => t.includes('$'), 10_000, 'the prompt');
    client.type('echo "[${SSH_AUTH_SOCK:-none}]"; ls -a "$TMPDIR" | grep -c vscode-mosh\r');
    await client.waitText(
      (_t, l) => l.some((x) => /^\[.*\]$/.test(x)) && l.some((x) => /^\d+$/.test(x)),
      10_000,
      'the variable and the count',
    );
    const lines = client.screen.lines();
    assert.doesNotMatch(
      lines.find((x) => /^\[.*\]$/.test(x))!,
      /vscode-mosh-/,
    );
    assert.ok(lines.includes('0'), 'no socket folder of ours');
  } finally {
    client.close();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
