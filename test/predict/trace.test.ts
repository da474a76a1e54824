// Deterministic replay of a typing session through the prediction engine: a fake "server" (an Emulator running a
// tiny line-editing shell that echoes after a simulated one-way delay and echo-acks 50 ms after applying input)
// and the client-side engine, on a manual clock. It measures how many keystrokes showed at once and how many
// wrong predictions became visible, and asserts only that, once everything is echoed, the displayed screen is
// exactly the server's. Not a network or transport test: delivery is in order and lossless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, rowText, screensEqual, type Snapshot } from '../../src/emulator';
import { PredictionEngine, type DisplayPreference } from '../../src/predict';
import { cellAt } from '../../src/predict/overlay';

const ECHO_TIMEOUT = 50;

type Event =
  | { at: number; seq: number; kind: 'key'; byte: number }
  | { at: number; seq: number; kind: 'input'; num: bigint; byte: number }
  | { at: number; seq: number; kind: 'echoack'; num: bigint }
  | { at: number; seq: number; kind: 'frame'; fb: Snapshot; echoAck: bigint }
  | { at: number; seq: number; kind: 'wake' };

type NewEvent = Event extends infer E ? (E extends Event ? Omit<E, 'seq'> : never) : never;

/** A line-editing shell in an emulator: echo (unless reading a password), backspace, enter. */
class FakeShell {
  readonly em = new Emulator(40, 8);
  private line = '';
  private echo = true;

  constructor() {
    this.em.write('$ ');
  }

  input(b: number): void {
    if (b === 0x0d) {
      this.em.write('\r\n');
      if (!this.echo) {
        this.echo = true;
        this.em.write('ok\r\n$ ');
      } else if (this.line === 'pw') {
        this.echo = false;
        this.em.write('Password: ');
      } else {
        if (this.line !== '') this.em.write(`out: ${this.line}\r\n`);
        this.em.write('$ ');
      }
      this.line = '';
    } else if (b === 0x7f) {
      if (this.line.length > 0) {
        this.line = this.line.slice(0, -1);
        if (this.echo) this.em.write('\b \b');
      }
    } else if (b >= 0x20 && b < 0x7f) {
      this.line += String.fromCharCode(b);
      if (this.echo) this.em.write(String.fromCharCode(b));
    }
  }
}

interface TraceResult {
  printable: number;
  shownInstantly: number;
  glitches: number;
  final: Snapshot;
  display: Snapshot;
  active: boolean;
}

function replay(display: DisplayPreference, rttMs: number, keys: string, keyGapMs: number): TraceResult {
  const oneWay = rttMs / 2;
  const engine = new PredictionEngine({ display });
  engine.setSendInterval(Math.min(250, Math.max(20, Math.ceil(rttMs / 2))));
  const shell = new FakeShell();
  let clientFb = shell.em.snapshot();
  let serverAck = 0n;
  let sent = 0n;
  let seq = 0;
  let wakeAt = Infinity;
  const queue: Event[] = [];
  const push = (e: NewEvent): void => {
    queue.push({ ...e, seq: seq++ } as Event);
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  };
  const sendFrame = (at: number): void =>
    push({ at: at + oneWay, kind: 'frame', fb: shell.em.snapshot(), echoAck: serverAck });

  let t = 0;
  for (const ch of Buffer.from(keys, 'utf8')) {
    t += keyGapMs;
    push({ at: t, kind: 'key', byte: ch });
  }

  let printable = 0;
  let shownInstantly = 0;
  engine.cull(clientFb, 0);
  let guard = 0;
  while (queue.length > 0 && guard++ < 100000) {
    const e = queue.shift()!;
    const now = e.at;
    switch (e.kind) {
      case 'key': {
        engine.setLocalFrameSent(sent);
        engine.newUserByte(e.byte, clientFb, now);
        sent++;
        push({ at: now + oneWay, kind: 'input', num: sent, byte: e.byte });
        engine.cull(clientFb, now);
        const shown = engine.apply(clientFb);
        if (e.byte >= 0x20 && e.byte < 0x7f) {
          printable++;
          const c = cellAt(shown, shown.cursor.y, shown.cursor.x - 1);
          if (shown !== clientFb && c.text === String.fromCharCode(e.byte)) shownInstantly++;
        }
        break;
      }
      case 'input':
        shell.input(e.byte);
        sendFrame(now);
        push({ at: now + ECHO_TIMEOUT, kind: 'echoack', num: e.num });
        break;
      case 'echoack':
        if (e.num > serverAck) serverAck = e.num;
        sendFrame(now);
        break;
      case 'frame':
        clientFb = e.fb;
        engine.setLocalFrameLateAcked(e.echoAck);
        engine.cull(clientFb, now);
        engine.apply(clientFb);
        break;
      case 'wake':
        wakeAt = Infinity;
        engine.cull(clientFb, now);
        engine.apply(clientFb);
        break;
    }
    const w = engine.waitTime(now);
    if (Number.isFinite(w) && now + w < wakeAt && queue.length > 0) {
      wakeAt = now + w;
      push({ at: wakeAt, kind: 'wake' });
    }
  }
  assert.ok(guard < 100000, 'the replay ends');
  engine.cull(clientFb, t + 10000);
  const final = shell.em.snapshot();
  const displayed = engine.apply(clientFb);
  shell.em.dispose();
  return {
    printable,
    shownInstantly,
    glitches: engine.stats.glitches,
    final,
    display: displayed,
    active: engine.active,
  };
}

// Typing with corrections, a command that prints, a password prompt (no echo), and more typing.
const TRACE = 'echo hello wrold\x7f\x7f\x7f\x7frld\rls -la\rpw\rsecret\recho done\r';

for (const [display, rtt] of [
  ['adaptive', 300],
  ['adaptive', 20],
  ['always', 120],
  ['experimental', 300],
] as const) {
  test(`a replayed typing trace (${display}, RTT ${rtt} ms) ends with the display exactly equal to the server screen`, (t) => {
    const r = replay(display, rtt, TRACE, 110);
    t.diagnostic(
      `${r.shownInstantly}/${r.printable} printable keystrokes shown instantly; ${r.glitches} visible mispredictions`,
    );
    assert.equal(r.active, false, 'no prediction outstanding once all input is echoed');
    assert.ok(screensEqual(r.display, r.final), 'display equals the server screen');
    assert.equal(rowText(r.final, r.final.cursor.y), '$ ');
    assert.equal(rowText(r.final, r.final.cursor.y - 1), 'out: echo done');
  });
}
