// The session's side of our extensions: a hello starts the history; new lines go out with the next state as they
// come, but in a flood the mark moves at most every HISTORY_FLOOD_INTERVAL_MS and once the output stops adding
// lines, and a clear goes out at once; a stock client (no hello) gets nothing new.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emulator } from '../../src/emulator';
import { encodeClientHello, FEATURE_HISTORY } from '../../src/statesync/extensions';
import { HISTORY_FLOOD_INTERVAL_MS, HISTORY_FLOOD_LINES, HISTORY_QUIET_MS, SessionExtensions } from '../../server/extensions';

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

test('in a flood the history mark moves every HISTORY_FLOOD_INTERVAL_MS and when the output stops adding lines', () => {
  const { emu, ext } = session();
  ext.extras(0);
  let t = 0;
  let n = 0;
  const marks: number[] = [];
  // 5 s of output at 5000 lines per 20 ms tick.
  for (; t < 5000; t += 20) {
    emu.write(lines(n + 1, n + 5000));
    n += 5000;
    const mark = ext.extras(t).history!.count;
    marks.push(mark);
    if (mark < n - 23) assert.ok(ext.waitTime(t) <= HISTORY_QUIET_MS, 'a wake-up is asked for while lines are held back');
  }
  const moves = marks.filter((m, i) => i === 0 || m !== marks[i - 1]).length;
  assert.ok(moves >= 5000 / HISTORY_FLOOD_INTERVAL_MS && moves <= 5000 / HISTORY_FLOOD_INTERVAL_MS + 2, `the mark moved ${moves} times in 5 s of flood`);
  assert.ok(marks[marks.length - 1] < n - 23, 'lines are held back at the end of the flood');
  // The output stops: after HISTORY_QUIET_MS the mark catches up with every line.
  assert.ok(ext.extras(t).history!.count < n - 23);
  assert.equal(ext.waitTime(t), HISTORY_QUIET_MS - 20);
  assert.equal(ext.extras(t - 20 + HISTORY_QUIET_MS).history!.count, n - 23);
  assert.equal(ext.waitTime(t + HISTORY_QUIET_MS), Infinity);
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
