// A hostile (or broken) server cannot exhaust the client: a tiny authentic diff asking for a 10000x10000 screen is
// refused before anything is allocated, the bar says why, and the session goes on at its own size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MoshClient } from '../../src/client';
import { MAX_CELLS } from '../../src/emulator';
import { formatKey } from '../../src/transport/key';
import { EchoServer } from '../support/echoserver';
import { until } from '../support/stock';

test('a server asking for a 10000x10000 screen is refused, and the client stays within its memory bound', async () => {
  const server = await EchoServer.start();
  let screen = '';
  const client = new MoshClient(
    { host: '127.0.0.1', port: server.port, key: formatKey(server.key), cols: 80, rows: 24, predict: 'never' },
    { screen: (d) => (screen += d) },
  );
  try {
    await until(() => client.status().state === 'connected', 10_000, 'the client to connect');
    const before = process.memoryUsage().rss;
    const tape = server.peer.transport.currentState;
    tape.width = 10000;
    tape.height = 10000;
    tape.write('hostile');
    server.peer.kick();
    await until(
      () => /larger than a terminal may be/.test(screen),
      10_000,
      'the bar to say the screen size was refused',
    );
    await new Promise((r) => setTimeout(r, 500)); // let the server retransmit it a few times
    const fb = client.transport.latestRemote().state.snapshot;
    assert.ok(
      fb.cols * fb.rows <= MAX_CELLS,
      `the client's screen stays within the limit (it is ${fb.cols}x${fb.rows})`,
    );
    assert.equal(fb.cols, 80);
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    assert.ok(grown < 64, `memory grew by ${grown.toFixed(1)} MiB`);
    assert.ok(client.transport.stats.badDiff > 0, 'the state was dropped as one that cannot be applied');
  } finally {
    await client.close();
    server.close();
  }
});
