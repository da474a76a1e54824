// Client-side pacing: with paceFromDataOnly, new data waits a frame interval after the last data sent, not after
// an empty ack (stock mosh counts acks too, so a keystroke right after a delayed ack waits a whole interval).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/manualclock';
import type { Instruction } from '../../src/transport/instruction';
import { ACK_DELAY, SEND_MINDELAY_CLIENT, TransportSender } from '../../src/transport/sender';
import { TextState } from '../support/textstate';

function sender(paceFromDataOnly: boolean) {
  const clock = new ManualClock(1_000_000);
  const sent: { at: number; diff: number }[] = [];
  const s = new TransportSender<TextState>(
    new TextState(),
    clock,
    { timeout: () => 1000, sendInterval: () => 100, hasRemoteAddr: () => true },
    (inst: Instruction) => sent.push({ at: clock.now(), diff: inst.diff.length }),
    SEND_MINDELAY_CLIENT,
  );
  s.paceFromDataOnly = paceFromDataOnly;
  /** Runs the sender's timer for `ms` milliseconds, 1 ms at a time. */
  const run = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      s.tick();
      clock.advance(1);
    }
  };
  return { clock, s, sent, run };
}

for (const pace of [false, true]) {
  test(`a keystroke right after a delayed ack ${pace ? 'goes out at once (paced from data only)' : 'waits a frame interval (as stock mosh)'}`, () => {
    const { clock, s, sent, run } = sender(pace);
    run(5); // the first tick sends the initial ack
    s.currentState.text = 'a';
    run(200); // sent, acked by the peer
    s.processAcknowledgmentThrough(s.sentStateLast);
    run(1000);
    s.setDataAck(); // the peer's frame arrived: ack it within ACK_DELAY
    const before = sent.length;
    run(ACK_DELAY + 5);
    assert.equal(sent.length, before + 1, 'the delayed ack');
    assert.equal(sent[sent.length - 1].diff, 0);
    const ackAt = sent[sent.length - 1].at;
    s.currentState.text = 'ab'; // a keystroke 5 ms after the ack
    run(150);
    const key = sent.find((x) => x.at > ackAt && x.diff > 0)!;
    assert.ok(key, 'the keystroke was sent');
    const delay = key.at - (ackAt + 5);
    if (pace) assert.ok(delay <= SEND_MINDELAY_CLIENT + 1, `sent ${delay} ms after the keystroke`);
    else assert.ok(delay >= 90, `held back ${delay} ms`);
    void clock;
  });
}

test('paced from data only, data still goes out at most once per frame interval', () => {
  const { s, sent, run } = sender(true);
  run(5);
  for (let i = 0; i < 40; i++) {
    s.currentState.text += 'x';
    run(10);
  }
  const data = sent.filter((x) => x.diff > 0);
  for (let i = 1; i < data.length; i++)
    assert.ok(data[i].at - data[i - 1].at >= 100, 'one data instruction per interval');
  assert.ok(data.length >= 3 && data.length <= 5, `${data.length} data instructions in 400 ms`);
});
