// Interop: Debian's stock mosh-client 1.4 (on a pty) against a minimal server built on our transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { formatKey } from '../../src/transport/key';
import { EchoServer } from '../support/echoserver';
import { needs } from '../support/peers';
import { until } from '../support/stock';
import { startStockClient } from '../support/stockclient';

test(
  'stock mosh-client shows keystrokes echoed by our server, and Ctrl-^ . ends it with status 0',
  needs('mosh-client'),
  async () => {
    const server = await EchoServer.start();
    const client = startStockClient(server.port, formatKey(server.key), 100, 30);
    try {
      await until(() => server.resizes.length > 0, 10_000, "the client's first resize");
      assert.deepEqual(server.resizes[0], [100, 30], 'state 1 is the client terminal size');

      const token = `hello-${randomBytes(5).toString('hex')}`;
      client.proc.write(token);
      await until(
        async () => (await client.settled(), client.screen.text().includes(token)),
        10_000,
        'the echoed token on the client screen',
      );
      assert.equal(Buffer.from(server.typed).toString(), token);

      client.proc.resize(90, 25);
      await until(
        () => server.resizes.some(([w, h]) => w === 90 && h === 25),
        10_000,
        'the resize to reach the server',
      );

      client.proc.write('\x1e.');
      await until(() => client.exitCode() !== null, 10_000, 'mosh-client to exit');
      assert.equal(
        client.exitCode(),
        0,
        `mosh-client exit status (output: ${JSON.stringify(client.raw().slice(-300))})`,
      );
      assert.ok(server.peer.transport.counterpartyShutdown, 'our server received the shutdown state');
      assert.ok(server.peer.transport.sender.counterpartyShutdownAckSent, 'and acknowledged it');
      assert.match(client.raw(), /mosh is exiting/);
    } finally {
      client.close();
      server.close();
    }
  },
);

test('stock mosh-client exits with status 0 when our server shuts the session down', needs('mosh-client'), async () => {
  const server = await EchoServer.start();
  const client = startStockClient(server.port, formatKey(server.key), 80, 24);
  try {
    await until(() => server.resizes.length > 0, 10_000, 'the client to connect');
    server.peer.transport.currentState.write('bye\r\n');
    server.peer.kick();
    await until(async () => (await client.settled(), client.screen.text().includes('bye')), 10_000, 'the last output');
    server.peer.transport.startShutdown();
    server.peer.kick();
    await until(() => client.exitCode() !== null, 10_000, 'mosh-client to exit');
    assert.equal(client.exitCode(), 0);
    await server.peer.waitFor(
      () => server.peer.transport.sender.shutdownAcknowledged,
      5_000,
      'the client to acknowledge our shutdown',
    );
  } finally {
    client.close();
    server.close();
  }
});
