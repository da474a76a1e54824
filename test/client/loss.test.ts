// Our client over a very lossy link: the session is set up on a clean link, then the relay drops 50 % of the
// datagrams in each direction (plus a little delay and jitter). A few commands are typed and must complete,
// and the client's screen must end exactly as expected and converge to the server's framebuffer cell for cell:
// our server's own framebuffer; for stock mosh-server (whose framebuffer cannot be read from outside), the
// newest state the client received from it, together with the exact expected text of every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { converges, type ServerKind, startRig } from '../support/clientrig';
import { needs } from '../support/peers';

const LOSSY = { loss: 0.5, delayMs: 10, jitterMs: 5 };
const WAIT_MS = 20_000;
const KEYSTROKE_GAP_MS = 30;

const COMMANDS: { input: string; done: (lines: string[]) => boolean }[] = [
  { input: 'echo "a""b $((2+3))"\r', done: (l) => l.includes('ab 5') },
  { input: 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; sleep 0.1; done\r', done: (l) => l.includes('line 10') },
  { input: "printf '\\033[1;31mred\\033[0m plain\\n'\r", done: (l) => l.includes('red plain') },
  { input: 'echo "do""ne"\r', done: (l) => l.includes('done') },
];

const EXPECTED = [
  'ready',
  '$ echo "a""b $((2+3))"',
  'ab 5',
  '$ for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; sleep 0.1; done',
  ...Array.from({ length: 10 }, (_, i) => `line ${i + 1}`),
  "$ printf '\\033[1;31mred\\033[0m plain\\n'",
  'red plain',
  '$ echo "do""ne"',
  'done',
  '$',
];

async function lossySession(kind: ServerKind): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-loss-'));
  const r = await startRig(kind, dir, { seed: 50 });
  const { c, relay } = r;
  try {
    await c.waitScreen((l) => l.includes('$'), 10_000, `${kind}: the prompt`);
    c.type('clear; echo "rea""dy"\r');
    await c.waitScreen((l) => l[0] === 'ready' && l[1] === '$', 10_000, `${kind}: a cleared screen`);

    relay.set('both', LOSSY);
    const before = relay.stats;
    for (const cmd of COMMANDS) {
      // Typed a key at a time (many small states, each of which may be lost), then its output must arrive.
      for (const ch of cmd.input) {
        c.type(ch);
        await new Promise((res) => setTimeout(res, KEYSTROKE_GAP_MS));
      }
      await c.waitScreen(
        (l) => cmd.done(l) && l.filter((x) => x !== '').at(-1) === '$',
        WAIT_MS,
        `${kind}: ${JSON.stringify(cmd.input)} to complete at 50 % loss`,
      );
    }
    // Still at 50 % loss: the screen settles to exactly the server's.
    await converges(r, `${kind}: at 50 % loss`, r.serverView, WAIT_MS);
    assert.deepEqual(c.screen.lines(), [...EXPECTED, ...new Array<string>(24 - EXPECTED.length).fill('')]);
    const y = EXPECTED.indexOf('red plain');
    const b = c.screen.term.buffer.active.getLine(y)!;
    assert.deepEqual(
      [!!b.getCell(0)!.isBold(), b.getCell(0)!.getFgColor(), !!b.getCell(4)!.isBold(), b.getCell(4)!.getFgColor()],
      [true, 1, false, -1],
      'the colours came through',
    );

    const s = relay.stats;
    const lost = {
      toServer: s.toServer.dropped - before.toServer.dropped,
      toClient: s.toClient.dropped - before.toClient.dropped,
    };
    const seen = {
      toServer: s.toServer.received - before.toServer.received,
      toClient: s.toClient.received - before.toClient.received,
    };
    assert.ok(
      lost.toServer >= 30 && lost.toClient >= 30,
      `datagrams were lost both ways: ${JSON.stringify({ lost, seen })}`,
    );
  } finally {
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'at 50 % loss each way, with stock mosh-server, commands complete and the screen converges',
  needs('mosh-server'),
  async () => {
    await lossySession('stock');
  },
);

test('at 50 % loss each way, with our server, commands complete and the screen converges to its framebuffer', async () => {
  await lossySession('ours');
});
