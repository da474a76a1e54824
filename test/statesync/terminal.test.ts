// The complete terminal state: diff on the server side, apply on the client side, echo-ack timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, rowText, snapshotsEqual } from '../../src/emulator';
import { decodeHostMessage } from '../../src/statesync/hostmessage';
import { EchoAckTracker, TerminalState } from '../../src/statesync/terminal';

test("a client applying the server's diffs ends with the server's framebuffer, cell for cell", () => {
  const server = new Emulator(80, 24);
  let client = TerminalState.initial(80, 24);
  const first = client.snapshot;
  let last = new TerminalState(server.snapshot());
  const steps = [
    '$ ls --color\r\n',
    '\x1b[1;34mdir\x1b[0m  file\r\n$ ',
    '\x1b[2J\x1b[H\x1b[7mtop\x1b[m 中文 e\u0301',
    '\x1b]0;title\x07\x07',
  ];
  for (const s of steps) {
    server.write(s);
    const now = new TerminalState(server.snapshot(), last.echoAck + 1n);
    const next = client.clone();
    next.apply(now.diffFrom(client.snapshot === last.snapshot ? last : client));
    client = next;
    last = now;
    assert.ok(snapshotsEqual(client.snapshot, server.snapshot()), `after ${JSON.stringify(s)}`);
  }
  assert.equal(client.echoAck, 4n);
  assert.equal(client.snapshot.title, 'title');
  assert.equal(client.snapshot.bellCount, 1);
  assert.equal(rowText(client.snapshot, 0), 'top 中文 e\u0301');
  assert.equal(
    client.snapshot.lines[23],
    first.lines[23],
    'rows no diff touched are shared with the state they came from',
  );
});

test('a resize travels as a resize instruction followed by a full repaint', () => {
  const server = new Emulator(80, 24);
  server.write('hello');
  const a = new TerminalState(server.snapshot());
  server.resize(100, 30);
  const b = new TerminalState(server.snapshot());
  const list = decodeHostMessage(b.diffFrom(a));
  assert.deepEqual(list[0], { type: 'resize', width: 100, height: 30 });
  assert.equal(list[1].type, 'hostbytes');
  const client = new TerminalState(a.snapshot, 0n);
  client.apply(b.diffFrom(a));
  assert.ok(snapshotsEqual(client.snapshot, b.snapshot));
});

test('an unchanged state has an empty diff; a malformed diff throws and changes nothing', () => {
  const e = new Emulator(10, 3);
  const s = new TerminalState(e.snapshot(), 0n);
  assert.equal(s.diffFrom(s.clone()).length, 0);
  const before = s.snapshot;
  assert.throws(() => s.apply(Buffer.from([0x0a, 0xff, 0xff])));
  assert.equal(s.snapshot, before);
});

test('echo-ack reports the newest input applied at least 50 ms ago, never decreasing', () => {
  const t = new EchoAckTracker();
  t.registerInput(3n, 1000);
  t.registerInput(5n, 1030);
  assert.equal(t.update(1040), 0n);
  assert.equal(t.waitTime(1040), 10);
  assert.equal(t.update(1050), 3n);
  assert.equal(t.waitTime(1050), 30);
  assert.equal(t.update(1080), 5n);
  assert.equal(t.waitTime(1080), Infinity);
  assert.equal(t.update(5000), 5n);
});
