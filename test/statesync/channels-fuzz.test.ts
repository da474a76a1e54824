// Fuzz of the channel decoders, like the other decoders' (test/transport/receive-fuzz.test.ts): hostile or broken
// host diffs with a channel part are either applied whole or refused with the client's state and inbox untouched,
// and never leave more than MAX_CHANNELS channels or more than the credit held; hostile or broken channel events
// never throw on the server, never put bytes on a socket out of order, and at worst reset their channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHANNEL_WINDOW,
  ChannelInbox,
  type ChannelTable,
  MAX_CHANNELS,
  MAX_IN_FLIGHT,
} from '../../src/statesync/channels';
import { decodeChannelEvent, encodeChannelEvent, type ChannelUpdateInfo } from '../../src/statesync/channelwire';
import { encodeHostMessage } from '../../src/statesync/hostmessage';
import { TerminalState } from '../../src/statesync/terminal';
import { ChannelHost } from '../../server/channelhost';
import { prng } from '../support/fakenet';
import { MemEnd } from '../support/memstream';

function mutate(r: () => number, b: Uint8Array): Uint8Array {
  const out = Buffer.from(b);
  switch (Math.floor(r() * 4)) {
    case 0:
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n && out.length; i++)
        out[Math.floor(r() * out.length)] ^= 1 << Math.floor(r() * 8);
      return out;
    case 1:
      return out.subarray(0, Math.floor(r() * out.length));
    case 2:
      return Buffer.concat([
        out,
        Buffer.from(Array.from({ length: 1 + Math.floor(r() * 30) }, () => Math.floor(r() * 256))),
      ]);
    default:
      if (out.length) out.fill(Math.floor(r() * 256), Math.floor(r() * out.length), Math.floor(r() * out.length));
      return out;
  }
}

/** A plausible-looking, often wrong, channel update list around the ids of `t`. */
function randomUpdates(r: () => number, t: ChannelTable | null): ChannelUpdateInfo[] {
  const ids = [...(t?.marks.keys() ?? [])];
  const maxId = ids.length ? Math.max(...ids) : 0;
  const out: ChannelUpdateInfo[] = [];
  let id = Math.floor(r() * 3);
  for (let i = 0, n = Math.floor(r() * 5); i < n; i++) {
    id = Math.max(0, id + (r() < 0.1 ? -1 : 1 + Math.floor(r() * 3)));
    if (r() < 0.5 && ids.length) id = ids[Math.floor(r() * ids.length)];
    if (r() < 0.2) id = maxId + 1 + Math.floor(r() * 3);
    const m = t?.marks.get(id);
    const offset = m && r() < 0.7 ? m.sent : Math.floor(r() * 3) * Math.floor(r() * 2000);
    out.push({
      id,
      kind: m && r() < 0.8 ? undefined : r() < 0.8 ? 'agent' : r() < 0.5 ? '' : 'other',
      offset,
      data: new Uint8Array(Math.floor(r() * (r() < 0.1 ? 20_000 : 3000))),
      closed: r() < 0.15,
      window: r() < 0.3 ? Math.floor(r() * 3 * CHANNEL_WINDOW) : undefined,
      gone: r() < 0.1,
    });
  }
  return out;
}

function fingerprint(s: TerminalState, inbox: ChannelInbox): string {
  const marks = [...(s.channels?.marks ?? [])];
  const held = inbox.ids.map((id) => [id, inbox.delivered(id), inbox.held(id)]);
  return JSON.stringify({
    marks,
    err: s.channels?.agentError ?? null,
    echo: s.echoAck.toString(),
    held,
    newest: inbox.newestId,
  });
}

test('20,000 hostile or broken host diffs: each is applied whole or refused with state and inbox unchanged; bounds always hold', () => {
  const r = prng(41);
  const inbox = new ChannelInbox();
  let state = TerminalState.initial(80, 24, { inbox });
  let applied = 0;
  let refused = 0;
  for (let i = 0; i < 20_000; i++) {
    let diff = encodeHostMessage([
      {
        type: 'channels',
        updates: randomUpdates(r, state.channels),
        ...(r() < 0.05 ? { agentError: 'x'.repeat(Math.floor(r() * 900)) } : {}),
      },
    ]);
    if (r() < 0.5) diff = mutate(r, diff);
    const next = state.clone();
    const before = fingerprint(state, inbox);
    try {
      next.apply(diff);
    } catch {
      refused++;
      assert.equal(fingerprint(state, inbox), before, `diff ${i}: a refused diff changed nothing`);
      continue;
    }
    applied++;
    state = next;
    assert.ok((state.channels?.marks.size ?? 0) <= 2 * MAX_CHANNELS, 'at most MAX_CHANNELS channels per side');
    for (const id of inbox.ids) assert.ok(inbox.held(id) <= CHANNEL_WINDOW, 'the inbox holds at most the credit');
    assert.ok(inbox.ids.length <= 4 * MAX_CHANNELS);
    assert.ok((state.channels?.agentError ?? '').length <= 512);
    // The client takes what it holds now and then, as it would pass it on.
    if (r() < 0.3) for (const id of inbox.ids) inbox.take(id, Math.floor(r() * 5000));
    if (r() < 0.01) for (const id of inbox.ids) inbox.finish(id);
  }
  assert.ok(applied > 500 && refused > 500, `both kinds were exercised (applied ${applied}, refused ${refused})`);
});

test('20,000 hostile or broken channel events at the server: nothing throws, bytes reach a socket only in order, a channel is at worst reset', () => {
  const r = prng(43);
  // The client may open "svc" channels (each to a new socket that takes everything), nothing else.
  const host = new ChannelHost({
    kick: () => undefined,
    service: (kind) => (kind === 'svc' ? MemEnd.pair(false, false)[1] : null),
  });
  const sockets = new Map<number, { remote: MemEnd; got: number }>();
  let table: ChannelTable | null = null;
  const open = () => {
    const [remote, theirs] = MemEnd.pair(true, false);
    if (host.accept(theirs, 'agent')) sockets.set(2 * sockets.size + 1, { remote, got: 0 }); // the server's ids: 1, 3, 5, ...
  };
  for (let i = 0; i < 5; i++) open();
  const sentBy = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    if (r() < 0.01) open();
    const id = Math.floor(r() * (2 * sockets.size + 6)); // the server's channels and the client's (even ids), known or not
    const good = sentBy.get(id) ?? 0;
    const offset = r() < 0.8 ? good : Math.floor(r() * 3 * CHANNEL_WINDOW);
    const data = new Uint8Array(Math.floor(r() * (r() < 0.05 ? 20_000 : 2000))).fill(i & 0xff);
    const opens = r() < 0.05 ? (r() < 0.5 ? 'svc' : 'x'.repeat(Math.floor(r() * 40))) : undefined;
    let bytes = encodeChannelEvent({
      id,
      offset,
      data,
      window: r() < 0.2 ? Math.floor(r() * 4 * CHANNEL_WINDOW) : undefined,
      close: r() < 0.01,
      open: opens,
    });
    if (r() < 0.3) bytes = mutate(r, bytes);
    const e = decodeChannelEvent(bytes);
    const s = sockets.get(id);
    const before = s ? s.remote.text().length : 0;
    assert.doesNotThrow(() => {
      if (e !== null) host.event(e);
    });
    if (s) {
      const grew = s.remote.text().length - before;
      if (grew > 0) {
        assert.ok(
          e !== null && e !== 'bad' && e.offset === before,
          `event ${i}: bytes reached the socket only at its own offset`,
        );
        assert.equal(grew, e.data.length);
        sentBy.set(id, before + grew);
      }
    }
    if (r() < 0.2) table = host.update(table, table);
    assert.ok(host.size <= 2 * MAX_CHANNELS);
    assert.ok(host.buffered <= 2 * MAX_CHANNELS * (CHANNEL_WINDOW + MAX_IN_FLIGHT));
  }
  assert.ok(host.resets > 0, 'hostile events reset channels');
});
