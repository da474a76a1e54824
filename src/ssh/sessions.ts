// Our mosh sessions on a host, seen over ssh: lists the running servers (each one's daemon names itself
// "vscode-mosh-server port=N" in ps) and ends the ones asked for with SIGTERM (the server then runs the shutdown
// handshake with an attached client, or exits at once). For finding sessions no panel owns any more. Stock
// mosh-server sessions are not ours to list.
import { resolveHost, type ResolveOptions } from './config';
import { connectSsh } from './connect';
import type { Prompter } from './prompt';
import { runRemote } from './exec';
import { cancelledError } from './timeouts';

/** The marker our server's daemon puts in its process title, followed by its UDP port. */
export const PROCESS_TITLE_PREFIX = 'vscode-mosh-server port=';

/** Run by sh whatever the login shell is (csh and old fish have no "$(...)"). */
const PS = `sh -c 'ps -o pid=,etime=,args= -u "$(id -u)"'`;

export interface RemoteSession {
  pid: number;
  port: number;
  /** Seconds since the server started. */
  ageSeconds: number;
}

/** `ps -o pid=,etime=,args=` output to our sessions. etime is [[dd-]hh:]mm:ss. */
export function parseSessions(ps: string): RemoteSession[] {
  const out: RemoteSession[] = [];
  for (const line of ps.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const title = new RegExp(`${PROCESS_TITLE_PREFIX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)`).exec(m[6]);
    if (!title) continue;
    const [d, h, min, sec] = [m[2], m[3], m[4], m[5]].map((x) => Number(x ?? 0));
    out.push({ pid: Number(m[1]), port: Number(title[1]), ageSeconds: ((d * 24 + h) * 60 + min) * 60 + sec });
  }
  return out;
}

export interface SessionsOptions {
  prompter: Prompter;
  resolve?: ResolveOptions;
  log?: (line: string) => void;
  /** Cancels: rejects with BootstrapError('cancelled') and closes the connection. */
  signal?: AbortSignal;
}

async function withSsh<T>(
  target: string,
  o: SessionsOptions,
  work: (run: (cmd: string) => Promise<string>, ip: string) => Promise<T>,
): Promise<T> {
  const host = resolveHost(target, o.resolve);
  const conn = await connectSsh(host, { prompter: o.prompter, resolve: o.resolve, log: o.log, signal: o.signal });
  try {
    const cancelled = () => cancelledError(host.hostname);
    return await work(
      async (cmd) =>
        (await runRemote(conn.client, cmd, { lost: conn.lost, signal: o.signal, cancelledError: cancelled })).stdout,
      conn.peerAddress,
    );
  } finally {
    conn.close();
  }
}

/** Our sessions running on `target` for the ssh user, and the address their UDP ports are on. */
export function listRemoteSessions(
  target: string,
  o: SessionsOptions,
): Promise<{ ip: string; sessions: RemoteSession[] }> {
  return withSsh(target, o, async (run, ip) => ({ ip, sessions: parseSessions(await run(PS)) }));
}

/** Ends the given sessions (only pids that are ours: the list is checked again on the host). */
export function endRemoteSessions(target: string, pids: number[], o: SessionsOptions): Promise<number[]> {
  return withSsh(target, o, async (run) => {
    const ours = new Set(parseSessions(await run(PS)).map((s) => s.pid));
    const ended = pids.filter((p) => ours.has(p));
    if (ended.length) await run(`kill -TERM ${ended.join(' ')}`);
    return ended;
  });
}
