// The local end of a forwarded-agent channel: a connection to the user's own ssh agent, and nothing else. The
// agent is the one the user named (ForwardAgent PATH, IdentityAgent) or the usual one: SSH_AUTH_SOCK, and on
// Windows the OpenSSH agent's pipe, then Pageant. A socket or pipe agent gets the channel's bytes as they are (a
// plain relay: every agent message works, constraints and extensions included, and nothing here parses what the
// remote side sends); Pageant speaks no socket, so the ssh layer provides a stream that translates the two requests
// it serves (list keys, sign) with ssh2's agent support. Without any agent that answers, requests get
// SSH_AGENT_FAILURE at once (FailingAgent), so a program on the remote host is told "no" instead of waiting.
// Not the channel (channels.ts) nor the choice of whether to forward (the front ends and ssh/agentforward.ts).
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import type { LocalStream } from './channels';

/** Which agent to forward. */
export interface ForwardAgentTarget {
  /**
   * The agent's socket or pipe path, "pageant", or "none" (forward, but answer every request with failure);
   * undefined: SSH_AUTH_SOCK, else on Windows the OpenSSH agent's pipe, then Pageant (read at each connection).
   */
  path?: string;
}

export interface AgentRelayOptions {
  target: ForwardAgentTarget;
  /** A stream speaking the agent protocol to Pageant (default: the one setPageantProvider gave, if any). */
  pageant?: () => LocalStream;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

let pageantProvider: (() => LocalStream) | undefined;

/**
 * Where Pageant connections come from (Windows): a front end that has the ssh layer sets it once (ssh2's Pageant
 * support lives there; the client itself never loads ssh2).
 */
export function setPageantProvider(p: (() => LocalStream) | undefined): void {
  pageantProvider = p;
}

export const WINDOWS_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';
/** Longest agent message FailingAgent reads (OpenSSH's agent takes up to 256 KiB); a longer one ends the stream. */
export const MAX_AGENT_MESSAGE = 256 << 10;
const SSH_AGENT_FAILURE = Buffer.from([0, 0, 0, 1, 5]);

/** The agents to try, in order, for one connection. */
export function agentCandidates(
  target: ForwardAgentTarget,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string[] {
  if (target.path !== undefined) return target.path.toLowerCase() === 'none' ? [] : [target.path];
  const out: string[] = [];
  if (env.SSH_AUTH_SOCK) out.push(env.SSH_AUTH_SOCK);
  if (platform === 'win32') out.push(WINDOWS_AGENT_PIPE, 'pageant');
  return out;
}

/**
 * A connection to the user's agent for one channel: the first candidate that accepts it, else a FailingAgent.
 * Never rejects.
 */
export async function openAgent(o: AgentRelayOptions): Promise<LocalStream> {
  for (const c of agentCandidates(o.target, o.env, o.platform)) {
    if (c.toLowerCase() === 'pageant') {
      const pageant = o.pageant ?? pageantProvider;
      if (pageant) {
        try {
          return pageant();
        } catch {
          continue;
        }
      }
      continue;
    }
    const s = await connectTo(c);
    if (s) return s;
  }
  return new FailingAgent();
}

function connectTo(path: string): Promise<LocalStream | null> {
  return new Promise((resolve) => {
    const s = netConnect(path);
    const fail = () => {
      s.destroy();
      resolve(null);
    };
    s.once('error', fail);
    s.once('connect', () => {
      s.off('error', fail);
      resolve(s);
    });
  });
}

/** An agent that answers every request with SSH_AGENT_FAILURE (no agent to forward to). */
export class FailingAgent extends Duplex {
  private buf: Buffer = Buffer.alloc(0);

  constructor() {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n > MAX_AGENT_MESSAGE) {
        this.buf = Buffer.alloc(0);
        this.destroy();
        return done();
      }
      if (this.buf.length < 4 + n) break;
      this.buf = this.buf.subarray(4 + n);
      this.push(SSH_AGENT_FAILURE);
    }
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.push(null);
    done();
  }

  override _read(): void {
    /* answers are pushed as requests arrive */
  }
}
