// A busy agent-forwarding channel for the client benchmarks' --busy-channel (echo, interrupt): a stand-in local
// agent that echoes everything it reads, and a program for the session that keeps two connections to the forwarded
// agent's socket writing as fast as the channel takes bytes and reading what comes back, so channel bytes flow both
// ways for the whole run. Lives in bench/lib/ so `npm run bench` does not list it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeAgent, startFakeAgent } from '../../test/support/sshagent';

const FLOODER = `
const net = require('net');
for (let i = 0; i < 2; i++) {
  const s = net.connect(process.env.SSH_AUTH_SOCK);
  const b = Buffer.alloc(16384, 0x61 + i);
  const w = () => { while (s.write(b)); s.once('drain', w); };
  s.on('connect', w);
  s.on('data', () => undefined);
  s.on('error', () => process.exit(0));
  s.on('close', () => process.exit(0));
}
`;

export interface BusyChannel {
  /** SSH_AUTH_SOCK for the client (the echoing agent). */
  agentSock: string;
  /** A shell command that floods the session's forwarded agent socket, for `sh -c "FLOOD & ..."`. */
  floodCommand: string;
  /** Bytes the local agent has read so far (the channel's server -> client traffic; as much goes back). */
  bytes(): number;
  stop(): Promise<void>;
}

export async function startBusyChannel(): Promise<BusyChannel> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-bench-busy-'));
  const script = join(dir, 'flood.js');
  writeFileSync(script, FLOODER);
  const agent: FakeAgent = await startFakeAgent('echo');
  return {
    agentSock: agent.sock,
    floodCommand: `${process.execPath} ${script} >/dev/null 2>&1`,
    bytes: () => agent.bytesRead,
    stop: async () => {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
