// The channel part of the terminal state (src/statesync/channels.ts, channelwire.ts): diffs carry exactly the bytes
// the older state lacks and round-trip through the wire; apply refuses what does not fit (gaps, bytes beyond the
// credit or after an end, ids out of order, too many channels, shrinking credit) before anything changes; the inbox
// keeps overlapping deliveries once and in order, ignores channels that are over; the terminal state carries the
// channels beside the screen, and tells channel-only changes apart (background).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankSnapshot } from '../../src/emulator';
import {
  applyUpdates,
  CHANNEL_WINDOW,
  ChannelInbox,
  type ChannelMark,
  ChannelStateError,
  type ChannelTable,
  checkUpdates,
  diffTables,
  EMPTY_TABLE,
  MAX_CHANNELS,
  tablesEqual,
} from '../../src/statesync/channels';
import {
  decodeChannelEvent,
  encodeChannelEvent,
  MAX_EVENT_DATA,
  MAX_UPDATE_DATA,
  type ChannelUpdatesInfo,
} from '../../src/statesync/channelwire';
import { encodeClientHello } from '../../src/statesync/extensions';
import { decodeHostMessage, encodeHostMessage } from '../../src/statesync/hostmessage';
import { TerminalState } from '../../src/statesync/terminal';
import { UserStream } from '../../src/statesync/userstream';

/** A server-side byte store for diffTables: channel id -> its whole stream. */
function source(streams: Record<number, Buffer>) {
  return { bytes: (id: number, from: number, to: number) => new Uint8Array(streams[id].subarray(from, to)) };
}

function table(
  marks: [number, Partial<ChannelMark> & { sent: number }][],
  agentError: string | null = null,
): ChannelTable {
  return {
    marks: new Map(marks.map(([id, m]) => [id, { kind: 'agent', closed: false, window: CHANNEL_WINDOW, ...m }])),
    agentError,
  };
}

/** Without the keys whose value is undefined (absent and undefined mean the same here). */
const norm = (u: ChannelUpdatesInfo) => ({
  ...u,
  updates: u.updates.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))),
});

const roundTrip = (u: ChannelUpdatesInfo): ChannelUpdatesInfo => {
  const [h] = decodeHostMessage(encodeHostMessage([{ type: 'channels', ...u }]));
  assert.equal(h.type, 'channels');
  const { type: _t, ...rest } = h as { type: 'channels' } & ChannelUpdatesInfo;
  return rest;
};

test("a diff carries each channel's missing bytes, new channels with their kind, ends, credit and gone ones, and round-trips", () => {
  const streams = { 1: Buffer.from('hello world'), 2: Buffer.from('second'), 3: Buffer.from('new one') };
  const older = table([
    [1, { sent: 5 }],
    [2, { sent: 6 }],
  ]);
  const newer = table([
    [1, { sent: 11, window: CHANNEL_WINDOW + 100 }],
    [3, { sent: 7, closed: true }],
  ]);
  const u = diffTables(older, newer, source(streams))!;
  assert.deepEqual(norm(roundTrip(u)), norm(u));
  assert.deepEqual(
    u.updates.map((c) => [c.id, c.kind, c.offset, Buffer.from(c.data).toString(), c.closed, c.window, c.gone]),
    [
      [1, undefined, 5, ' world', false, CHANNEL_WINDOW + 100, false],
      [2, undefined, 0, '', false, undefined, true],
      [3, 'agent', 0, 'new one', true, CHANNEL_WINDOW, false],
    ],
  );
  const inbox = new ChannelInbox();
  inbox.put(1, 0, new Uint8Array(Buffer.from('hello')));
  inbox.put(2, 0, new Uint8Array(Buffer.from('second')));
  checkUpdates(older, u, inbox);
  const applied = applyUpdates(older, u, inbox);
  assert.ok(tablesEqual(applied, newer), 'apply(diff) gives the newer table');
  assert.equal(Buffer.from(inbox.take(1, 100)).toString(), 'hello world');
  assert.equal(Buffer.from(inbox.take(3, 100)).toString(), 'new one');
  assert.equal(diffTables(newer, newer, null), null, 'no diff between equal tables');
});

test('the agent error travels once, with the first diff that has it', () => {
  const u = diffTables(
    null,
    { marks: new Map(), agentError: 'the server could not create the agent socket in /tmp: EACCES' },
    null,
  )!;
  assert.deepEqual(roundTrip(u), {
    updates: [],
    agentError: 'the server could not create the agent socket in /tmp: EACCES',
  });
  const t = applyUpdates(null, u, null);
  assert.equal(t.agentError, 'the server could not create the agent socket in /tmp: EACCES');
  assert.equal(diffTables(t, t, null), null);
});

test('apply refuses what does not fit the state, before anything changes', () => {
  const base = table([[5, { sent: 10 }]]); // a channel the server opened (odd id)
  const inbox = new ChannelInbox();
  inbox.put(5, 0, new Uint8Array(10));
  const data = (n: number) => new Uint8Array(n);
  const cases: [string, ChannelUpdatesInfo][] = [
    [
      "a gap (bytes from past the state's count)",
      { updates: [{ id: 5, offset: 12, data: data(3), closed: false, gone: false }] },
    ],
    [
      "bytes from before the state's count",
      { updates: [{ id: 5, offset: 8, data: data(3), closed: false, gone: false }] },
    ],
    ['a new channel without a kind', { updates: [{ id: 7, offset: 0, data: data(1), closed: false, gone: false }] }],
    [
      'a new server channel below an open one',
      { updates: [{ id: 3, kind: 'agent', offset: 0, data: data(1), closed: false, gone: false }] },
    ],
    [
      'a new channel starting past 0',
      { updates: [{ id: 9, kind: 'agent', offset: 2, data: data(1), closed: false, gone: false }] },
    ],
    [
      'ids out of order',
      {
        updates: [
          { id: 9, kind: 'agent', offset: 0, data: data(0), closed: false, gone: false },
          { id: 5, offset: 10, data: data(1), closed: false, gone: false },
        ],
      },
    ],
    [
      'gone for a channel the state lacks',
      { updates: [{ id: 11, offset: 0, data: data(0), closed: false, gone: true }] },
    ],
    ['shrinking credit', { updates: [{ id: 5, offset: 10, data: data(0), closed: false, window: 5, gone: false }] }],
    [
      'bytes beyond the credit the client gave',
      { updates: [{ id: 5, offset: 10, data: data(CHANNEL_WINDOW), closed: false, gone: false }] },
    ],
    ['a changed kind', { updates: [{ id: 5, kind: 'x11', offset: 10, data: data(1), closed: false, gone: false }] }],
  ];
  for (const [what, u] of cases) {
    const before = inbox.held(5);
    assert.throws(() => checkUpdates(base, u, inbox), ChannelStateError, what);
    assert.equal(inbox.held(5), before, `${what}: the inbox is unchanged`);
  }
  assert.doesNotThrow(
    () =>
      checkUpdates(
        base,
        { updates: [{ id: 2, kind: 'svc', offset: 0, data: data(1), closed: false, gone: false }] },
        inbox,
      ),
    "a channel of the client's (even id) below a server one is fine: ids are per side",
  );
  const closed = table([[5, { sent: 10, closed: true }]]);
  assert.throws(
    () => checkUpdates(closed, { updates: [{ id: 5, offset: 10, data: data(1), closed: false, gone: false }] }, inbox),
    /after its end/,
  );
  const full = table(
    Array.from({ length: 2 * MAX_CHANNELS }, (_, i) => [i + 1, { sent: 0 }] as [number, { sent: number }]),
  );
  assert.throws(
    () =>
      checkUpdates(
        full,
        { updates: [{ id: 101, kind: 'agent', offset: 0, data: data(0), closed: false, gone: false }] },
        null,
      ),
    /more than 64 channels/,
  );
});

test('the wire refuses more than MAX_UPDATE_DATA bytes in one message, and channel events of more than MAX_EVENT_DATA', () => {
  const big = {
    updates: [
      { id: 1, kind: 'agent', offset: 0, data: new Uint8Array(MAX_UPDATE_DATA + 1), closed: false, gone: false },
    ],
  };
  assert.throws(
    () => decodeHostMessage(encodeHostMessage([{ type: 'channels', ...big }])),
    /more than 16384 bytes of channel data/,
  );
  assert.equal(
    decodeChannelEvent(
      encodeChannelEvent({ id: 1, offset: 0, data: new Uint8Array(MAX_EVENT_DATA + 1), close: false }),
    ),
    'bad',
  );
  const ev = { id: 3, offset: 77, data: new Uint8Array([1, 2, 3]), window: 4096, close: true };
  assert.deepEqual(decodeChannelEvent(encodeChannelEvent(ev)), ev);
  assert.equal(
    decodeChannelEvent(encodeClientHello({ version: 1, features: ['channels'], historyLines: 0 })),
    null,
    'a hello is not a channel event',
  );
});

test('the inbox keeps overlapping deliveries once and in order, and ignores channels that are over', () => {
  const inbox = new ChannelInbox();
  const b = (s: string) => new Uint8Array(Buffer.from(s));
  inbox.put(1, 0, b('abc'));
  inbox.put(1, 0, b('abcdef')); // a diff from an older state: overlaps
  inbox.put(1, 3, b('def'));
  inbox.put(1, 4, b('efgh'));
  assert.equal(inbox.held(1), 8);
  assert.equal(Buffer.from(inbox.take(1, 5)).toString(), 'abcde');
  assert.equal(Buffer.from(inbox.take(1, 100)).toString(), 'fgh');
  assert.equal(inbox.delivered(1), 8);
  inbox.finish(1);
  inbox.put(1, 8, b('late'));
  assert.equal(inbox.held(1), 0, 'over: ignored');
  inbox.put(3, 0, b('x')); // the server's next channel
  assert.equal(inbox.held(3), 1);
  inbox.put(2, 0, b('y')); // a channel of the client's: ids are per side
  assert.equal(inbox.held(2), 1);
  inbox.finish(3);
  inbox.put(1, 0, b('z')); // below the newest of the server's side, not live: over
  assert.equal(inbox.held(1), 0);
  inbox.retire(5);
  inbox.put(5, 0, b('from a saved state'));
  assert.equal(inbox.held(5), 0, 'a restored client ignores the channels of the states it was given');
  assert.doesNotThrow(() => inbox.check(4, 20, 5, false, 0), 'over channels are not checked');
});

test('the terminal state carries channels beside the screen; a channel-only change is background, a screen change is not', () => {
  const streams = { 1: Buffer.from('0123456789') };
  const src = source(streams);
  const s0 = new TerminalState(blankSnapshot(80, 24), 0n, { channelSource: src });
  const s1 = s0.withChannels(table([[1, { sent: 4 }]]));
  const s2 = s1.withChannels(table([[1, { sent: 10 }]]));
  assert.ok(s1.backgroundChangeFrom(s0) && s2.backgroundChangeFrom(s1));
  assert.ok(!s2.equals(s1));
  const s3 = s2.withScreen(blankSnapshot(80, 25), 0n);
  assert.ok(!s3.backgroundChangeFrom(s2), 'a screen change is foreground');
  assert.ok(tablesEqual(s3.channels, s2.channels), 'withScreen keeps the channels');
  const inbox = new ChannelInbox();
  const c = TerminalState.initial(80, 24, { inbox });
  c.apply(s2.diffFrom(s0));
  assert.ok(tablesEqual(c.channels, s2.channels));
  assert.equal(Buffer.from(inbox.take(1, 100)).toString(), '0123456789');
  // A second copy of the client's state 0, applying a diff to the same bytes (out of order): nothing twice.
  const c2 = TerminalState.initial(80, 24, { inbox });
  c2.apply(s1.diffFrom(s0));
  assert.equal(inbox.held(1), 0);
});

test('a user stream change made only of extension events is background; keys or a resize make it foreground', () => {
  const a = new UserStream();
  a.pushResize(80, 24);
  const b = a.clone();
  b.pushExt(encodeChannelEvent({ id: 1, offset: 0, data: new Uint8Array([1]), close: false }));
  assert.ok(b.backgroundChangeFrom(a));
  const c = b.clone();
  c.pushBytes(new Uint8Array([0x61]));
  assert.ok(!c.backgroundChangeFrom(a) && !c.backgroundChangeFrom(b));
  assert.ok(!a.backgroundChangeFrom(a), 'no change is not a background change');
});

test('EMPTY_TABLE is equal to any empty table', () => {
  assert.ok(tablesEqual(EMPTY_TABLE, { marks: new Map(), agentError: null }));
});
