// A program on the remote host that floods the forwarded agent's socket (four connections writing as fast as they
// can) neither stalls typing nor grows either side's memory without bound: dist/cli.js client -A (its own process,
// on a pty) and our server (its own process) through a relay with a 100 ms round trip (a 50 ms frame interval, so
// a keystroke held back by channel traffic would show), a stand-in local agent that echoes everything (the channel
// busy both ways) or never reads (everything backs up to its bounds). Keystrokes echo as fast as when the channel
// is idle; both processes' RSS, sampled from /proc while the flood runs, stays within a bound and stops growing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../support/clirun';
import { ImpairmentRelay } from '../support/relay';
import { startFakeAgent } from '../support/sshagent';
import { startOurServer, until } from '../support/stock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLOOD_S = 12;
const RTT_MS = 100;
/** RSS growth allowed over the idle session, per process (the channel buffers are ~100 KiB per channel). */
const RSS_BOUND_MB = 48;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const FLOODER = `
const net = require('net');
for (let i = 0; i < 4; i++) {
  const s = net.connect(process.env.SSH_AUTH_SOCK);
  const b = Buffer.alloc(65536, 0x41 + i);
  const w = () => { while (s.write(b)); s.once('drain', w); };
  s.on('connect', w);
  s.on('data', () => undefined);
  s.on('error', () => undefined);
}
setTimeout(() => process.exit(0), ${(FLOOD_S + 30) * 1000});
`;

async function flood(mode: 'echo' | 'stall', t: TestContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-flood-'));
  writeFileSync(join(dir, 'flood.js'), FLOODER);
  const agent = await startFakeAgent(mode);
  const server = await startOurServer({ command: ['/bin/sh'], env: { HOME: dir, PS1: '$ ', ENV: '' } });
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    toServer: { delayMs: RTT_MS / 2 },
    toClient: { delayMs: RTT_MS / 2 },
  });
  const r = runCli(['client', '-A', '--predict=never', '127.0.0.1', String(relay.port)], {
    env: { MOSH_KEY: server.key, SSH_AUTH_SOCK: agent.sock, HOME: dir },
  });
  /** Milliseconds from typing a letter to seeing it on the screen, for a few letters typed like a person. */
  const typingLatencies = async (word: string): Promise<number[]> => {
    const out: number[] = [];
    const mark = `ready-${word}`;
    r.type(`clear; echo ${mark}\r`);
    await r.waitFor((l) => l[0] === mark && l[1] === '$', 'a clear screen and a prompt');
    let line = '$ ';
    for (const ch of word) {
      line += ch;
      const want = line;
      const t0 = Date.now();
      r.type(ch);
      await r.waitFor((l) => l[1] === want, `"${ch}" to echo`, 10_000);
      out.push(Date.now() - t0);
      await sleep(80 + Math.random() * 60);
    }
    r.type('\x15'); // kill the line
    return out;
  };
  try {
    await r.waitFor((l) => l.some((x) => x.startsWith('$')), 'the prompt', 20_000);
    const idle = await typingLatencies('typing');
    const base = { client: rssMb(r.proc.pid), server: rssMb(server.pid) };
    r.type(`clear; ${process.execPath} ${join(dir, 'flood.js')} &\r`);
    await until(() => agent.connections >= 4, 10_000, 'the flood to reach the local agent');
    const peak = { client: 0, server: 0 };
    const samples: { client: number; server: number }[] = [];
    for (let i = 0; i < FLOOD_S * 2; i++) {
      await sleep(500);
      const s = { client: rssMb(r.proc.pid), server: rssMb(server.pid) };
      samples.push(s);
      peak.client = Math.max(peak.client, s.client);
      peak.server = Math.max(peak.server, s.server);
    }
    const busy = await typingLatencies('keystrokes');
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const report = { mode, idle_ms: idle, busy_ms: busy, base, peak, agentBytesRead: agent.bytesRead };
    t.diagnostic(JSON.stringify(report));
    if (mode === 'echo') assert.ok(agent.bytesRead > 200_000, `the channel was busy: ${JSON.stringify(report)}`);
    else assert.ok(agent.bytesRead === 0, 'the stalled agent read nothing');
    assert.ok(median(busy) <= median(idle) + 10, `typing echoes as promptly as when idle: ${JSON.stringify(report)}`);
    // (One keystroke may wait one frame interval, RTT / 2, behind a resend, as it may when idle.)
    assert.ok(Math.max(...busy) < RTT_MS + 80, `no keystroke held back: ${JSON.stringify(report)}`);
    for (const side of ['client', 'server'] as const) {
      assert.ok(
        peak[side] - base[side] < RSS_BOUND_MB,
        `${side} RSS stays within ${RSS_BOUND_MB} MiB of the idle session: ${JSON.stringify(report)}`,
      );
      const firstHalf = Math.max(...samples.slice(0, samples.length / 2).map((s) => s[side]));
      const secondHalf = Math.max(...samples.slice(samples.length / 2).map((s) => s[side]));
      assert.ok(secondHalf - firstHalf < 12, `${side} RSS stops growing: ${JSON.stringify(report)}`);
    }
  } finally {
    await r.stop();
    await relay.close();
    await until(() => !server.alive(), 10_000, 'the server to exit').catch(() => server.kill());
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a flood through the agent socket, echoed by the local agent: typing stays prompt, both sides' memory stays bounded", async (t) => {
  await flood('echo', t);
});

test("a flood through the agent socket to a local agent that never reads: typing stays prompt, both sides' memory stays bounded", async (t) => {
  await flood('stall', t);
});
