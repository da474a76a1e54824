// The forwarded agent's socket on the remote host: a Unix socket in a private folder (0700, named unpredictably,
// under $TMPDIR or /tmp), the socket itself 0600, whose path the session's shell gets as SSH_AUTH_SOCK, as sshd
// does for `ssh -A`. Each connection to it is handed on (the session opens a channel for it). The folder is removed
// when the session ends, and at the latest when the process exits. Not the channels (channelhost.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Longest Unix socket path that works everywhere (sun_path is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH = 100;

export class AgentSocket {
  private closed = false;
  private readonly onExit = () => this.removeFolder();

  private constructor(
    private readonly server: Server,
    /** The socket's path (SSH_AUTH_SOCK for the session's shell). */
    readonly path: string,
    private readonly folder: string,
  ) {
    process.on('exit', this.onExit);
  }

  /**
   * Listens on a new socket in a new private folder. Returns the socket, or the reason it could not be made (in
   * words, for the user). `onConnection` gets every connection.
   */
  static create(onConnection: (s: Socket) => void, base = tmpdir()): AgentSocket | { error: string } {
    let folder: string | null = null;
    // A long $TMPDIR (macOS) would make the socket's path too long for a Unix socket: /tmp then.
    const root = join(base, 'x').length + 40 > MAX_SOCKET_PATH ? '/tmp' : base;
    try {
      folder = mkdtempSync(join(root, 'vscode-mosh-agent-'));
      chmodSync(folder, 0o700);
      const path = join(folder, `agent.${randomBytes(8).toString('hex')}`);
      const server = createServer({ pauseOnConnect: false }, onConnection);
      server.on('error', () => undefined); // listen errors show as `listening === false` below
      const umask = process.umask(0o177);
      try {
        server.listen(path);
      } finally {
        process.umask(umask);
      }
      if (!server.listening) throw new Error(`cannot listen on ${path}`);
      chmodSync(path, 0o600);
      return new AgentSocket(server, path, folder);
    } catch (e) {
      if (folder !== null) rmSync(folder, { recursive: true, force: true });
      const err = e as NodeJS.ErrnoException;
      return { error: `the server could not create the agent socket in ${root}: ${err.code ?? err.message}` };
    }
  }

  /** Stops listening and removes the folder (connections already made are the channels' to end). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    this.server.close();
    this.removeFolder();
  }

  private removeFolder(): void {
    try {
      rmSync(this.folder, { recursive: true, force: true });
    } catch {
      /* gone already */
    }
  }
}
