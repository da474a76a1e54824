// The server's output-to-frame path (server/screenfeed.ts with the SSP sender) on the fake network with a manual
// clock: a steady flood gets at most one frame per frame interval and one snapshot per frame; output that goes
// quiet (a prompt after Ctrl-C into a flood) is sent once it has been quiet for OUTPUT_QUIET_MS instead of at the
// next interval, also when the flood paused before (that early frame is given back); on a fast link a flood's
// frames are paced at FLOOD_FRAME_MS, while its start, its end, typing and what follows input are not; bursts that
// keep settling get at most one extra frame per interval; a flood is emulated in whole batches, a small rest
// waiting for the next one until the output settles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, rowText, type Snapshot } from '../../src/emulator';
import { TerminalState } from '../../src/statesync/terminal';
import { UserStream } from '../../src/statesync/userstream';
import { Connection } from '../../src/transport/connection';
import { TO_CLIENT } from '../../src/transport/datagram';
import { generateKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { SEND_MINDELAY_CLIENT, SEND_MINDELAY_SERVER } from '../../src/transport/sender';
import { Transport } from '../../src/transport/transport';
import {
  FLOOD_AFTER_MS,
  FLOOD_FRAME_MS,
  OUTPUT_BATCH_BYTES,
  OUTPUT_QUIET_MS,
  ScreenFeed,
} from '../../server/screenfeed';
import { FakeNet, run } from '../support/fakenet';
import { WireDecoder } from '../support/wire';

const SERVER = { address: '127.0.0.1', port: 60001 };
const COLS = 80;
const ROWS = 24;

function setup(oneWayMs: number) {
  const net = new FakeNet(7);
  net.defaultRule = { delayMs: oneWayMs, loss: 0 };
  const key = generateKey();
  const emulator = new Emulator(COLS, ROWS);
  let snapshots = 0;
  const take = emulator.snapshot.bind(emulator);
  let lastSnap: Snapshot | null = null;
  emulator.snapshot = () => {
    const s = take();
    if (s !== lastSnap) snapshots++;
    lastSnap = s;
    return s;
  };
  // eslint-disable-next-line prefer-const
  let server: Transport<TerminalState, UserStream>;
  const ssock = net.bind(SERVER.address, SERVER.port, (msg, from) => server.receive(msg, from));
  const sconn = Connection.server({ aead: new OcbAes128(key), clock: net.clock, socket: ssock, family: 'udp4' });
  server = new Transport({
    connection: sconn,
    clock: net.clock,
    initialLocal: new TerminalState(emulator.snapshot()),
    initialRemote: new UserStream(),
    sendMinDelay: SEND_MINDELAY_SERVER,
  });
  const feed = new ScreenFeed(emulator, server.sender, net.clock);
  const cconn = Connection.client({
    aead: new OcbAes128(key),
    clock: net.clock,
    server: SERVER,
    socketFactory: net.clientFactory('127.0.0.2'),
  });
  const client = new Transport<UserStream, TerminalState>({
    connection: cconn,
    clock: net.clock,
    initialLocal: new UserStream(),
    initialRemote: TerminalState.initial(COLS, ROWS),
    sendMinDelay: SEND_MINDELAY_CLIENT,
    paceFromDataOnly: true,
  });
  cconn.onSocketMessage = (msg, from) => client.receive(msg, from);
  client.currentState.pushResize(COLS, ROWS);
  const serverPeer = {
    tick: () => {
      feed.publish(0n);
      server.tick();
    },
    waitTime: () => Math.min(server.waitTime(), feed.waitTime()),
  };
  const peers = [serverPeer, client];
  /** Advances the clock to `t` (absolute), running both peers. */
  const until = (t: number) => run(net, peers, t);
  /** Data frames the server sent (non-empty diffs), with their send times. */
  const frames = () => {
    const dec = new WireDecoder(new OcbAes128(key));
    const out: number[] = [];
    for (const e of net.log) {
      const inst = dec.decode(e.msg);
      if (inst && inst.direction === TO_CLIENT && inst.diff.length > 0) out.push(e.at);
    }
    return out;
  };
  const clientRows = () => {
    const s = client.latestRemote().state.snapshot;
    return Array.from({ length: s.rows }, (_, y) => rowText(s, y).trimEnd());
  };
  return { net, server, client, feed, until, frames, clientRows, snapshotCount: () => snapshots };
}

/** A 4 KiB chunk of numbered lines, like one pty read of `seq`. */
function floodChunk(n: number): Buffer {
  let s = '';
  while (s.length < 4000) s += `${n++}\r\n`;
  return Buffer.from(s);
}

/** Feeds a flood: one chunk every `everyMs` from the current time for `ms`; returns the time it stopped. */
function flood(rig: ReturnType<typeof setup>, ms: number, everyMs = 1): number {
  const t0 = rig.net.clock.now();
  let n = 0;
  for (let t = t0; t < t0 + ms; t += everyMs) {
    rig.until(t);
    if (rig.feed.output(floodChunk(n))) rig.until(rig.net.clock.now());
    n += 1000;
  }
  return t0 + ms;
}

/**
 * A prompt after the flood (Ctrl-C): it must leave once the output has been quiet for OUTPUT_QUIET_MS, whatever the
 * frame timing (looked for within `lookMs`), and the client must show it (`settleMs` later).
 */
function promptGoesOutAtOnce(rig: ReturnType<typeof setup>, what: string, lookMs: number, settleMs: number): void {
  const before = rig.frames().length;
  rig.feed.output(Buffer.from(`^C\r\n$ `));
  const promptAt = rig.net.clock.now();
  rig.until(promptAt);
  rig.until(promptAt + lookMs);
  const sent = rig.frames().slice(before);
  assert.ok(sent.length >= 1, 'the prompt was sent');
  const delay = sent[sent.length - 1] - promptAt;
  assert.ok(delay <= OUTPUT_QUIET_MS + 1, `${what}: the prompt left ${delay} ms after it was output`);
  rig.until(promptAt + settleMs);
  assert.equal(
    rig
      .clientRows()
      .filter((l) => l !== '')
      .pop(),
    '$',
    'the client shows the prompt',
  );
}

/** Connects, and floods for a while so that the server has RTT samples (SRTT near 200 ms, interval near 100 ms). */
function warmUp(rig: ReturnType<typeof setup>): void {
  rig.until(rig.net.clock.now() + 500);
  const stop = flood(rig, 3000, 2);
  rig.until(stop + 500);
}

test('a steady flood gets one frame per frame interval, and one snapshot per frame', () => {
  const rig = setup(100);
  warmUp(rig);
  const interval = rig.server.connection.rtt.sendInterval();
  assert.ok(interval >= 90 && interval <= 130, `frame interval ${interval}`);
  const before = rig.frames().length;
  const snapsBefore = rig.snapshotCount();
  const settlesBefore = rig.feed.settledCount;
  const start = rig.net.clock.now();
  flood(rig, 2000);
  const during = rig
    .frames()
    .slice(before)
    .filter((t) => t >= start);
  assert.ok(during.length >= 15 && during.length <= 2000 / interval + 1, `${during.length} frames in 2 s`);
  for (let i = 1; i < during.length; i++)
    assert.ok(during[i] - during[i - 1] >= interval - 1, `frames ${during[i] - during[i - 1]} ms apart`);
  assert.equal(rig.feed.settledCount, settlesBefore, 'a steady flood never settles');
  const snaps = rig.snapshotCount() - snapsBefore;
  assert.ok(snaps <= during.length + 2, `${snaps} snapshots for ${during.length} frames`);
});

test('on a fast link a flood gets one frame per FLOOD_FRAME_MS once it has gone on, and its end goes out at once', () => {
  const rig = setup(2);
  warmUp(rig);
  const interval = rig.server.connection.rtt.sendInterval();
  assert.equal(interval, 20, 'a LAN frame interval');
  for (let round = 0; round < 3; round++) {
    const before = rig.frames().length;
    const start = rig.net.clock.now();
    const stop = flood(rig, 1000 + round * 13);
    const during = rig.frames().slice(before);
    // Its start is not held back: the frame interval, until the burst counts as a flood.
    const early = during.filter((t) => t < start + FLOOD_AFTER_MS);
    assert.ok(
      early.length >= FLOOD_AFTER_MS / interval - 1,
      `${early.length} frames in the first ${FLOOD_AFTER_MS} ms`,
    );
    const paced = during.filter((t) => t >= start + FLOOD_AFTER_MS + FLOOD_FRAME_MS);
    for (let i = 1; i < paced.length; i++)
      assert.ok(paced[i] - paced[i - 1] >= FLOOD_FRAME_MS - 1, `flood frames ${paced[i] - paced[i - 1]} ms apart`);
    // ... and never starved: a frame every FLOOD_FRAME_MS, give or take the collection delay.
    const span = stop - (start + FLOOD_AFTER_MS + FLOOD_FRAME_MS);
    assert.ok(paced.length >= span / (FLOOD_FRAME_MS + SEND_MINDELAY_SERVER), `${paced.length} frames in ${span} ms`);
    for (let i = 1; i < paced.length; i++)
      assert.ok(paced[i] - paced[i - 1] <= FLOOD_FRAME_MS + interval, `a gap of ${paced[i] - paced[i - 1]} ms`);
    // The flood stops on a prompt: it leaves once the output is quiet, not at the flood's pace.
    rig.until(stop + 1);
    promptGoesOutAtOnce(rig, `round ${round}`, FLOOD_FRAME_MS + 50, 500);
    // Typing after it is not a flood: its echo goes out within the collection delay.
    const beforeEcho = rig.frames().length;
    const echoAt = rig.net.clock.now();
    if (rig.feed.output(Buffer.from('l'))) rig.until(echoAt);
    rig.until(echoAt + 100);
    const echo = rig.frames().slice(beforeEcho);
    assert.ok(
      echo.length >= 1 && echo[0] - echoAt <= SEND_MINDELAY_SERVER + 1,
      `echo at ${echo.map((t) => t - echoAt)}`,
    );
    rig.until(echoAt + 500);
  }
});

test('input in a flood lifts its pacing for FLOOD_AFTER_MS: frames at the frame interval, then paced again', () => {
  const rig = setup(2);
  warmUp(rig);
  const interval = rig.server.connection.rtt.sendInterval();
  flood(rig, 500);
  const before = rig.frames().length;
  const typedAt = rig.net.clock.now();
  rig.feed.userInput();
  flood(rig, 500);
  const sent = rig.frames().slice(before);
  const lifted = sent.filter((t) => t >= typedAt && t < typedAt + FLOOD_AFTER_MS);
  assert.ok(lifted.length >= FLOOD_AFTER_MS / interval - 1, `${lifted.length} frames while lifted`);
  for (let i = 1; i < lifted.length; i++)
    assert.ok(lifted[i] - lifted[i - 1] <= interval + 1, `lifted: frames ${lifted[i] - lifted[i - 1]} ms apart`);
  const paced = sent.filter((t) => t >= typedAt + FLOOD_AFTER_MS + FLOOD_FRAME_MS);
  assert.ok(paced.length >= 5, `${paced.length} frames after`);
  for (let i = 1; i < paced.length; i++)
    assert.ok(paced[i] - paced[i - 1] >= FLOOD_FRAME_MS - 1, `paced again: frames ${paced[i] - paced[i - 1]} ms apart`);
});

test('output that goes quiet after a flood is sent at once, not at the next frame interval', () => {
  const rig = setup(100);
  warmUp(rig);
  const interval = rig.server.connection.rtt.sendInterval();
  // Stop at several phases of the frame interval: the prompt goes out after the quiet time every time, however
  // long ago the last frame left.
  for (let phase = 0; phase < 5; phase++) {
    const stop = flood(rig, 1000 + (phase * interval) / 5);
    rig.until(stop + 2);
    promptGoesOutAtOnce(rig, `phase ${phase}`, interval + 50, 1000);
  }
});

test('a flood that pauses and goes on does not spend the early frame of the settle that ends it', () => {
  const rig = setup(100);
  warmUp(rig);
  const interval = rig.server.connection.rtt.sendInterval();
  // Phases: the pause early in the interval and late, the end a few ms to most of an interval after it.
  for (const [i, goOnMs] of [10, 25, 50].entries()) {
    const stop = flood(rig, 700 + i * 37);
    // The producer pauses (descheduled) long enough to count as settled: that early frame leaves.
    rig.until(stop + OUTPUT_QUIET_MS + 2);
    const pauseFrames = rig.frames().length;
    // ... and goes on, then Ctrl-C: the prompt must not wait for the interval the pause's early frame began.
    const stop2 = flood(rig, goOnMs);
    rig.until(stop2 + 1);
    const before = rig.frames().length;
    assert.ok(before >= pauseFrames, 'frames so far');
    rig.feed.output(Buffer.from(`^C\r\n$ `));
    const promptAt = rig.net.clock.now();
    rig.until(promptAt + interval + 50);
    const sent = rig.frames().slice(before);
    assert.ok(sent.length >= 1, 'the prompt was sent');
    const delay = sent[sent.length - 1] - promptAt;
    assert.ok(delay <= OUTPUT_QUIET_MS + 1, `went on ${goOnMs} ms: the prompt left ${delay} ms after it was output`);
    rig.until(promptAt + 1000);
  }
});

test('output that keeps settling gets at most one extra frame per interval', () => {
  const rig = setup(100);
  warmUp(rig);
  const interval = rig.server.connection.rtt.sendInterval();
  const before = rig.frames().length;
  const start = rig.net.clock.now();
  // A short burst every 10 ms (each settles after OUTPUT_QUIET_MS): would be a frame every 10 ms if every
  // settle sent at once.
  for (let i = 0; i < 200; i++) {
    rig.until(start + i * 10);
    if (rig.feed.output(Buffer.from(`line ${i}\r\n`))) rig.until(rig.net.clock.now());
  }
  rig.until(start + 2000);
  const sent = rig.frames().slice(before);
  assert.ok(rig.feed.settledCount >= 150, `${rig.feed.settledCount} settles`);
  for (let i = 2; i < sent.length; i++) {
    assert.ok(
      sent[i] - sent[i - 2] >= interval - 1,
      `three frames within ${sent[i] - sent[i - 2]} ms (interval ${interval})`,
    );
  }
  assert.ok(sent.length <= (2 * 2000) / interval + 2, `${sent.length} frames in 2 s`);
});

test('the first frame of a burst carries what came during the collection delay (one frame for echo and output)', () => {
  const rig = setup(100);
  warmUp(rig);
  rig.until(rig.net.clock.now() + 1000);
  const before = rig.frames().length;
  const e = rig.net.clock.now();
  if (rig.feed.output(Buffer.from('ls\r\n'))) rig.until(e);
  rig.until(e + 3);
  if (rig.feed.output(Buffer.from('file1 file2\r\n$ '))) rig.until(e + 3);
  rig.until(e + 60);
  const sent = rig.frames().slice(before);
  assert.equal(sent.length, 1, `frames at ${sent.map((t) => t - e).join(', ')} ms`);
  assert.ok(sent[0] - e <= SEND_MINDELAY_SERVER + 1, `sent ${sent[0] - e} ms after the echo`);
  rig.until(e + 500);
  assert.deepEqual(
    rig
      .clientRows()
      .filter((l) => l !== '')
      .slice(-2),
    ['file1 file2', '$'],
  );
});

test('in a flood the emulator gets whole batches until the output settles, then the rest, and the screen ends exact', () => {
  const rig = setup(100);
  warmUp(rig);
  const sizes: number[] = [];
  const emulator = (rig.feed as unknown as { emulator: Emulator }).emulator;
  const bulk = emulator.writeBulk.bind(emulator);
  emulator.writeBulk = (data: Uint8Array) => {
    sizes.push(data.length);
    bulk(data);
  };
  const stop = flood(rig, 2000);
  const during = sizes.length;
  assert.ok(during >= 20, `${during} bulk writes`);
  // After the burst's first frame, a small rest is never emulated alone at a frame while the flood goes on (it
  // would be too short for writeBulk to skip).
  assert.deepEqual(
    sizes.slice(1).filter((n) => n < OUTPUT_BATCH_BYTES / 4),
    [],
    'no write under a quarter batch during the flood',
  );
  rig.until(stop + OUTPUT_QUIET_MS + 1000);
  // The last chunk fed: its last line is on the client's screen.
  const last = floodChunk((2000 - 1) * 1000)
    .toString()
    .trim()
    .split('\r\n')
    .pop();
  assert.equal(rig.clientRows()[ROWS - 2], last, 'the flood ends on its last line');
});
