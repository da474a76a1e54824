// Interop under loss: the stock mosh-client's screen converges to our server's framebuffer through the
// impairment relay at 20 % loss each way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowText } from '../../src/emulator';
import { bindServerSocket } from '../../src/transport/connection';
import { formatKey, generateKey } from '../../src/transport/key';
import { ServerSession } from '../../server/session';
import { needs } from '../support/peers';
import { ImpairmentRelay } from '../support/relay';
import { until } from '../support/stock';
import { startStockClient } from '../support/stockclient';

test(
  "at 20 % loss each way the stock client's screen converges to our server's framebuffer",
  needs('mosh-client'),
  async () => {
    const key = generateKey();
    // eslint-disable-next-line prefer-const
    let session: ServerSession;
    const bound = await bindServerSocket({
      address: '127.0.0.1',
      ports: [0, 0],
      onMessage: (m, f) => session.receive(m, f),
    });
    session = new ServerSession({
      key,
      socket: bound.socket,
      family: bound.family,
      file: '/bin/sh',
      args: [],
      env: { ...process.env, PS1: '$ ', ENV: '', TERM: 'xterm-256color', LANG: 'C.UTF-8' } as Record<string, string>,
      cwd: '/tmp',
      cols: 80,
      rows: 24,
      networkTimeout: 0,
      signalTimeout: 0,
      log: () => undefined,
    });
    session.start();
    const link = { loss: 0.2, delayMs: 10, jitterMs: 5, reorder: 0.05, reorderExtraMs: 20 };
    const relay = await ImpairmentRelay.start({ upstreamPort: bound.port, seed: 20, toServer: link, toClient: link });
    const client = startStockClient(relay.port, formatKey(key), 80, 24);
    const serverRows = () => {
      const s = session.emulator.snapshot();
      return Array.from({ length: s.rows }, (_, y) => rowText(s, y).trimEnd());
    };
    try {
      await client.waitText((_t, lines) => lines.some((l) => l === '$'), 15_000, 'the prompt');
      // Output spread over ~2 s, so it travels in many frames while datagrams are being lost.
      client.type(
        'i=0; while [ $i -lt 150 ]; do i=$((i+1)); echo "line $i of output"; sleep 0.01; done; printf "\\033[1;33mdone\\033[0m\\n"\r',
      );
      await client.waitText((_t, lines) => lines.includes('done'), 20_000, 'the loop output');
      await until(
        async () => {
          await client.settled();
          return JSON.stringify(client.screen.lines()) === JSON.stringify(serverRows());
        },
        20_000,
        'the client screen to equal the server framebuffer',
      );
      assert.deepEqual(client.screen.lines(), serverRows());
      const s = relay.stats;
      assert.ok(s.toClient.dropped > 0 && s.toServer.dropped > 0, `the relay dropped datagrams: ${JSON.stringify(s)}`);
    } finally {
      client.type('\x1e.');
      await until(() => client.exitCode() !== null, 10_000, 'client exit').catch(() => undefined);
      client.close();
      session.terminate();
      await relay.close();
    }
  },
);
