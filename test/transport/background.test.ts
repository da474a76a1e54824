// TransportSender.isBackground: channel traffic (background) is paced on a clock of its own, so a keystroke typed
// just after channel bytes went out leaves at once instead of a frame interval later; background changes still
// leave at most one per frame interval; without the hook (every peer but ours) pacing is mosh's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeChannelEvent } from '../../src/statesync/channelwire';
import { UserStream } from '../../src/statesync/userstream';
import { Connection } from '../../src/transport/connection';
import { TO_SERVER } from '../../src/transport/datagram';
import { generateKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { SEND_MINDELAY_CLIENT } from '../../src/transport/sender';
import { Transport } from '../../src/transport/transport';
import { FakeNet, run } from '../support/fakenet';
import { TextState } from '../support/textstate';
import { WireDecoder } from '../support/wire';

function setup(background: boolean) {
  const net = new FakeNet(1);
  const key = generateKey();
  const client = new Transport<UserStream, TextState>({
    connection: Connection.client({
      aead: new OcbAes128(key),
      clock: net.clock,
      server: { address: '127.0.0.1', port: 60001 },
      socketFactory: net.clientFactory('127.0.0.2'),
    }),
    clock: net.clock,
    initialLocal: new UserStream(),
    initialRemote: new TextState(),
    sendMinDelay: SEND_MINDELAY_CLIENT,
    paceFromDataOnly: true,
  });
  if (background) client.sender.isBackground = (c, b) => c.backgroundChangeFrom(b);
  const t0 = net.clock.now();
  client.currentState.pushResize(80, 24);
  // The first state (a resize: foreground) goes out at once; what follows comes a frame interval later.
  run(net, [client], t0 + client.connection.rtt.sendInterval() + 10);
  /** Send times (relative to t0) of the user-stream diffs that carried a key byte / a channel event. */
  const sends = () => {
    const dec = new WireDecoder(new OcbAes128(key));
    const out: { at: number; keys: boolean; ext: boolean }[] = [];
    for (const e of net.log) {
      const inst = dec.decode(e.msg);
      if (!inst || inst.direction !== TO_SERVER || inst.diff.length === 0) continue;
      const s = new UserStream();
      s.apply(inst.diff);
      const runs = s.runsSince(0);
      out.push({ at: e.at - t0, keys: runs.some((r) => r.type === 'keys'), ext: runs.some((r) => r.type === 'ext') });
    }
    return out;
  };
  const ext = () =>
    client.currentState.pushExt(encodeChannelEvent({ id: 1, offset: 0, data: new Uint8Array(100), close: false }));
  return { net, client, t0, sends, ext };
}

test('a keystroke right after channel bytes went out leaves at once (background has its own pacing clock)', () => {
  const { net, client, t0, sends, ext } = setup(true);
  const interval = client.connection.rtt.sendInterval();
  ext();
  run(net, [client], t0 + interval + 50);
  const bgAt = sends().find((s) => s.ext)!.at;
  net.clock.set(t0 + bgAt + 5);
  client.currentState.pushBytes(new Uint8Array([0x61]));
  run(net, [client], t0 + bgAt + 5 + interval + 50);
  const keyAt = sends().find((s) => s.keys)!.at;
  assert.ok(
    keyAt - (bgAt + 5) <= SEND_MINDELAY_CLIENT + 1,
    `the key left ${keyAt - (bgAt + 5)} ms after it was typed (frame interval ${interval} ms)`,
  );
});

test("without the hook the same keystroke waits for the frame interval after the channel bytes (mosh's pacing)", () => {
  const { net, client, t0, sends, ext } = setup(false);
  const interval = client.connection.rtt.sendInterval();
  ext();
  run(net, [client], t0 + interval + 50);
  const bgAt = sends().find((s) => s.ext)!.at;
  net.clock.set(t0 + bgAt + 5);
  client.currentState.pushBytes(new Uint8Array([0x61]));
  run(net, [client], t0 + bgAt + 5 + 2 * interval);
  const keyAt = sends().find((s) => s.keys)!.at;
  assert.ok(
    keyAt >= bgAt + interval,
    `the key waited for the frame interval (${keyAt - bgAt} ms after the channel bytes)`,
  );
});

test('background changes leave at most one per frame interval', () => {
  const { net, client, sends, ext } = setup(true);
  const interval = client.connection.rtt.sendInterval();
  for (let i = 0; i < 20; i++) {
    ext();
    run(net, [client], net.clock.now() + 10);
  }
  run(net, [client], net.clock.now() + 2 * interval);
  const times = sends()
    .filter((s) => s.ext)
    .map((s) => s.at);
  assert.ok(times.length >= 2);
  for (let i = 1; i < times.length; i++)
    assert.ok(
      times[i] - times[i - 1] >= interval,
      `background frames ${times[i] - times[i - 1]} ms apart (interval ${interval})`,
    );
});
