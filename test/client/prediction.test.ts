// Predictive local echo, end to end: our MoshClient (in this process, drawing into a headless xterm and into our
// emulator) talks through the impairment relay at 250 ms RTT (125 ms each way) to stock mosh-server and to our
// server (ServerSession in this process, so its authoritative framebuffer can be read).
//
// What the screen must equal:
// - our server: `session.emulator.snapshot()`, the server's own framebuffer, compared cell for cell (text, width,
//   rendition) and cursor position with what the client drew;
// - stock mosh-server: its framebuffer cannot be read from outside, so two oracles are used. For the typing and
//   password-prompt checks, the newest state the client received from the server (the server's framebuffer as
//   SSP delivered it; the drawn screen must equal it once predictions are settled). For vim, the independent
//   one: the same keystrokes are played first through stock mosh-client (prediction off, no relay) to a fresh
//   stock mosh-server in the same folder, and our client's screen must then equal the stock client's cell for
//   cell at the same points (in vim after saving, and at the prompt after quitting); the saved file must hold
//   exactly what was typed.
//
// Mispredictions: at a plain `stty -echo; read x` prompt mosh shows nothing at all (after Enter, predictions
// stay hidden until the server confirms one of their epoch, and nothing is echoed there), which is checked too.
// A prediction that is shown and then found wrong needs a confirmed epoch first, so the repair is checked at a
// prompt that echoes the first two characters typed and then turns echo off.
//
// Synchronisation: each step waits for the server's echo-ack of what was typed (the server had the input for
// 50 ms and the client knows), as a person looks before typing on; predicting before that judges keystrokes
// against a screen the client does not know yet, which mosh (and so this client) answers by hiding them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/emulator';
import { converges, type ServerKind, startRig } from '../support/clientrig';
import { type OurClient, snapshotLines } from '../support/ourclient';
import { needs } from '../support/peers';
import { startStockServer, until } from '../support/stock';
import { startStockClient } from '../support/stockclient';

const ONE_WAY_MS = 125;
const RTT_MS = 2 * ONE_WAY_MS;
const PROMPT = '$';
const LINK = { seed: 250, toServer: { delayMs: ONE_WAY_MS }, toClient: { delayMs: ONE_WAY_MS } };

function promptRow(lines: string[]): number {
  for (let y = lines.length - 1; y >= 0; y--) if (lines[y].startsWith(PROMPT)) return y;
  return -1;
}

function lastLine(lines: string[]): string {
  return lines.filter((l) => l !== '').at(-1) ?? '';
}

async function typingAndPasswordPrompt(kind: ServerKind): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-predict-'));
  // A password-style prompt whose first two characters are echoed (so the prediction epoch gets confirmed),
  // after which echo is off: what is typed next is predicted, shown, and wrong.
  writeFileSync(
    join(dir, 'pw.sh'),
    'stty -icanon; printf \'code: \'; dd bs=1 count=2 of=/dev/null 2>/dev/null; stty -echo icanon; read x; stty echo; echo; echo "[$x]"\n',
  );
  const r = await startRig(kind, dir, LINK);
  const { c, relay } = r;
  const engine = c.client.prediction;
  try {
    await c.waitScreen((l) => promptRow(l) >= 0, 15_000, `${kind}: the prompt`);
    // Give the RTT estimate a few samples at this latency.
    await until(
      () => (c.client.status().rttMs ?? 0) >= RTT_MS * 0.8,
      10_000,
      `${kind}: an RTT estimate near ${RTT_MS} ms`,
    );
    const y = promptRow(c.screen.lines());

    // 1. The first keystroke after the prompt is tentative (new epoch): it shows when the server echoes it, and
    //    confirms the epoch.
    const eState = await c.typeTracked('e');
    await c.waitScreen((l) => l[y] === '$ e', 5_000, `${kind}: the echoed "e"`);
    await c.waitEchoAck(eState, 5_000, `${kind}: the echo-ack for "e"`);
    await until(() => engine.stats.confirmed >= 1, 5_000, `${kind}: the first prediction confirmed`);
    assert.equal(c.underlined(2, y), false, 'a confirmed character is not underlined');

    // 2. With nothing at all coming back from the server, what is typed next shows at once: prediction.
    relay.set('toClient', { blackhole: true });
    const blackholedBefore = relay.stats.toClient.blackholed;
    const hiState = await c.typeTracked('cho hi');
    await c.settled();
    assert.equal(
      c.screen.lines()[y],
      '$ echo hi',
      'the typed characters are on the screen while the server cannot be heard',
    );
    const underlines = [...'$ echo hi'].map((_, x) => c.underlined(x, y));
    // Predicted printable cells are underlined (the link is slow: send interval > 80 ms); a predicted blank over a
    // blank is not; the confirmed "e" and the prompt are not.
    assert.deepEqual(
      underlines,
      [false, false, false, true, true, true, false, true, true],
      'underlines of "$ echo hi"',
    );
    assert.equal(engine.flagging, true);
    if (r.server.snapshot) {
      // The keystrokes did reach the server, and its screen shows them, while the client still cannot know.
      await until(() => snapshotLines(r.server.snapshot!())[y] === '$ echo hi', 5_000, `${kind}: the server echoing`);
    }
    await until(
      () => relay.stats.toClient.blackholed > blackholedBefore,
      5_000,
      "the relay swallowing the server's answer",
    );
    await c.settled();
    assert.equal(c.screen.lines()[y], '$ echo hi', 'still predicted while the server is silent');
    assert.equal(c.underlined(3, y) && c.underlined(8, y), true, 'still underlined while unconfirmed');

    // 3. The server is heard again: the predictions are confirmed and lose their underline.
    relay.set('toClient', { blackhole: false });
    await c.waitEchoAck(hiState, 5_000, `${kind}: the echo-ack for "cho hi"`);
    await until(
      async () => (
        await c.settled(),
        [...'$ echo hi'].every((_, x) => !c.underlined(x, y)) && c.screen.lines()[y] === '$ echo hi'
      ),
      5_000,
      `${kind}: the underline to go once the server confirms`,
    );
    assert.equal(engine.stats.glitches, 0, 'no displayed prediction was wrong');
    c.type('\r');
    await c.waitScreen((l) => l[y + 1] === 'hi' && l[y + 2] === PROMPT, 5_000, `${kind}: the command output`);
    await converges(r, `${kind}: after echo`);

    // 4. A misprediction: at a prompt that stops echoing, typed characters are predicted, shown, and wrong; they
    //    disappear within about one round trip and the screen equals the server's again.
    // (Each step waits for the echo-ack of what was typed, as a person would wait to see it: typing "ab" before the
    // client knows where the prompt left the cursor would predict it in the wrong place.)
    const shState = await c.typeTracked(`sh ${join(dir, 'pw.sh')}\r`);
    const py = y + 3;
    await c.waitScreen((l) => l[py] === 'code:', 5_000, `${kind}: the code prompt`);
    await c.waitEchoAck(shState, 5_000, `${kind}: the echo-ack for the command`);
    const confirmed = engine.stats.confirmed;
    const abState = await c.typeTracked('ab');
    await c.waitScreen((l) => l[py] === 'code: ab', 5_000, `${kind}: the echoed "ab"`);
    await c.waitEchoAck(abState, 5_000, `${kind}: the echo-ack for "ab"`);
    await until(() => engine.stats.confirmed >= confirmed + 2, 5_000, `${kind}: "ab" confirmed`);
    const glitches = engine.stats.glitches;
    const typedAt = Date.now();
    c.type('cdef');
    await c.settled();
    assert.equal(c.screen.lines()[py], 'code: abcdef', 'the unechoed characters are predicted and shown');
    assert.deepEqual(
      [8, 9, 10, 11].map((x) => c.underlined(x, py)),
      [true, true, true, true],
      'and underlined',
    );
    await c.waitScreen((l) => l[py] === 'code: ab', RTT_MS + 2_000, `${kind}: the wrong prediction to disappear`);
    const repairedMs = Date.now() - typedAt;
    // One round trip, plus the server's 50 ms echo-ack delay and a frame interval on each side, plus a margin.
    assert.ok(repairedMs < RTT_MS + 1_000, `repaired after ${repairedMs} ms`);
    assert.equal(engine.stats.glitches, glitches + 1, 'the shown prediction was found wrong once');
    assert.equal(c.underlined(8, py), false);
    await converges(r, `${kind}: after the misprediction`);
    // The keystrokes themselves were not lost: the script read them.
    c.type('\r');
    await c.waitScreen((l) => l.includes('[cdef]') && lastLine(l) === PROMPT, 5_000, `${kind}: the script's output`);

    // 5. The plain password prompt (`stty -echo; read x`): after Enter, predictions stay hidden until the server
    //    confirms one of their epoch, and nothing typed where nothing echoes is ever confirmed, so the secret is
    //    never drawn, not even for a moment.
    const pwState = await c.typeTracked('stty -echo; read x; stty echo; echo "[$x]"\r');
    await c.waitEchoAck(pwState, 5_000, `${kind}: the echo-ack for the password command`);
    const mark = c.raw().length;
    const { glitches: glitchesBefore, mispredicted: mispredictedBefore } = engine.stats;
    const secretState = await c.typeTracked('secret');
    await c.waitEchoAck(secretState, 5_000, `${kind}: the echo-ack for the secret`);
    await until(
      () => engine.stats.mispredicted > mispredictedBefore && !c.screen.lines().some((l) => l.includes('secret')),
      2_000,
      'the hidden predictions found wrong',
    );
    /* eslint-disable no-control-regex */
    const drawn = c
      .raw()
      .slice(mark)
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
      .replace(/\x1b[^[]/g, '');
    /* eslint-enable no-control-regex */
    assert.doesNotMatch(drawn, /[secrt]/, `nothing of the secret was drawn: ${JSON.stringify(c.raw().slice(mark))}`);
    assert.equal(engine.stats.glitches, glitchesBefore, 'no prediction was shown');
    c.type('\r');
    await c.waitScreen((l) => l.includes('[secret]'), 5_000, `${kind}: the secret read by the shell`);
    await converges(r, `${kind}: at the end`);
  } finally {
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Drives a terminal: type bytes, and wait until the server's side of the screen satisfies a predicate. */
interface Driver {
  type(bytes: string): void;
  waitServer(pred: (lines: string[]) => boolean, what: string): Promise<void>;
}

const FILE_TEXT = 'hello big world!\nsecond line\n';
const LEFT = '\x1bOD';
const RIGHT = '\x1bOC';
const UP = '\x1bOA';
const DOWN = '\x1bOB';

/** Opens notes.txt in vim, inserts text, moves with the arrows (in insert mode) and saves. */
async function vimEdit(d: Driver, dir: string): Promise<void> {
  const status = (l: string[]) => l[l.length - 1];
  d.type(`cd ${dir} && vim -u NONE -N -i NONE -n notes.txt\r`);
  await d.waitServer((l) => l.filter((x) => x === '~').length > 10 && status(l).includes('notes.txt'), 'vim');
  d.type('i');
  await d.waitServer((l) => status(l).includes('-- INSERT --'), 'insert mode');
  d.type('hello world');
  await d.waitServer((l) => l[0] === 'hello world', 'typed text');
  d.type(LEFT.repeat(5));
  d.type('big ');
  await d.waitServer((l) => l[0] === 'hello big world', 'text inserted after moving left');
  d.type(RIGHT.repeat(6) + '\r');
  d.type('second line');
  await d.waitServer((l) => l[1] === 'second line', 'a second line');
  d.type(UP + RIGHT.repeat(4) + '!' + DOWN);
  await d.waitServer((l) => l[0] === 'hello big world!', 'text added after moving up and right');
  d.type('\x1b');
  await d.waitServer((l) => !status(l).includes('INSERT'), 'normal mode');
  d.type(':w\r');
  await d.waitServer((l) => /"notes\.txt".*written/.test(status(l)), 'the file written');
}

async function vimQuit(d: Driver): Promise<void> {
  d.type(':q\r');
  await d.waitServer((l) => l.some((x) => x === PROMPT) && !l.some((x) => /written/.test(x)), 'the prompt after vim');
}

/**
 * Our client's driver waits for the server's screen (our server's framebuffer, or the newest state received from
 * stock) and then for the echo-ack of what was typed, as a person pauses to look: so the next keystrokes are
 * judged against a screen the client knows, get confirmed, and later ones in the same epoch are drawn at once.
 */
/** Keystrokes were predicted, predictions confirmed, and predicted cells drawn underlined along the way. */
function predictionsWereShown(c: OurClient): void {
  const stats = c.client.prediction.stats;
  assert.ok(
    stats.predicted > 50 && stats.confirmed > 10,
    `keystrokes were predicted and confirmed: ${JSON.stringify(stats)}`,
  );
  // eslint-disable-next-line no-control-regex
  assert.match(c.raw(), /\x1b\[(?:[0-9;]*;)?4(?:;[0-9;]*)?m/, 'an underlined (predicted) cell was drawn');
}

function clientDriver(c: OurClient, view: () => Snapshot, label: string): Driver {
  let lastTyped: Promise<bigint> = Promise.resolve(0n);
  return {
    type: (b) => {
      const previous = lastTyped;
      const sent = c.typeTracked(b);
      lastTyped = sent.then(
        () => sent,
        () => previous,
      );
    },
    waitServer: async (pred, what) => {
      try {
        await until(() => pred(snapshotLines(view())), 15_000, `${label}: ${what}`);
      } catch (e) {
        throw new Error(
          `${(e as Error).message}; the server's screen shows:\n${snapshotLines(view())
            .map((l) => `|${l}`)
            .join('\n')}`,
        );
      }
      await c.waitEchoAck(await lastTyped, 5_000, `${label}: the echo-ack after ${what}`);
    },
  };
}

test(
  'our client at 250 ms RTT, stock mosh-server: typed characters show before the round trip, underlined until confirmed; a misprediction is repaired',
  needs('mosh-server'),
  async () => {
    await typingAndPasswordPrompt('stock');
  },
);

test('our client at 250 ms RTT, our server: typed characters show before the round trip, underlined until confirmed; a misprediction is repaired', async () => {
  await typingAndPasswordPrompt('ours');
});

test(
  'our client at 250 ms RTT, stock mosh-server: editing in vim ends with the same screen as stock mosh-client shows',
  needs('mosh-server', 'mosh-client', 'vim'),
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosh-vim-'));
    try {
      // The reference: stock client, stock server, same folder, same keystrokes.
      const ref = await startStockServer({ env: { HOME: dir, PS1: '$ ', ENV: '' } });
      const sc = startStockClient(ref.port, ref.key, 80, 24);
      let refSaved: string[];
      let refQuit: string[];
      try {
        await sc.waitText((_t, l) => l.some((x) => x === PROMPT), 10_000, 'reference: the prompt');
        const d: Driver = {
          type: (b) => sc.type(b),
          waitServer: (pred, what) => sc.waitText((_t, l) => pred(l), 15_000, `reference: ${what}`),
        };
        await vimEdit(d, dir);
        await sc.settled();
        refSaved = sc.screen.cells();
        await vimQuit(d);
        await sc.settled();
        refQuit = sc.screen.cells();
        assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), FILE_TEXT, 'reference: the file');
        sc.type('exit\r');
        await until(() => sc.exitCode() !== null, 10_000, 'reference: the stock client to exit');
      } finally {
        sc.close();
        await until(() => !ref.alive(), 5_000, 'reference server to exit').catch(() => ref.kill());
      }
      rmSync(join(dir, 'notes.txt'));

      const r = await startRig('stock', dir, LINK);
      try {
        await r.c.waitScreen((l) => l.some((x) => x === PROMPT), 15_000, 'the prompt');
        const d = clientDriver(r.c, r.serverView, 'ours');
        await vimEdit(d, dir);
        await converges(r, 'in vim after saving');
        assert.deepEqual(r.c.screen.cells(), refSaved, 'in vim after saving: same cells as stock mosh-client shows');
        await vimQuit(d);
        await converges(r, 'at the prompt after vim');
        assert.deepEqual(r.c.screen.cells(), refQuit, 'after vim: same cells as stock mosh-client shows');
        assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), FILE_TEXT);
        predictionsWereShown(r.c);
      } finally {
        await r.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'our client at 250 ms RTT, our server: editing in vim ends with the client screen equal to the server framebuffer',
  needs('vim'),
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mosh-vim-'));
    const r = await startRig('ours', dir, LINK);
    try {
      await r.c.waitScreen((l) => l.some((x) => x === PROMPT), 15_000, 'the prompt');
      const d = clientDriver(r.c, r.serverView, 'ours');
      await vimEdit(d, dir);
      await converges(r, 'in vim after saving');
      await vimQuit(d);
      await converges(r, 'at the prompt after vim');
      assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), FILE_TEXT);
      predictionsWereShown(r.c);
    } finally {
      await r.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
