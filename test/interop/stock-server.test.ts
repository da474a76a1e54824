// Interop: our transport as the client of Debian's stock mosh-server 1.4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MoshClient } from '../../src/client';
import { encodeClientHello } from '../../src/statesync/extensions';
import { UserStream } from '../../src/statesync/userstream';
import { parseKey } from '../../src/transport/key';
import { HostTape } from '../support/hosttape';
import { needs } from '../support/peers';
import { Screen, startStockServer, until } from '../support/stock';
import { UdpPeer } from '../support/udppeer';

test(
  'our client types into stock mosh-server, sees the output, and shuts it down with the handshake',
  needs('mosh-server'),
  async () => {
    const server = await startStockServer({ command: ['/bin/sh'] });
    const screen = new Screen(80, 24);
    const peer = UdpPeer.client({
      server: { address: '127.0.0.1', port: server.port },
      key: parseKey(server.key),
      local: new UserStream(),
      remote: new HostTape(),
    });
    try {
      // Replay the newest server state's tape into the screen (reset if it is not an extension of what was fed).
      let fed: Buffer[] = [];
      let feeding = Promise.resolve();
      peer.onWake = () => {
        const tape = peer.transport.latestRemote().state;
        const prefix = fed.length <= tape.chunks.length && fed.every((c, i) => c === tape.chunks[i]);
        const start = prefix ? fed.length : 0;
        const fresh = tape.chunks.slice(start);
        fed = tape.chunks.slice();
        if (!prefix) feeding = feeding.then(() => screen.reset());
        for (const c of fresh) feeding = feeding.then(() => screen.write(c));
      };
      peer.transport.currentState.pushResize(80, 24);
      peer.kick();
      await until(async () => (await feeding, /^\$ ?$/m.test(screen.text())), 10_000, 'the shell prompt');

      const token = randomBytes(6).toString('hex');
      const beforeInput = peer.transport.sender.sentStateLast;
      peer.transport.currentState.pushBytes(Buffer.from(`echo "tok""${token}"\r`));
      peer.kick();
      await until(async () => (await feeding, screen.lines().includes(`tok${token}`)), 10_000, 'the echoed token');
      assert.ok(
        screen.lines().some((l) => l.includes(`echo "tok""${token}"`)),
        'the typed command is on screen',
      );
      // The echo-ack for our input state follows the output by about 50 ms (mosh-protocol.md 7.3).
      await peer.waitFor(
        () => peer.transport.latestRemote().state.echoAck > beforeInput,
        5_000,
        'the echo-ack of our input',
      );

      peer.transport.startShutdown();
      peer.kick();
      await peer.waitFor(
        () => peer.transport.sender.shutdownAcknowledged || peer.transport.sender.shutdownAckTimedOut,
        12_000,
        'shutdown',
      );
      assert.ok(peer.transport.sender.shutdownAcknowledged, 'stock server acknowledged our shutdown');
      await until(() => !server.alive(), 5_000, 'the stock server to exit');
    } finally {
      peer.close();
      screen.dispose();
      server.kill();
    }
  },
);

test(
  'stock mosh-server tolerates our hello (an extension event in the first state and again later): the session works, the first state it acknowledges is ours, and it says no hello back',
  needs('mosh-server'),
  async () => {
    const server = await startStockServer({ command: ['/bin/sh'] });
    let out = '';
    let peerHello: unknown = 'not yet';
    const client = new MoshClient(
      { host: '127.0.0.1', port: server.port, key: server.key, cols: 80, rows: 24, predict: 'never', scrollback: 1000 },
      { screen: (d) => (out += d), peer: (h) => (peerHello = h) },
    );
    try {
      await until(() => client.status().state === 'connected', 10_000, 'the client to connect');
      // State 1 carried the resize and the hello together; the server acknowledged it.
      assert.ok(client.transport.sender.sentStateAcked >= 1n, 'the first state (with the hello) was acknowledged');
      await until(() => peerHello !== 'not yet', 5_000, 'the peer to be reported');
      assert.equal(peerHello, null, 'a stock server sends no hello');
      // A second hello mid-session (as a restored client sends) is ignored too.
      client.transport.currentState.pushExt(
        encodeClientHello({ version: 1, features: ['history'], historyLines: 10, replayFrom: 5n }),
      );
      const token = randomBytes(4).toString('hex');
      client.input(`echo "tok""${token}"\r`);
      await until(() => out.includes(`tok${token}`), 10_000, 'the echoed token');
      const exit = await client.close();
      assert.equal(exit.reason, 'user');
      await until(() => !server.alive(), 5_000, 'the stock server to exit');
    } finally {
      server.kill();
    }
  },
);
