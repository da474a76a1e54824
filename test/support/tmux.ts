// A real terminal for tests: a tmux server of the test's own (its own socket), windows of a given size with a large
// history limit, keys sent, and the whole pane read back, history included, as text or with attributes. Test
// support only.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export class Tmux {
  readonly socket = `mosh-test-${process.pid}-${randomBytes(3).toString('hex')}`;

  private run(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A new session running `command` (a shell command line) in a `cols` x `rows` window keeping `history` lines. */
  start(
    name: string,
    command: string,
    cols = 80,
    rows = 24,
    history = 100_000,
    env: Record<string, string> = {},
  ): void {
    // The history limit applies to windows created after it is set: set it on a server kept alive by a stub
    // session, then create the real one.
    if (spawnSync('tmux', ['-L', this.socket, 'has-session'], { stdio: 'ignore' }).status !== 0) {
      this.run(['-f', '/dev/null', 'new-session', '-d', '-s', '_keep', '-x', '20', '-y', '5', 'sleep 3600']);
      this.run(['set-option', '-g', 'history-limit', String(history)]);
      this.run(['set-option', '-g', 'remain-on-exit', 'on']);
    }
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.run(['new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), ...envArgs, command]);
  }

  keys(name: string, ...keys: string[]): void {
    this.run(['send-keys', '-t', name, ...keys]);
  }

  /** Literal text (no key names). */
  type(name: string, text: string): void {
    this.run(['send-keys', '-t', name, '-l', text]);
  }

  /** Every line of the pane, history first, trailing blanks trimmed (with attributes as escapes if `escapes`). */
  lines(name: string, escapes = false): string[] {
    const out = this.run(['capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', name, ...(escapes ? ['-e'] : [])]);
    return out.replace(/\n$/, '').split('\n');
  }

  /** Only the visible screen. */
  screen(name: string): string[] {
    return this.run(['capture-pane', '-p', '-t', name]).replace(/\n$/, '').split('\n');
  }

  /** How many lines the pane's history holds. */
  historySize(name: string): number {
    return Number(this.run(['display-message', '-p', '-t', name, '#{history_size}']).trim());
  }

  /** The pid of the pane's process. */
  pid(name: string): number {
    return Number(this.run(['display-message', '-p', '-t', name, '#{pane_pid}']).trim());
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}
