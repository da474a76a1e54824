// Our transport on both ends over real loopback UDP through the impairment relay: convergence under heavy
// loss with reordering and duplication, and server-side roaming after a NAT rebind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey } from '../../src/transport/key';
import { ImpairmentRelay } from '../support/relay';
import { TextState } from '../support/textstate';
import { UdpPeer } from '../support/udppeer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('both directions converge at 30 % loss each way with reordering, and the server follows a rebind', async () => {
  const key = generateKey();
  const server = await UdpPeer.server({ key, local: new TextState(), remote: new TextState() });
  const link = { delayMs: 20, jitterMs: 5, loss: 0.3, reorder: 0.2, reorderExtraMs: 40, duplicate: 0.05 };
  const relay = await ImpairmentRelay.start({ upstreamPort: server.port, seed: 7, toServer: link, toClient: link });
  const client = UdpPeer.client({
    server: { address: '127.0.0.1', port: relay.port },
    key,
    local: new TextState(),
    remote: new TextState(),
  });
  const converged = () =>
    server.transport.latestRemote().state.equals(client.transport.currentState) &&
    client.transport.latestRemote().state.equals(server.transport.currentState);
  try {
    for (let i = 0; i < 60; i++) {
      client.transport.currentState.text += String.fromCharCode(97 + (i % 26));
      client.kick();
      if (i % 2 === 0) {
        server.transport.currentState.text += `out ${i}\r\n`;
        server.kick();
      }
      await sleep(20);
    }
    await client.waitFor(converged, 20_000, 'convergence at 30 % loss');
    assert.equal(server.transport.latestRemote().state.text.length, 60);
    const s = relay.stats;
    assert.ok(s.toServer.dropped > 0 && s.toClient.dropped > 0, 'the relay dropped datagrams both ways');
    assert.ok(s.toServer.reordered + s.toClient.reordered > 0, 'and reordered some');

    const before = server.transport.connection.remoteAddr()!.port;
    const newPort = await relay.rebind();
    assert.notEqual(newPort, before);
    client.transport.currentState.text += ' after rebind';
    client.kick();
    await client.waitFor(
      () => converged() && server.transport.connection.remoteAddr()!.port === newPort,
      20_000,
      'the server to follow the rebind',
    );
    assert.ok(server.transport.connection.stats.roams >= 2);
    assert.match(server.transport.latestRemote().state.text, /after rebind$/);
  } finally {
    client.close();
    server.close();
    await relay.close();
  }
});
