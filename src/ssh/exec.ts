// Runs one command on the remote host over an ssh exec channel, so that it can neither hang the bootstrap nor
// leave processes behind. The channel has a pseudo-terminal, as the stock `mosh` wrapper's `ssh -tt` has: when we
// give up on it (timeout, cancel) and close it, the remote kernel hangs up the terminal and the login shell's
// whole session (a .bashrc stuck in `sleep`, our script, a server that never got going) gets SIGHUP; before
// closing we also send the session a KILL signal request (OpenSSH signals the session's process group), which
// is what ends it on a server that refuses terminals. Two deadlines: the login (until `started(output)` holds:
// the shell's startup files are done and our script runs) and the run (until the channel closes or `until`
// holds). A pty merges stderr into stdout and ends lines with CRLF. Not what the command is (remote.ts).

import type { Client, ClientChannel } from 'ssh2';
import { BootstrapError } from './errors';
import { DEFAULT_TIMEOUTS, seconds } from './timeouts';

export interface ExecResult {
  /** Everything the command printed (with a pty, its stderr too). */
  stdout: string;
  stderr: string;
  code: number | null;
  /** Whether the command ran on a pseudo-terminal. */
  pty: boolean;
}

export type ExecStage = 'login' | 'run';

export interface ExecOptions {
  /** Ask for a pseudo-terminal (default true); without one if the server refuses it. */
  pty?: boolean;
  /** The login is over when this holds for the output so far (default: as soon as anything is printed). */
  started?: (stdout: string) => boolean;
  /** Resolve as soon as this holds (then the channel is left `graceMs` to finish by itself). */
  until?: (stdout: string) => boolean;
  graceMs?: number;
  /** Deadline for the login stage (default 30 s) and for the rest (default 30 s). */
  loginMs?: number;
  runMs?: number;
  /** The error for a deadline that passed (default: generic words). */
  timeoutError?: (stage: ExecStage, stdout: string) => BootstrapError;
  /** Cancels: the remote side is ended and the promise rejects with `cancelledError()`. */
  signal?: AbortSignal;
  cancelledError?: () => BootstrapError;
  /** The connection's `lost` promise (connect.ts): rejects with its reason when the link dies meanwhile. */
  lost?: Promise<BootstrapError>;
}

/** The terminal we ask for: "dumb", so startup files print no colours or cursor movement into what we parse. */
const PTY = { term: 'dumb', cols: 80, rows: 24 };

function openExec(client: Client, command: string, pty: boolean): Promise<{ ch: ClientChannel; pty: boolean }> {
  return new Promise((resolve, reject) => {
    const plain = () => client.exec(command, (err, ch) => (err ? reject(err) : resolve({ ch, pty: false })));
    if (!pty) return plain();
    client.exec(command, { pty: PTY }, (err, ch) => {
      if (!err) return resolve({ ch, pty: true });
      if (/pseudo-terminal/i.test(err.message)) return plain(); // PermitTTY no, or a no-pty key
      reject(err);
    });
  });
}

/** Ends the remote side of a channel we give up on: KILL to its process group, then close (SIGHUP via the pty). */
export function abandonChannel(ch: ClientChannel): void {
  try {
    ch.signal('KILL');
  } catch {
    /* the channel is already closing */
  }
  try {
    ch.close();
  } catch {
    /* already closed */
  }
}

/** Runs `command`; resolves with its output when it ends (or `until` held), rejects with a BootstrapError. */
export function runRemote(client: Client, command: string, o: ExecOptions = {}): Promise<ExecResult> {
  const loginMs = o.loginMs ?? DEFAULT_TIMEOUTS.loginMs;
  const runMs = o.runMs ?? DEFAULT_TIMEOUTS.startMs;
  const timeoutError =
    o.timeoutError ??
    ((stage: ExecStage) =>
      new BootstrapError(
        'timeout',
        stage === 'login'
          ? `The remote login did not answer within ${seconds(loginMs)}.`
          : `The remote command did not finish within ${seconds(runMs)}.`,
      ));
  const cancelled = o.cancelledError ?? (() => new BootstrapError('cancelled', 'Cancelled.'));
  return new Promise((resolve, reject) => {
    let done = false;
    let ch: ClientChannel | null = null;
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let usedPty = false;
    let stage: ExecStage = 'login';
    let timer: NodeJS.Timeout | null = null;
    let grace: NodeJS.Timeout | null = null;
    let lostReason: BootstrapError | null = null;
    const settle = (f: () => void) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (grace) clearTimeout(grace);
      o.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const fail = (e: BootstrapError) =>
      settle(() => {
        if (ch) abandonChannel(ch);
        reject(e);
      });
    const arm = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => fail(timeoutError(stage, stdout)), ms);
    };
    const onAbort = () => fail(cancelled());
    if (o.signal?.aborted) return reject(cancelled());
    o.signal?.addEventListener('abort', onAbort, { once: true });
    o.lost?.then((e) => {
      lostReason = e;
      fail(e);
    });
    arm(loginMs);
    openExec(client, command, o.pty ?? true).then(
      (opened) => {
        ch = opened.ch;
        usedPty = opened.pty;
        if (done) return abandonChannel(opened.ch);
        const finish = () => settle(() => resolve({ stdout, stderr, code, pty: usedPty }));
        ch.on('data', (d: Buffer) => {
          stdout += d.toString('utf8');
          if (stage === 'login' && (o.started ? o.started(stdout) : stdout.length > 0)) {
            stage = 'run';
            arm(runMs);
          }
          if (o.until && !grace && o.until(stdout)) {
            if (timer) clearTimeout(timer);
            grace = setTimeout(finish, o.graceMs ?? 1000);
          }
        });
        ch.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        ch.on('exit', (c: number | null) => (code = c));
        ch.on('close', () => {
          // a channel closed by a dying connection: say so, rather than show the half output as the command's
          if (code === null && !grace) setTimeout(() => (lostReason ? fail(lostReason) : finish()), 100);
          else finish();
        });
      },
      (err: Error) =>
        fail(lostReason ?? new BootstrapError('ssh', `ssh: the remote command could not be started: ${err.message}`)),
    );
  });
}
