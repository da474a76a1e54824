// Runs Debian's stock mosh-client on a pty (node-pty) and mirrors its output into a headless screen, so tests
// can type into it and read cells. Test support only.
import * as pty from '@lydell/node-pty';
import { Screen, until } from './stock';

export interface StockClient {
  proc: pty.IPty;
  screen: Screen;
  settled(): Promise<void>;
  exitCode(): number | null;
  raw(): string;
  type(text: string): void;
  resize(cols: number, rows: number): void;
  /** Waits until the screen text matches. */
  waitText(pred: (text: string, lines: string[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): void;
}

export function startStockClient(
  port: number,
  key: string,
  cols: number,
  rows: number,
  extraEnv: Record<string, string> = {},
): StockClient {
  const screen = new Screen(cols, rows);
  const proc = pty.spawn('mosh-client', ['127.0.0.1', String(port)], {
    name: 'xterm-256color',
    cols,
    rows,
    env: {
      ...process.env,
      MOSH_KEY: key,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      MOSH_PREDICTION_DISPLAY: 'never',
      MOSH_NO_TERM_INIT: '1',
      MOSH_TITLE_NOPREFIX: '1',
      ...extraEnv,
    },
  });
  let written = Promise.resolve();
  let raw = '';
  proc.onData((d) => {
    raw += d;
    written = written.then(() => screen.write(d));
  });
  let exitCode: number | null = null;
  proc.onExit((e) => (exitCode = e.exitCode));
  const settled = () => written;
  return {
    proc,
    screen,
    settled,
    exitCode: () => exitCode,
    raw: () => raw,
    type: (text) => proc.write(text),
    resize: (c, r) => {
      proc.resize(c, r);
      screen.term.resize(c, r);
    },
    waitText: async (pred, timeoutMs, what) => {
      try {
        await until(async () => (await settled(), pred(screen.text(), screen.lines())), timeoutMs, what);
      } catch (e) {
        throw new Error(
          `${(e as Error).message}; the screen shows:\n${screen
            .lines()
            .map((l) => `|${l}`)
            .join('\n')}`,
        );
      }
    },
    close: () => {
      try {
        proc.kill();
      } catch {
        /* exited */
      }
      screen.dispose();
    },
  };
}
