// The emulator's history capture: rows leaving the top of the primary screen reach the sink with the text a
// snapshot row of them gives (colours, extended underlines, wide characters, orphan halves, lone marks, blank
// cells with a background), with their wrap flags, in order, also mixed with the lines writeBulk skips; the
// alternate screen and scroll regions give nothing; CSI 3J says clear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Emulator,
  type HistoryRowText,
  type LazyHistoryText,
  plainLineBytes,
  plainLineText,
  snapshotsEqual,
} from '../../src/emulator';
import { mulberry32 } from '../support/relay';
import { historyText } from '../support/historytext';

interface Captured {
  text: string;
  wraps: boolean;
}

const textOf = (t: { bytes(): Uint8Array } | null): string =>
  t === null ? '' : Buffer.from(t.bytes()).toString('utf8');

function capture(em: Emulator): { got: Captured[]; cleared: number } {
  const out = { got: [] as Captured[], cleared: 0 };
  em.captureHistory({
    row: (text, wraps) => out.got.push({ text: textOf(text), wraps }),
    plain: (bytes, lines, style) => {
      const text = Buffer.from(bytes).toString('latin1').split('\r\n');
      assert.equal(text.pop(), '', 'each line ends in CR LF');
      assert.equal(text.length, lines);
      for (const l of text)
        out.got.push({ text: plainLineText(Buffer.from(l, 'latin1'), style, em.cols), wraps: false });
    },
    cleared: () => out.cleared++,
  });
  return out;
}

/** The sink `capture` installed, as an object (to add `keeps` to it). */
function sinkOf(out: { got: Captured[]; cleared: number }, em: Emulator) {
  return {
    row: (text: HistoryRowText | null, wraps: boolean) => out.got.push({ text: textOf(text), wraps }),
    plain: (bytes: Uint8Array, lines: number, style: string) => {
      const text = Buffer.from(bytes).toString('latin1').split('\r\n');
      text.pop();
      for (const l of text)
        out.got.push({ text: plainLineText(Buffer.from(l, 'latin1'), style, em.cols), wraps: false });
    },
    cleared: () => out.cleared++,
  };
}

const PIECES = [
  'plain ',
  'x',
  '中文',
  'é',
  'e\u0301',
  '\u0301',
  '😀',
  '\t',
  ' ',
  'ab',
  '\x1b[31m',
  '\x1b[1;4m',
  '\x1b[38;5;200m',
  '\x1b[48;5;17m',
  '\x1b[38;2;1;2;3m',
  '\x1b[4:3m\x1b[58;5;9m',
  '\x1b[7m',
  '\x1b[0m',
  '\x1b[44m\x1b[K',
  '\x1b[3D',
  '\x1b[2C',
  '\b',
  '\x1b[1P',
  '\x1b[2@',
  '\x1b[2X',
];

test('rows leaving the screen reach the sink as the text their snapshot rows give, with wrap flags, in order', () => {
  const rnd = mulberry32(7);
  for (let round = 0; round < 200; round++) {
    const cols = 8 + Math.floor(rnd() * 30);
    const rows = 3 + Math.floor(rnd() * 5);
    const em = new Emulator(cols, rows);
    const sink = capture(em);
    let s = '';
    for (let i = 0, n = 20 + Math.floor(rnd() * 80); i < n; i++)
      s += rnd() < 0.1 ? '\r\n' : PIECES[Math.floor(rnd() * PIECES.length)];
    em.write(`\x1b[H\x1b[2J${s}`);
    const snap = em.snapshot();
    const want = snap.lines.map((r) => ({ text: Buffer.from(historyText(r)).toString('utf8'), wraps: r.wraps }));
    // Scroll every row off, with the rendition reset so the new rows are blank.
    em.write(`\x1b[0m\x1b[${rows};1H${'\n'.repeat(rows)}`);
    const tail = sink.got.slice(-rows);
    assert.deepEqual(tail, want, `round ${round} (${cols}x${rows}): ${JSON.stringify(s)}`);
    em.dispose();
  }
});

test('lines writeBulk skips come between the rows it emulated, in order, each once', () => {
  const em = new Emulator(20, 5);
  const sink = capture(em);
  em.write('\x1b[32mfirst\x1b[0m\r\n');
  let s = '';
  for (let i = 1; i <= 400; i++) s += `line ${i}\r\n`;
  em.writeBulk(Buffer.from(s));
  assert.ok(em.skippedBytes > 0, 'writeBulk skipped some lines');
  em.write(`\x1b[5;1H${'\n'.repeat(5)}`);
  const texts = sink.got.map((g) => g.text);
  assert.equal(texts[0], '\x1b[0;32mfirst\x1b[0m');
  assert.deepEqual(
    texts.slice(1, 401),
    Array.from({ length: 400 }, (_, i) => `line ${i + 1}`),
  );
});

test('a sink that keeps only its newest lines gets the same newest lines when a bulk write skips more than that', () => {
  const run = (keeps: number | undefined): { texts: string[]; count: number } => {
    const em = new Emulator(20, 5);
    const sink = capture(em);
    if (keeps !== undefined) em.captureHistory({ ...sinkOf(sink, em), keeps: () => keeps });
    for (let i = 1; i <= 4; i++) em.write(`\x1b[3${i}mrow ${i}\x1b[0m\r\n`);
    let s = '';
    for (let i = 1; i <= 300; i++) s += `line ${i}\r\n`;
    em.writeBulk(Buffer.from(s));
    em.write(`\x1b[5;1H${'\n'.repeat(5)}`);
    return { texts: sink.got.map((g) => g.text), count: sink.got.length };
  };
  const all = run(undefined);
  const kept = run(100);
  assert.equal(kept.count, all.count, 'every line is counted');
  assert.deepEqual(kept.texts.slice(-100), all.texts.slice(-100), 'the newest 100 lines are the same');
  const unread = (t: string[]) => t.filter((x) => x === '').length;
  assert.equal(
    unread(kept.texts) - unread(all.texts),
    4,
    'with a limit, the rows above the cursor at the skip are counted, not read',
  );
});

test('the alternate screen and a scroll region add nothing; CSI 3J clears', () => {
  const em = new Emulator(20, 5);
  const sink = capture(em);
  em.write(`\x1b[?1049h${'alt\r\n'.repeat(20)}\x1b[?1049l`);
  em.write(`\x1b[2;4r\x1b[4;1H${'region\r\n'.repeat(20)}\x1b[r`);
  assert.deepEqual(sink.got, []);
  em.write(`\x1b[5;1H${'main\r\n'.repeat(7)}`);
  assert.ok(sink.got.length >= 3);
  em.write('\x1b[3J');
  assert.equal(sink.cleared, 1);
});

test('a skipped line laid out as bytes is what its text gives, for plain ASCII (a view of its bytes) and anything else', () => {
  const r = mulberry32(11);
  const pieces = ['a', ' ', 'word', '  ', '\t', 'é', '中', 'e\u0301', '\x7f', '~', 'x'.repeat(30)];
  for (let i = 0; i < 500; i++) {
    let line = '';
    const n = Math.floor(r() * 12);
    for (let k = 0; k < n; k++) line += pieces[Math.floor(r() * pieces.length)];
    const bytes = Buffer.from(line, 'utf8');
    for (const style of ['', '1;31', '4:3;38;5;200']) {
      const cols = 10 + Math.floor(r() * 60);
      const got = Buffer.from(plainLineBytes(bytes, style, cols)).toString('utf8');
      assert.equal(got, plainLineText(bytes, style, cols), JSON.stringify({ line, style, cols }));
    }
  }
});

test('a history row made long after it left the screen is what it was then (xterm reuses the line meanwhile)', () => {
  const eager = new Emulator(30, 4);
  const now = capture(eager);
  const late = new Emulator(30, 4);
  const kept: (LazyHistoryText | null)[] = [];
  late.captureHistory({
    row: (t) => kept.push(t === null ? null : t.detach()),
    plain: () => undefined,
    cleared: () => undefined,
  });
  let s = '';
  for (let i = 1; i <= 60; i++) s += `\x1b[3${i % 8}m${'wide 中 '.repeat(i % 3)}row ${i} e\u0301\x1b[0m\r\n`;
  eager.write(s);
  late.write(s);
  late.write('\r\n'.repeat(40)); // the lines those rows came from are rewritten many times over
  assert.ok(now.got.length >= 56);
  assert.deepEqual(
    kept.slice(0, now.got.length).map(textOf),
    now.got.map((g) => g.text),
  );
});

test('bulk writes in a row give the history what writing them gives (rows above the cursor known as text or read)', () => {
  // Logical lines are compared: a plain line skipped by writeBulk is one line where emulation gives its rows.
  // eslint-disable-next-line no-control-regex
  const SGR = /\x1b\[[0-9;:]*m/g;
  const logical = (got: Captured[]): string[] => {
    const out: string[] = [];
    let pending: string | null = null;
    for (const g of got) {
      const text: string = pending === null ? g.text : pending + g.text.replace(SGR, '');
      if (g.wraps) pending = text.replace(SGR, '');
      else {
        out.push(text);
        pending = null;
      }
    }
    if (pending !== null) out.push(pending);
    return out;
  };
  const WORDS = ['alpha', 'beta', 'x'.repeat(30), '-', '12345', '中', 'é'];
  const BETWEEN = ['', '', '', '\x1b[31m', '\x1b[0m', '\x1b(0', '\x1b(B', 'status\r\n', '\x1b[2;1H', 'resize'];
  const rnd = mulberry32(11);
  let known = 0;
  for (let round = 0; round < 120; round++) {
    const cols = 20 + Math.floor(rnd() * 60);
    const rows = 2 + Math.floor(rnd() * 12);
    const a = new Emulator(cols, rows);
    const b = new Emulator(cols, rows);
    const ha = capture(a);
    const hb = capture(b);
    let ops = '';
    let carried = '';
    const bareLf = rnd() < 0.3 ? 0.01 : 0; // (some rounds have LFs without a CR)
    for (let batch = 0; batch < 8; batch++) {
      // Some batches begin with the end of the previous one's text (as a pty's reads cut anywhere), an LF after
      // its CR among them.
      let text = carried;
      carried = '';
      const target = 2048 + Math.floor(rnd() * 4000);
      const plain = rnd() < 0.8;
      while (text.length < target) {
        let line = '';
        const n = Math.floor(rnd() * 6);
        for (let j = 0; j < n; j++) line += WORDS[Math.floor(rnd() * (plain ? 5 : WORDS.length))];
        // (within a row: how skipped lines that wrap compare is not what this test is about)
        text += line.slice(0, Math.floor(cols / 2)) + (rnd() < bareLf ? '\n' : '\r\n');
      }
      // Cut anywhere: the next batch goes on with this one's unfinished line.
      const cut = rnd() < 0.2 ? 1 : Math.floor(rnd() * 40);
      const bytes = Buffer.from(text.slice(0, text.length - cut));
      const rest = text.slice(text.length - cut);
      a.write(bytes);
      b.writeBulk(bytes);
      const between = BETWEEN[Math.floor(rnd() * BETWEEN.length)];
      ops += `[${bytes.length}]${JSON.stringify(between)}`;
      if (between === 'resize') {
        // (rows only: a change of columns reflows wrapped rows, which full emulation and skipping see differently)
        const r2 = Math.max(2, a.rows + Math.floor(rnd() * 5) - 2);
        a.resize(cols, r2);
        b.resize(cols, r2);
      } else if (between !== '') {
        a.write(between);
        b.write(between);
      }
      if (between === '' && rnd() < 0.5) carried = rest;
      else {
        a.write(rest);
        b.write(rest);
      }
    }
    const end = `\x1b[0m\x1b(B\x1b[${b.rows};1H${'\n'.repeat(b.rows)}`;
    a.write(end);
    b.write(end);
    assert.ok(snapshotsEqual(a.snapshot(), b.snapshot()), `round ${round}: same screen`);
    const bare = (t: string[]) => t.map((x) => x.replace(SGR, ''));
    assert.deepEqual(bare(logical(hb.got)), bare(logical(ha.got)), `round ${round} (${cols}x${rows}): ${ops}`);
    // Renditions too, when the pen stayed the default (a coloured pen over a TAB's gap is a known difference of
    // skipped plain lines: plainLineText paints the gap)
    if (!ops.includes('[31m')) assert.deepEqual(logical(hb.got), logical(ha.got), `round ${round}: ${ops}`);
    known += b.rowsKnownAsText;
    a.dispose();
    b.dispose();
  }
  assert.ok(known > 0, 'rows above the cursor were known as text in some rounds');
});

test('a bulk write on the alternate screen, in another character set, or after a bare LF adds what was shown', () => {
  const lines = Array.from({ length: 300 }, (_, i) => `qqq line ${i}\r\n`).join('');
  const alt = new Emulator(20, 5);
  const h = capture(alt);
  alt.write('\x1b[?1049h');
  alt.writeBulk(Buffer.from(lines));
  assert.deepEqual(h.got, [], 'the alternate screen keeps no history');
  const dec = new Emulator(20, 5);
  const ref = new Emulator(20, 5);
  const hd = capture(dec);
  const hr = capture(ref);
  for (const e of [dec, ref]) e.write('\x1b(0');
  dec.writeBulk(Buffer.from(lines));
  ref.write(lines);
  assert.ok(hr.got.length > 0 && hr.got[0].text.startsWith('───'), 'DEC graphics: q is a line');
  assert.deepEqual(hd.got, hr.got);
  // A first line that ends in a bare LF leaves the cursor mid-row: the next line goes on from there.
  for (const first of ['abc\n', '\n', 'abc\r\n', '\r\n']) {
    const bulk = new Emulator(20, 5);
    const full = new Emulator(20, 5);
    const hb = capture(bulk);
    const hf = capture(full);
    for (const e of [bulk, full]) e.write('x'.repeat(7));
    bulk.writeBulk(Buffer.from(first + lines));
    full.write(first + lines);
    assert.deepEqual(hb.got.slice(0, 10), hf.got.slice(0, 10), JSON.stringify(first));
    assert.equal(hb.got.length, hf.got.length);
  }
});
