// The session's side of our extensions: a hello starts the history; new lines go out with the next state as they
// come, but in a flood a shipment begins at most every HISTORY_FLOOD_INTERVAL_MS and once the output stops, in
// steps the sender has sent one by one; a clear goes out at once; a stock client (no hello) gets nothing new.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emulator } from '../../src/emulator';
import { encodeClientHello, FEATURE_HISTORY } from '../../src/statesync/extensions';
import {
  HISTORY_FLOOD_INTERVAL_MS,
  HISTORY_FLOOD_LINES,
  HISTORY_QUIET_MS,
  HISTORY_STEP_LINES,
  SessionExtensions,
} from '../../server/extensions';
import type { HistoryMark } from '../../src/statesync/history';

function session(historyLines = 10_000): { emu: Emulator; ext: SessionExtensions } {
  const emu = new Emulator(80, 24);
  const ext = new SessionExtensions(emu, () => undefined);
  ext.event(encodeClientHello({ version: 1, features: [FEATURE_HISTORY], historyLines }));
  return { emu, ext };
}

const lines = (from: number, to: number) => {
  let s = '';
  for (let i = from; i <= to; i++) s += `${i}\r\n`;
  return s;
};

test('a stock client that never says hello gets no history in its states', () => {
  const emu = new Emulator(80, 24);
  const ext = new SessionExtensions(emu, () => undefined);
  emu.write(lines(1, 100));
  assert.deepEqual(ext.extras(0), { hello: null });
  assert.equal(ext.waitTime(0), Infinity);
});

test('a few new lines go out with the next state at once', () => {
  const { emu, ext } = session();
  ext.extras(0);
  emu.write(lines(1, 100));
  assert.equal(ext.extras(10).history?.count, 100 - 23);
  assert.equal(ext.waitTime(10), Infinity, 'nothing held back');
});

test('in a flood, shipments begin every HISTORY_FLOOD_INTERVAL_MS and when the output stops, each the newest lines in steps', () => {
  const { emu, ext } = session(10_000);
  ext.extras(0);
  let t = 0;
  let n = 0;
  const marks: HistoryMark[] = [];
  // 5 s of output at 5000 lines per 20 ms tick; the sender sends every state (sent: null).
  for (; t < 5000; t += 20) {
    emu.write(lines(n + 1, n + 5000));
    n += 5000;
    marks.push(ext.extras(t).history!);
  }
  for (let i = 1; i < marks.length; i++) {
    assert.ok(
      marks[i].count - Math.max(marks[i - 1].count, marks[i].sendFrom!) <= HISTORY_STEP_LINES,
      'one state adds at most a step of lines to send',
    );
  }
  const skips = new Set(marks.map((m) => m.sendFrom)).size - 1;
  assert.ok(
    skips >= Math.floor(5000 / HISTORY_FLOOD_INTERVAL_MS) && skips <= Math.floor(5000 / HISTORY_FLOOD_INTERVAL_MS) + 1,
    `${skips} shipments skipped older lines in 5 s of flood`,
  );
  assert.ok(marks[marks.length - 1].count < n - 23, 'lines are held back at the end of the flood');
  // The output stops: after HISTORY_QUIET_MS a last shipment goes out, in steps, up to the last line.
  assert.equal(ext.waitTime(t), HISTORY_QUIET_MS - 20);
  let last = marks[marks.length - 1];
  for (let i = 0; i < 20 && last.count < n - 23; i++) last = ext.extras((t += HISTORY_QUIET_MS)).history!;
  assert.equal(last.count, n - 23);
  assert.equal(last.count - last.sendFrom!, 10_000, "the last shipment is the client's wish of newest lines");
  assert.equal(ext.waitTime(t), Infinity);
});

test('the next step of a shipment waits until the sender has sent the one before', () => {
  const { emu, ext } = session(10_000);
  const first = ext.extras(0).history!;
  emu.write(lines(1, 5023));
  const step1 = ext.extras(10, 10, first).history!;
  assert.equal(step1.count, HISTORY_STEP_LINES);
  assert.equal(ext.waitTime(10, first), Infinity, 'the sender has not sent step 1: nothing to do');
  assert.equal(ext.extras(11, 10, first).history, step1, 'no second step before the first is sent');
  assert.equal(ext.waitTime(11, step1), 0, 'sent: the next step is due');
  assert.equal(ext.extras(12, 10, step1).history!.count, 2 * HISTORY_STEP_LINES);
});

test('up to HISTORY_FLOOD_LINES lines per state go out as they come; a clear goes out at once', () => {
  const { emu, ext } = session();
  ext.extras(0);
  emu.write(lines(1, HISTORY_FLOOD_LINES + 23));
  assert.equal(ext.extras(1).history!.count, HISTORY_FLOOD_LINES, 'exactly the limit is not a flood');
  emu.write(lines(1, 3000));
  const held = ext.extras(2).history!;
  assert.equal(held.count, HISTORY_FLOOD_LINES, 'more is held back');
  emu.write('\x1b[3J');
  const cleared = ext.extras(3).history!;
  assert.ok(cleared.clearedBefore > held.clearedBefore, 'the clear is in the next state');
  assert.equal(cleared.count, cleared.clearedBefore);
});
