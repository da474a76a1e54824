// Our MoshClient in the test process, drawing into two stand-ins for the user's terminal that are fed the very
// same bytes: a headless xterm (Screen: cell attributes as xterm itself reports them) and our Emulator (a
// Snapshot, cell-exact comparable with a server's framebuffer). Test support only.
import { Emulator, rowsEqual, rowText, type Snapshot } from '../../src/emulator';
import { type ClientExit, MoshClient, type MoshClientEvents, type MoshClientOptions } from '../../src/client';
import { Screen, until } from './stock';

export interface OurClient {
  client: MoshClient;
  screen: Screen;
  /** Everything the client drew, parsed by our emulator. */
  emulator: Emulator;
  /** Resolves when every byte drawn so far is in `screen`. */
  settled(): Promise<void>;
  /** The newest server framebuffer the client has received (its copy of the server's state). */
  received(): Snapshot;
  exit(): ClientExit | null;
  /** The text of every byte the client drew, in order. */
  raw(): string;
  type(text: string): void;
  /**
   * Types `text` and resolves, once it has been sent, with the number of the user-input state that carries it
   * (the first state sent after typing: a state with new input is never an empty ack).
   */
  typeTracked(text: string, timeoutMs?: number): Promise<bigint>;
  /** Waits until the newest server state's echo-ack covers user state `num`: the server applied it 50 ms ago. */
  waitEchoAck(num: bigint, timeoutMs: number, what: string): Promise<void>;
  /** Waits until `pred` holds for the screen (settled), or throws with the screen in the message. */
  waitScreen(pred: (lines: string[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Is cell (x, y) of the screen underlined? */
  underlined(x: number, y: number): boolean;
  /** Closes the session with the handshake (bounded) and frees the screens. */
  close(): Promise<void>;
}

export function startOurClient(
  opts: Omit<MoshClientOptions, 'cols' | 'rows'> & { cols?: number; rows?: number },
  events: MoshClientEvents = {},
): OurClient {
  const cols = opts.cols ?? 80;
  const rows = opts.rows ?? 24;
  const screen = new Screen(cols, rows);
  const emulator = new Emulator(cols, rows);
  let written = Promise.resolve();
  let raw = '';
  let exit: ClientExit | null = null;
  const client = new MoshClient(
    { ...opts, cols, rows },
    {
      ...events,
      screen: (d) => {
        raw += d;
        emulator.write(d);
        written = written.then(() => screen.write(d));
      },
      exit: (e) => {
        exit = e;
        events.exit?.(e);
      },
    },
  );
  const settled = () => written;
  let closed = false;
  return {
    client,
    screen,
    emulator,
    settled,
    received: () => client.transport.latestRemote().state.snapshot,
    exit: () => exit,
    raw: () => raw,
    type: (text) => client.input(text),
    typeTracked: async (text, timeoutMs = 5_000) => {
      const before = client.transport.sender.sentStateLast;
      client.input(text);
      await until(
        () => client.transport.sender.sentStateLast > before,
        timeoutMs,
        `the state carrying ${JSON.stringify(text)} to be sent`,
      );
      return before + 1n; // the next state after the last one sent
    },
    waitEchoAck: (num, timeoutMs, what) =>
      until(() => client.transport.latestRemote().state.echoAck >= num, timeoutMs, what),
    waitScreen: async (pred, timeoutMs, what) => {
      try {
        await until(async () => (await settled(), pred(screen.lines())), timeoutMs, what);
      } catch (e) {
        throw new Error(
          `${(e as Error).message}; the client's screen shows:\n${screen
            .lines()
            .map((l) => `|${l}`)
            .join('\n')}`,
        );
      }
    },
    underlined: (x, y) => {
      const b = screen.term.buffer.active;
      return (
        b
          .getLine(b.viewportY + y)
          ?.getCell(x)
          ?.isUnderline() === 1
      );
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (exit === null) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([client.close(), new Promise((r) => (timer = setTimeout(r, 15_000)))]);
        clearTimeout(timer);
      }
      await settled();
      screen.dispose();
      emulator.dispose();
    },
  };
}

/** The rows of `s` as trimmed text. */
export function snapshotLines(s: Snapshot): string[] {
  return Array.from({ length: s.rows }, (_, y) => rowText(s, y).trimEnd());
}

/**
 * Differences between two framebuffers, cell for cell (text, width and rendition) and the cursor (position and
 * visibility), as readable lines; [] when they show the same. Wrap flags, modes and titles are not compared (the
 * client keeps its own terminal's modes, and how a row was reached does not show).
 */
export function screenDiff(actual: Snapshot, expected: Snapshot): string[] {
  const out: string[] = [];
  if (actual.cols !== expected.cols || actual.rows !== expected.rows)
    return [`size ${actual.cols}x${actual.rows} != ${expected.cols}x${expected.rows}`];
  for (let y = 0; y < actual.rows; y++) {
    const a = actual.lines[y];
    const e = expected.lines[y];
    if (rowsEqual(a.withWraps(false), e.withWraps(false))) continue;
    for (let x = 0; x < actual.cols; x++) {
      const wa = a.widths === null ? '1' : a.widths[x];
      const we = e.widths === null ? '1' : e.widths[x];
      if (a.text[x] !== e.text[x] || a.style[x] !== e.style[x] || wa !== we) {
        out.push(
          `row ${y} col ${x}: ${JSON.stringify([a.text[x], a.style[x], wa])} != ${JSON.stringify([e.text[x], e.style[x], we])}`,
        );
      }
    }
    out.push(`  row ${y} is   |${rowText(actual, y)}|\n  and should be |${rowText(expected, y)}|`);
  }
  const cur = (s: Snapshot) => `(${s.cursor.x},${s.cursor.y})${s.cursor.visible ? '' : ' hidden'}`;
  if (cur(actual) !== cur(expected)) out.push(`cursor ${cur(actual)} != ${cur(expected)}`);
  return out;
}
