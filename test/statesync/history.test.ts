// Scrollback history in the synchronized terminal state: the diff from an older state carries exactly the lines it
// lacks (within the client's limit), a replay request resends from where a restored client asks, a clear tells
// the client, the server's ring stays within its bounds, and what reaches the user's terminal is only renditions
// and text, landing in its scrollback in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Terminal } from '@xterm/headless';
import { blankSnapshot, Emulator } from '../../src/emulator';
import { scrollbackOutput } from '../../src/client/scrollback';
import { decodeClientHello, encodeClientHello, FEATURE_HISTORY } from '../../src/statesync/extensions';
import {
  HistoryLog,
  HistoryRing,
  type HistoryMark,
  LAZY_HISTORY_BYTES,
  safeHistoryText,
} from '../../src/statesync/history';
import { historyText } from '../support/historytext';
import type { HistoryLine } from '../../src/statesync/hostmessage';
import { TerminalState, type ServerHelloInfo } from '../../src/statesync/terminal';

const line = (t: string, wraps = false): HistoryLine => ({ text: Buffer.from(t), wraps });
const hello = (historyLines: number): ServerHelloInfo => ({ version: 1, features: ['history'], historyLines });
const mark = (count: number, extra: Partial<HistoryMark> = {}): HistoryMark => ({
  count,
  clearedBefore: 0,
  replayEpoch: 0,
  replayFrom: 0,
  ...extra,
});
const text = (l: HistoryLine | undefined) => (l ? Buffer.from(l.text).toString() : undefined);

function server(ring: HistoryRing, h: HistoryMark, lines = 1000): TerminalState {
  return new TerminalState(blankSnapshot(20, 4), 0n, { hello: hello(lines), history: h, ring });
}

test('a diff carries the history lines the older state lacks, ahead of the screen, and the client logs them', () => {
  const ring = new HistoryRing(1000);
  for (let i = 0; i < 5; i++) ring.add(line(`line ${i}`));
  const log = new HistoryLog(1000);
  const client = TerminalState.initial(20, 4, { log });
  const a = server(ring, mark(2));
  const b = server(ring, mark(5));
  client.apply(a.diffFrom(TerminalState.initial(20, 4)));
  assert.equal(client.hello?.historyLines, 1000, 'the hello arrived');
  assert.deepEqual(
    [0, 1].map((n) => text(log.get(n))),
    ['line 0', 'line 1'],
  );
  const next = client.clone();
  next.apply(b.diffFrom(a));
  assert.equal(next.history?.count, 5);
  assert.deepEqual(
    [2, 3, 4].map((n) => text(log.get(n))),
    ['line 2', 'line 3', 'line 4'],
  );
  assert.equal(b.diffFrom(b.clone()).length, 0, 'no change, no diff');
});

test("only the last lines within the client's limit are sent; a replay resends from where it asks; a clear is told", () => {
  const ring = new HistoryRing(1000);
  for (let i = 0; i < 10; i++) ring.add(line(`l${i}`));
  const log = new HistoryLog(1000);
  const client = TerminalState.initial(20, 4, { log });
  client.apply(server(ring, mark(10), 3).diffFrom(TerminalState.initial(20, 4)));
  assert.deepEqual(
    Array.from({ length: 10 }, (_, n) => text(log.get(n)) ?? '-'),
    ['-', '-', '-', '-', '-', '-', '-', 'l7', 'l8', 'l9'],
  );
  // A restored client asked for a replay from 8: the next diff resends 8 and 9 though the base already had them.
  const replay = new HistoryLog(1000);
  const restored = new TerminalState(blankSnapshot(20, 4), 0n, { hello: hello(3), history: mark(10), log: replay });
  restored.apply(server(ring, mark(10, { replayEpoch: 1, replayFrom: 8 }), 3).diffFrom(server(ring, mark(10), 3)));
  assert.deepEqual(
    [8, 9].map((n) => text(replay.get(n))),
    ['l8', 'l9'],
  );
  // CSI 3J on the server: everything so far is gone, and the client learns where.
  ring.clear();
  const after = client.clone();
  after.apply(server(ring, mark(10, { clearedBefore: 10 }), 3).diffFrom(server(ring, mark(10), 3)));
  assert.equal(after.history?.clearedBefore, 10);
});

test('the server ring keeps the newest lines within its line and byte budgets', () => {
  const ring = new HistoryRing(100, 1000);
  for (let i = 0; i < 5000; i++) ring.add(line(`${i}`.padStart(20, '.')));
  assert.equal(ring.count, 5000);
  assert.ok(ring.count - ring.keptFrom <= 50, 'the byte budget (1000 bytes of 20-byte lines) keeps at most 50');
  const { first, lines } = ring.range(0, 5000);
  assert.equal(first, ring.keptFrom);
  assert.equal(text(lines[lines.length - 1]), '4999'.padStart(20, '.'));
  const small = new HistoryRing(10);
  for (let i = 0; i < 25; i++) small.add(line(`${i}`));
  assert.equal(small.keptFrom, 15);
  assert.deepEqual(small.range(20, 23).lines.map(text), ['20', '21', '22']);
});

test('plain lines a flood skipped are kept as one copy, numbered among the rows, laid out only when sent', () => {
  const ring = new HistoryRing(1000);
  ring.add(line('row 0'));
  let s = '';
  for (let i = 1; i <= 3000; i++) s += `plain ${i}\r\n`;
  ring.addPlain(Buffer.from(s), 3000, '31', 80);
  ring.add(line('row 3001', true));
  ring.add(line('row 3002'));
  assert.equal(ring.count, 3003);
  assert.equal(ring.keptFrom, 3003 - 1000, 'the line budget cuts into the plain chunk');
  const { first, lines } = ring.range(0, 3003);
  assert.equal(first, 2003);
  assert.equal(text(lines[0]), '\x1b[0;31mplain 2003\x1b[0m');
  assert.equal(text(lines[997]), '\x1b[0;31mplain 3000\x1b[0m');
  assert.deepEqual(
    lines.slice(998).map((l) => [text(l), l.wraps]),
    [
      ['row 3001', true],
      ['row 3002', false],
    ],
  );
  for (let i = 0; i < 2000; i++) ring.add(line(`more ${i}`));
  assert.equal(ring.range(0, ring.count).lines.length, 1000, 'the plain chunk is gone once all its lines are');
  assert.equal(text(ring.range(0, ring.count).lines[0]), 'more 1000');
});

test('plain runs are copied from a source the caller reuses; lines made from them keep their text', () => {
  const ring = new HistoryRing(500);
  const source = Buffer.alloc(30_000);
  const made: { n: number; text: Uint8Array }[] = [];
  let n = 0;
  for (let run = 0; run < 40; run++) {
    let s = '';
    while (s.length < 20_000) s += `run ${run} line ${n + s.split('\r\n').length - 1}\r\n`;
    const lines = s.split('\r\n').length - 1;
    const bytes = source.subarray(0, source.write(s, 'latin1'));
    ring.addPlain(bytes, lines, '', 80);
    source.fill(0x21); // the caller reuses its buffer at once
    n += lines;
    // Now and then a line is sent (made from the run's copy) and kept beyond its run's life in the ring.
    if (run % 3 === 0) made.push({ n: n - 1, text: ring.range(n - 1, n).lines[0].text });
  }
  assert.ok(n - ring.keptFrom <= 500 && ring.keptFrom > 0, 'old runs were pushed out');
  for (const m of made)
    assert.match(Buffer.from(m.text).toString('latin1'), new RegExp(` line ${m.n}$`), `line ${m.n}`);
  const { first, lines } = ring.range(0, n);
  lines.forEach((l, i) => assert.match(Buffer.from(l.text).toString('latin1'), new RegExp(` line ${first + i}$`)));
});

test('history text keeps renditions and text only: other escapes and controls from a hostile server are dropped', () => {
  assert.equal(safeHistoryText(Buffer.from('\x1b[0;31mred\x1b[0m plain')), '\x1b[0;31mred\x1b[0m plain');
  assert.equal(
    safeHistoryText(Buffer.from('a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\r\nd\x1b[6n')),
    'a]52;c;ZXZpbA==b[2Jcd[6n',
  );
  const em = new Emulator(12, 2);
  em.write('\x1b[1;32mgreen\x1b[0m 中文 x');
  const row = em.snapshot().lines[0];
  assert.equal(Buffer.from(historyText(row)).toString(), '\x1b[0;1;32mgreen\x1b[0m 中文 x');
  em.dispose();
});

test("history lines land in the user terminal's scrollback in order, wrapped lines joined, and the screen is left blank", async () => {
  const term = new Terminal({ cols: 10, rows: 4, scrollback: 100, allowProposedApi: true });
  const write = (s: string) => new Promise<void>((r) => term.write(s, r));
  await write('old screen\r\nrow 2');
  const lines = [
    line('one'),
    line('two is long'),
    line('wrapped ', true),
    line('together'),
    line('\x1b[0;31mred\x1b[0m'),
  ];
  await write(scrollbackOutput(lines, 10, 4));
  const b = term.buffer.active;
  const all: string[] = [];
  for (let i = 0; i < b.length; i++) all.push(b.getLine(i)!.translateToString(true));
  const screen = all.slice(all.length - 4);
  const scrollback = all.slice(0, all.length - 4);
  assert.deepEqual(screen, ['', '', '', ''], 'the screen is blank for the repaint');
  assert.deepEqual(scrollback, ['one', 'two is lon', 'g', 'wrapped to', 'gether', 'red']);
  assert.equal(b.getLine(2)!.isWrapped, true, 'a line longer than the terminal wraps in it (and reflows later)');
  assert.equal(b.getLine(4)!.isWrapped, true, 'rows that wrapped on the server are one line here');
  term.dispose();
});

test("a restored client's hello asking for the history from line 0 reaches the server as a replay from 0", () => {
  const ask = (replayFrom?: bigint) =>
    decodeClientHello(encodeClientHello({ version: 1, features: [FEATURE_HISTORY], historyLines: 10, replayFrom }));
  assert.equal(ask(0n)?.replayFrom, 0n, 'line 0 is a line, not "no replay"');
  assert.equal(ask(1234n)?.replayFrom, 1234n);
  assert.equal(ask(undefined)?.replayFrom, undefined, 'a first hello asks for no replay');
});

test('rows whose text is made when sent: pushed-out ones never are, and past the lazy budget they are made at once', () => {
  let made = 0;
  const lazy = (n: number, size = 1000) => {
    const bytes = () => {
      made++;
      return Buffer.from(`row ${n}`);
    };
    return { size, bytes, detach: () => ({ size, bytes }) };
  };
  const ring = new HistoryRing(100);
  for (let n = 0; n < 1000; n++) ring.addRow(lazy(n), false);
  assert.equal(made, 0, 'rows pushed out before anything asked for them are never made');
  const { first, lines } = ring.range(900, 1000);
  assert.equal(first, 900);
  assert.deepEqual(
    lines.map((l) => Buffer.from(l.text).toString()),
    Array.from({ length: 100 }, (_, i) => `row ${900 + i}`),
  );
  assert.equal(made, 100);
  ring.range(900, 1000);
  assert.equal(made, 100, 'each row is made once');
  // Nobody takes the lines (no client): beyond LAZY_HISTORY_BYTES of copies, rows are made as they come.
  const idle = new HistoryRing(20_000);
  made = 0;
  const big = LAZY_HISTORY_BYTES / 100;
  for (let n = 0; n < 1000; n++) idle.addRow(lazy(n, big), false);
  assert.ok(made >= 1000 - 100, `made ${made}`);
  idle.addRow(null, true);
  assert.equal(idle.count, 1001);
  assert.equal(Buffer.from(idle.range(1000, 1001).lines[0].text).length, 0);
});

test("kept lines own their memory: a short line cut from node's shared Buffer pool does not keep the pool alive", () => {
  const pooled = (s: string) => {
    const b = Buffer.from(s);
    assert.ok(b.buffer.byteLength > b.length, 'node made this line in its shared pool');
    return b;
  };
  const ring = new HistoryRing(100);
  // Made at once (add), made at once past the lazy budget (addRow), and made when first sent (lazy rows).
  ring.add({ text: pooled('line 0'), wraps: false });
  const size = LAZY_HISTORY_BYTES + 1;
  const now = { size, bytes: () => pooled('line 1'), detach: () => ({ size, bytes: () => pooled('never') }) };
  ring.addRow(now, false);
  const later = { size: 10, bytes: () => pooled('never'), detach: () => ({ size: 10, bytes: () => pooled('line 2') }) };
  ring.addRow(later, true);
  const { lines } = ring.range(0, 3);
  assert.deepEqual(
    lines.map((l) => [Buffer.from(l.text).toString(), l.wraps]),
    [
      ['line 0', false],
      ['line 1', false],
      ['line 2', true],
    ],
  );
  for (const l of lines) assert.equal(l.text.buffer.byteLength, l.text.length, 'the line holds only its own bytes');
  // Plain lines a flood skipped, laid out when sent, too.
  ring.addPlain(Buffer.from('plain a\r\nplain b\r\n'), 2, '', 80);
  for (const l of ring.range(3, 5).lines) assert.equal(l.text.buffer.byteLength, l.text.length);
});
