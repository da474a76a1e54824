// A real ssh-agent for agent-forwarding tests (TESTING.md, "ssh-agent in tests"): started by the test on its own
// socket with one fresh ed25519 key added, killed by stop(); and stand-in agents on Unix sockets for tests that
// need a misbehaving one (one that echoes, or never reads). Test support only.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './stock';
import { which } from './peers';

export interface SshAgent {
  /** SSH_AUTH_SOCK for the client. */
  sock: string;
  /** The key it holds: its private key file, public key line and SHA256 fingerprint. */
  key: string;
  pub: string;
  fingerprint: string;
  stop(): Promise<void>;
}

export async function startSshAgent(): Promise<SshAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-agent-test-'));
  const sock = join(dir, 'agent.sock');
  const key = join(dir, 'id_ed25519');
  execFileSync(which('ssh-keygen')!, ['-q', '-t', 'ed25519', '-N', '', '-C', 'forwarded-test-key', '-f', key]);
  const child = spawn(which('ssh-agent')!, ['-D', '-a', sock], { stdio: 'ignore' });
  const env = { ...process.env, SSH_AUTH_SOCK: sock };
  await until(
    () => {
      try {
        execFileSync(which('ssh-add')!, ['-l'], { env, stdio: 'ignore' });
        return true;
      } catch (e) {
        return (e as { status?: number }).status === 1; // 1: "no identities" (the agent answers); 2: cannot connect
      }
    },
    5000,
    'ssh-agent to listen',
  );
  execFileSync(which('ssh-add')!, [key], { env, stdio: 'ignore' });
  const fingerprint = execFileSync(which('ssh-keygen')!, ['-l', '-E', 'sha256', '-f', `${key}.pub`])
    .toString()
    .split(/\s+/)[1];
  const pub = execFileSync('cat', [`${key}.pub`])
    .toString()
    .trim();
  return {
    sock,
    key,
    pub,
    fingerprint,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FakeAgent {
  sock: string;
  /** Connections so far, and bytes read from them. */
  connections: number;
  bytesRead: number;
  stop(): Promise<void>;
}

/**
 * A stand-in agent on a Unix socket: 'echo' writes back what it reads (a busy channel both ways), 'sink' reads
 * and drops, 'stall' never reads (the channel backs up to its bounds).
 */
export async function startFakeAgent(mode: 'echo' | 'sink' | 'stall'): Promise<FakeAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-fake-agent-'));
  const sock = join(dir, 'agent.sock');
  const sockets = new Set<Socket>();
  const fake: FakeAgent = {
    sock,
    connections: 0,
    bytesRead: 0,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const server: Server = createServer((s) => {
    fake.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if (mode === 'stall') {
      s.pause();
      return;
    }
    s.on('data', (d) => {
      fake.bytesRead += d.length;
      if (mode === 'echo' && !s.write(d)) {
        s.pause();
        s.once('drain', () => s.resume());
      }
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return fake;
}

/** A login from inside the session back to the sshd that can only succeed through an agent. */
export function innerLogin(port: number, user: string, extra = ''): string {
  return (
    `${extra}ssh -F /dev/null -o BatchMode=yes -o IdentityFile=/nonexistent/key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ` +
    `-o LogLevel=ERROR -p ${port} ${user}@127.0.0.1 'echo inner-$((6*7))-login'; echo "rc=$?"`
  );
}
