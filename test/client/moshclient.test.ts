// MoshClient end to end against stock mosh-server and against ours: what it draws is what the shell printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type ClientExit, MoshClient } from '../../src/client';
import { needs } from '../support/peers';
import { ImpairmentRelay } from '../support/relay';
import {
  type ServerStartOptions,
  type StockServer,
  Screen,
  startOurServer,
  startStockServer,
  until,
} from '../support/stock';

async function session(label: string, start: (o: ServerStartOptions) => Promise<StockServer>, end: 'close' | 'exit') {
  const server = await start({ command: ['/bin/sh'] });
  const screen = new Screen(80, 24);
  let written = Promise.resolve();
  let exit: ClientExit | null = null;
  const titles: string[] = [];
  const client = new MoshClient(
    { host: '127.0.0.1', port: server.port, key: server.key, cols: 80, rows: 24, predict: 'never' },
    {
      screen: (d) => (written = written.then(() => screen.write(d))),
      exit: (e) => (exit = e),
      title: (t) => titles.push(t),
    },
  );
  const wait = (pred: (lines: string[]) => boolean, what: string) =>
    until(async () => (await written, pred(screen.lines())), 10_000, `${label}: ${what}`);
  try {
    await wait((l) => l.some((x) => x === '$'), 'the prompt');
    assert.equal(client.status().state, 'connected');
    assert.ok(!screen.lines()[0].startsWith('mosh:'), 'no notification bar once connected');
    const token = randomBytes(5).toString('hex');
    client.input(`echo "tok""${token}"; printf '\\033]0;%s\\007' "ti""tle"\r`);
    await wait((l) => l.includes(`tok${token}`), 'the echo');
    await until(() => titles.includes('title'), 5_000, `${label}: the title`);
    client.resize(100, 30);
    screen.term.resize(100, 30);
    client.input('tput cols; tput lines\r');
    await wait((l) => l.includes('100') && l.includes('30'), 'tput after resize');
    if (end === 'close') await client.close();
    else client.input('exit\r');
    await until(() => exit !== null, 15_000, `${label}: the client to end`);
    await until(() => !server.alive(), 15_000, `${label}: the server to exit`);
    return exit!;
  } finally {
    if (exit === null) await client.close();
    screen.dispose();
    server.kill();
  }
}

test(
  'MoshClient with stock mosh-server: prompt, echo, title, resize, and close() with the handshake',
  needs('mosh-server'),
  async () => {
    const e = await session('stock', startStockServer, 'close');
    assert.deepEqual([e.reason, e.code], ['user', 0]);
  },
);

test('MoshClient with our server: the same, ending when the shell exits', async () => {
  const e = await session('ours', startOurServer, 'exit');
  assert.deepEqual([e.reason, e.code], ['server', 0]);
});

test('MoshClient tells the user when nothing comes back from the server', async () => {
  let exit: ClientExit | null = null;
  const screen = new Screen(80, 24);
  let written = Promise.resolve();
  // A port where nothing answers (a closed ephemeral port on loopback).
  const client = new MoshClient(
    { host: '127.0.0.1', port: 9, key: 'AAECAwQFBgcICQoLDA0ODw', cols: 80, rows: 24, connectTimeoutMs: 1500 },
    { screen: (d) => (written = written.then(() => screen.write(d))), exit: (e) => (exit = e) },
  );
  await until(
    async () => (await written, screen.lines()[0].includes('Nothing received from server on UDP port 9.')),
    5_000,
    'the notification',
  );
  assert.equal(client.status().state, 'connecting');
  await until(() => exit !== null, 5_000, 'the give-up');
  assert.equal(exit!.reason, 'no-contact');
  assert.match(exit!.message, /did not make a successful connection to 127\.0\.0\.1:9[\s\S]*UDP port/);
  screen.dispose();
});

test('the "Nothing received" bar shows on a slow first contact and clears once the server answers', async () => {
  const server = await startOurServer({ command: ['/bin/sh'] });
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    toServer: { delayMs: 200 },
    toClient: { delayMs: 200 },
  });
  const screen = new Screen(80, 24);
  let written = Promise.resolve();
  const client = new MoshClient(
    { host: '127.0.0.1', port: relay.port, key: server.key, cols: 80, rows: 24, predict: 'never' },
    { screen: (d) => (written = written.then(() => screen.write(d))) },
  );
  try {
    await until(
      async () => (await written, screen.lines()[0].startsWith('mosh: Nothing received from server')),
      5_000,
      'the connecting notice',
    );
    await until(
      async () => (await written, screen.lines().some((l) => l === '$') && !screen.lines()[0].startsWith('mosh:')),
      10_000,
      'the prompt without the bar',
    );
  } finally {
    await client.close();
    await relay.close();
    screen.dispose();
    server.kill();
  }
});

for (const [label, start] of [
  ['stock mosh-server', startStockServer],
  ['our server', startOurServer],
] as const) {
  test(
    `the user's terminal follows the modes the application sets, through ${label}`,
    label === 'stock mosh-server' ? needs('mosh-server') : {},
    async () => {
      const server = await start({ command: ['/bin/sh'] });
      let out = '';
      const client = new MoshClient(
        { host: '127.0.0.1', port: server.port, key: server.key, cols: 80, rows: 24, predict: 'never' },
        { screen: (d) => (out += d) },
      );
      try {
        await until(() => out.includes('$'), 10_000, 'the prompt');
        assert.ok(
          out.includes('\x1b[?1h'),
          'application cursor keys are on from the start (the server translates arrows)',
        );
        client.input('printf \'\\033[?2004h\\033[?1000h\\033[?1006h\'; echo m""odes\r');
        await until(
          () => ['\x1b[?2004h', '\x1b[?1000h', '\x1b[?1006h'].every((m) => out.includes(m)),
          10_000,
          'bracketed paste and mouse modes on the user terminal',
        );
        const mark = out.length;
        client.input('printf \'\\033[?2004l\\033[?1000l\'; echo o""ff\r');
        await until(
          () => out.slice(mark).includes('\x1b[?2004l') && out.slice(mark).includes('\x1b[?1000l'),
          10_000,
          'the modes turned off again',
        );
      } finally {
        await client.close();
        server.kill();
      }
    },
  );
}

test('a restored session whose server is gone ends with words that say so', async () => {
  const server = await startOurServer({ command: ['/bin/sh'] });
  const first = new MoshClient({
    host: '127.0.0.1',
    port: server.port,
    key: server.key,
    cols: 80,
    rows: 24,
    predict: 'never',
  });
  await until(() => first.status().state === 'connected', 10_000, 'the first client to connect');
  const saved = first.save();
  await first.detach();
  server.kill(); // the host "restarted"
  await until(() => !server.alive(), 5_000, 'the server to die');
  let exit: ClientExit | null = null;
  MoshClient.restore(JSON.parse(JSON.stringify(saved)), { exit: (e) => (exit = e) }, { connectTimeoutMs: 1500 });
  await until(() => exit !== null, 10_000, 'the restored client to give up');
  assert.equal(exit!.reason, 'gone');
  assert.match(exit!.message, /session on 127\.0\.0\.1 is gone/);
});

test("clipboard writes (OSC 52) from the remote reach the user's terminal unless turned off", async () => {
  for (const allow of [true, false]) {
    const server = await startOurServer({ command: ['/bin/sh'] }); // a closed client ends its server's session
    try {
      let out = '';
      const client = new MoshClient(
        {
          host: '127.0.0.1',
          port: server.port,
          key: server.key,
          cols: 80,
          rows: 24,
          predict: 'never',
          allowClipboardWrite: allow,
        },
        { screen: (d) => (out += d) },
      );
      try {
        await until(() => client.status().state === 'connected', 10_000, 'the client to connect');
        const payload = Buffer.from(`secret-${allow}`).toString('base64');
        client.input(`printf '\\033]52;c;${payload}\\007'; echo d""one-${allow}\r`);
        await until(() => out.includes(`done-${allow}`), 10_000, 'the command to finish');
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(
          out.includes(`\x1b]52;c;${payload}`),
          allow,
          `clipboard write ${allow ? 'passed on' : 'withheld'}`,
        );
      } finally {
        await client.close();
      }
    } finally {
      server.kill();
    }
  }
});
