// The sender's early frame (TransportSender.requestEarlySend) and paceTime: a settled state goes out at once
// instead of after the collection delay and at the next frame interval, at most once per interval; without a request (or
// once it lapsed) pacing is mosh's. An early frame its source did not settle on after all is given back, once per
// interval (earlySendWasted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/manualclock';
import type { Instruction } from '../../src/transport/instruction';
import { SEND_MINDELAY_SERVER, TransportSender } from '../../src/transport/sender';
import { TextState } from '../support/textstate';

const INTERVAL = 100;

function sender() {
  const clock = new ManualClock(1_000_000);
  const sent: { at: number; diff: number }[] = [];
  const s = new TransportSender<TextState>(
    new TextState(),
    clock,
    { timeout: () => 1000, sendInterval: () => INTERVAL, hasRemoteAddr: () => true },
    (inst: Instruction) => sent.push({ at: clock.now(), diff: inst.diff.length }),
    SEND_MINDELAY_SERVER,
  );
  const run = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      s.tick();
      clock.advance(1);
    }
  };
  const data = () => sent.filter((x) => x.diff > 0);
  run(5); // the initial ack
  s.currentState.text = 'a';
  for (let i = 0; i < 200 && data().length === 0; i++) run(1); // up to just after the first frame
  return { clock, s, run, data };
}

test('a change right after a frame waits for the frame interval (no request)', () => {
  const { s, run, data } = sender();
  const first = data()[0].at;
  assert.equal(s.paceTime, first + INTERVAL);
  run(10);
  s.currentState.text = 'ab';
  run(150);
  assert.equal(data()[1].at, first + INTERVAL);
});

test('a requested early frame leaves at once, not at the interval', () => {
  const { clock, s, run, data } = sender();
  const first = data()[0].at;
  assert.ok(clock.now() - first < INTERVAL - 20, 'still within the interval after the first frame');
  const changed = clock.now();
  s.currentState.text = 'ab';
  s.requestEarlySend();
  run(150);
  assert.equal(data()[1].at, changed);
  assert.ok(data()[1].at < first + INTERVAL);
});

test('at most one early frame per interval: a second request within it waits for the pace', () => {
  const { clock, s, run, data } = sender();
  s.currentState.text = 'ab';
  s.requestEarlySend();
  run(20);
  const early = data()[1].at;
  s.currentState.text = 'abc';
  s.requestEarlySend();
  run(200);
  assert.equal(data()[2].at, early + INTERVAL, 'paced from the early frame');
  // A full interval after the early one, a request is honoured again.
  run(INTERVAL);
  const changed = clock.now();
  s.currentState.text = 'abcd';
  s.requestEarlySend();
  run(50);
  assert.equal(data()[3].at, changed);
});

test('a request lapses when there is nothing new, and once its state is sent', () => {
  const { clock, s, run, data } = sender();
  s.requestEarlySend(); // nothing new: lapses
  run(1);
  s.currentState.text = 'ab';
  run(150);
  const first = data()[0].at;
  assert.equal(data()[1].at, first + INTERVAL, 'the old request did not carry over');
  const changed = clock.now();
  s.currentState.text = 'abc';
  s.requestEarlySend();
  run(20);
  assert.equal(data()[2].at, changed);
  s.currentState.text = 'abcd'; // no new request
  run(200);
  assert.equal(data()[3].at, data()[2].at + INTERVAL);
});

test('a wasted early frame is given back once per interval: the next settle leaves at once, the one after is paced', () => {
  const { clock, s, run, data } = sender();
  s.currentState.text = 'ab';
  s.requestEarlySend();
  run(20);
  const early = data()[1].at;
  // The source went on after all (a flood that paused): the next settle has an early frame of its own.
  run(10);
  s.earlySendWasted();
  const changed = clock.now();
  s.currentState.text = 'abc';
  s.requestEarlySend();
  run(5);
  assert.equal(data()[2].at, changed);
  assert.ok(changed < early + INTERVAL);
  // Wasted again within the same interval: not given back twice; the frame after waits for the pace.
  s.earlySendWasted();
  s.currentState.text = 'abcd';
  s.requestEarlySend();
  run(200);
  assert.equal(data()[3].at, data()[2].at + INTERVAL);
});

test('giving back an early frame that was not sent changes nothing', () => {
  const { s, run, data } = sender();
  const first = data()[0].at;
  s.earlySendWasted();
  run(10);
  s.currentState.text = 'ab';
  run(150);
  assert.equal(data()[1].at, first + INTERVAL);
});
