// dist/cli.js (client or connect) on a pseudo-terminal, its output rendered into a headless screen: for end-to-end
// tests that need the client as its own process (to stop it, to measure it) or the whole command line. Test
// support only.
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { Screen, until } from './stock';

export const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

export interface CliRun {
  proc: pty.IPty;
  screen: Screen;
  /** Everything written to the terminal so far. */
  raw(): string;
  /** The screen once everything written so far is rendered. */
  lines(): Promise<string[]>;
  type(text: string): void;
  waitFor(pred: (lines: string[]) => boolean, what: string, ms?: number): Promise<void>;
  exitCode(): number | null;
  exit: Promise<number>;
  /** Ctrl-^ . then SIGKILL after a grace period; frees the screen. */
  stop(): Promise<void>;
}

export function runCli(
  args: string[],
  o: { env?: Record<string, string>; cols?: number; rows?: number; cwd?: string } = {},
): CliRun {
  const cols = o.cols ?? 120;
  const rows = o.rows ?? 30;
  const screen = new Screen(cols, rows);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    MOSH_NO_TERM_INIT: '1',
    ...o.env,
  };
  const proc = pty.spawn(process.execPath, [CLI, ...args], {
    name: 'xterm-256color',
    cols,
    rows,
    env,
    cwd: o.cwd ?? process.cwd(),
  });
  let raw = '';
  let pending = Promise.resolve();
  let code: number | null = null;
  proc.onData((d) => {
    raw += d;
    pending = pending.then(() => screen.write(d));
  });
  const exit = new Promise<number>((r) =>
    proc.onExit((e) => {
      code = e.exitCode;
      r(e.exitCode);
    }),
  );
  const lines = async () => (await pending, screen.lines());
  const run: CliRun = {
    proc,
    screen,
    raw: () => raw,
    lines,
    type: (t) => proc.write(t),
    exitCode: () => code,
    exit,
    waitFor: async (pred, what, ms = 15_000) => {
      try {
        await until(async () => pred(await lines()), ms, what);
      } catch (e) {
        throw new Error(
          `${(e as Error).message}; the screen shows:\n${(await lines()).map((l) => `|${l}`).join('\n')}`,
        );
      }
    },
    stop: async () => {
      if (code === null) {
        try {
          proc.write('\x1e.');
        } catch {
          /* gone */
        }
        await Promise.race([exit, new Promise((r) => setTimeout(r, 5000).unref())]);
      }
      if (code === null) {
        try {
          proc.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
      await pending;
      screen.dispose();
    },
  };
  return run;
}
