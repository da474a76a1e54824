// Our mosh server (ServerSession) running inside the test process, so a test can read its authoritative
// framebuffer (`session.emulator.snapshot()`) while a client talks to it over real UDP on loopback.
// Test support only: the deployed server is dist/server.js (see stock.ts startOurServer).
import { rowText, type Snapshot } from '../../src/emulator';
import { bindServerSocket } from '../../src/transport/connection';
import { formatKey, generateKey } from '../../src/transport/key';
import { type ExitReason, ServerSession } from '../../server/session';

export interface InProcServer {
  session: ServerSession;
  port: number;
  /** The 22-character key, as MOSH CONNECT prints it. */
  key: string;
  /** The server's framebuffer now. */
  snapshot(): Snapshot;
  /** The server's screen as trimmed lines. */
  lines(): string[];
  /**
   * Ends the session at once (no handshake: close the client first for a clean end) and waits until the shell is
   * killed and the socket closed.
   */
  stop(): Promise<ExitReason | 'timeout'>;
}

export interface InProcServerOptions {
  command?: string[];
  cwd?: string;
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
}

export async function startInProcServer(opts: InProcServerOptions = {}): Promise<InProcServer> {
  const key = generateKey();
  // eslint-disable-next-line prefer-const
  let session: ServerSession;
  const bound = await bindServerSocket({
    address: '127.0.0.1',
    ports: [0, 0],
    onMessage: (m, f) => session.receive(m, f),
  });
  const [file, ...args] = opts.command ?? ['/bin/sh'];
  session = new ServerSession({
    key,
    socket: bound.socket,
    family: bound.family,
    file,
    args,
    env: { ...process.env, PS1: '$ ', ENV: '', TERM: 'xterm-256color', LANG: 'C.UTF-8', ...opts.env } as Record<
      string,
      string
    >,
    cwd: opts.cwd ?? '/tmp',
    cols: opts.cols ?? 80,
    rows: opts.rows ?? 24,
    networkTimeout: 0,
    signalTimeout: 0,
    log: () => undefined,
  });
  session.start();
  let ended: ExitReason | null = null;
  void session.done.then((r) => (ended = r));
  const snapshot = () => session.emulator.snapshot();
  return {
    session,
    port: bound.port,
    key: formatKey(key),
    snapshot,
    lines: () => {
      const s = snapshot();
      return Array.from({ length: s.rows }, (_, y) => rowText(s, y).trimEnd());
    },
    stop: async () => {
      if (ended === null) {
        session.terminate(); // begins the shutdown (or finishes at once if no client ever came) ...
        session.terminate(); // ... and a second signal, like a second SIGTERM, finishes without waiting
      }
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        session.done,
        new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), 15_000))),
      ]);
      clearTimeout(timer);
      return r;
    },
  };
}
