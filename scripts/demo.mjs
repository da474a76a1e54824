// `npm start [-- --rtt MS --loss FRACTION --predict MODE]`: a mosh session on this machine with no ssh. Starts
// our server (dist/server.js) on loopback, the userspace impairment relay in front of it (delay and loss each
// way), and our client (dist/cli.js) in this terminal, so predictive echo on a bad link can be seen at once.
// Ctrl-^ . quits. Everything it starts stops with it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const rtt = Number(opt('rtt', '300'));
const loss = Number(opt('loss', '0.05'));
const predict = opt('predict', 'adaptive');
if (!process.stdin.isTTY) {
  console.error('npm start runs an interactive terminal session: run it in a terminal.');
  process.exit(1);
}

function firstLine(child, re, what) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (l) => {
      const m = re.exec(l);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}

const server = spawn(process.execPath, ['dist/server.js', 'new', '-i', '127.0.0.1', '-p', '0'], {
  stdio: ['ignore', 'pipe', 'ignore'],
  env: { ...process.env, MOSH_SERVER_NETWORK_TMOUT: '600' },
});
const [, port, key] = await firstLine(server, /^MOSH CONNECT (\d+) (\S{22})$/, 'the server');
const relay = spawn(
  process.execPath,
  [
    'build/test/support/relay-cli.js',
    '--to',
    port,
    '--delay',
    String(rtt / 2),
    '--loss',
    String(loss),
    '--max-seconds',
    '3600',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [, relayLine] = await firstLine(relay, /^(\{"port".*)$/, 'the relay');
const relayPort = JSON.parse(relayLine).port;
process.stderr.write(
  `mosh demo: our server on 127.0.0.1:${port}, link ${rtt} ms RTT with ${loss * 100} % loss each way, prediction ${predict}. Ctrl-^ . quits.\n`,
);
await new Promise((r) => setTimeout(r, 800));
// node's flags from dist/cli.js's first line (`#!/usr/bin/env -S node FLAGS`), as running it as a program gives them
const cliFlags = (
  /^#!\/usr\/bin\/env -S node(.*)$/.exec(readFileSync('dist/cli.js', 'utf8').split('\n', 1)[0])?.[1] ?? ''
)
  .split(' ')
  .filter(Boolean);
const client = spawn(
  process.execPath,
  [...cliFlags, 'dist/cli.js', 'client', `--predict=${predict}`, '127.0.0.1', String(relayPort)],
  { stdio: 'inherit', env: { ...process.env, MOSH_KEY: key } },
);
client.on('exit', (code) => {
  relay.kill('SIGTERM');
  process.exit(code ?? 1);
});
