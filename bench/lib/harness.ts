// Shared plumbing for the client benchmarks (predict, interrupt, echo, clientframe): start the stock
// mosh-client or our dist/cli.js client the same way (under node-pty, MOSH_KEY in the environment,
// MOSH_NO_TERM_INIT=1), render what each writes to its pty into a headless Screen, and timestamp every
// screen change as the bench process received it. Lives in bench/lib/ so `npm run bench` does not list it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { Screen } from '../../test/support/stock';

export type ClientKind = 'stock' | 'ours';
export type PredictMode = 'adaptive' | 'always' | 'never' | 'experimental';

/** Milliseconds on a monotonic clock. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const OUR_CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** The node flags dist/cli.js's first line gives it (`#!/usr/bin/env -S node FLAGS`): our client runs as users run it. */
export function cliNodeFlags(): string[] {
  const first = readFileSync(OUR_CLI, 'utf8').slice(0, 200).split('\n')[0];
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? m[1].split(' ').filter(Boolean) : [];
}

export interface ScreenState {
  /** The rows' text, right-trimmed. */
  lines: string[];
  cursorX: number;
  cursorY: number;
}

export interface TimedClient {
  kind: ClientKind;
  proc: pty.IPty;
  /** The client process (mosh-client, or node running dist/cli.js). */
  pid: number;
  screen: Screen;
  /** Bytes the client wrote to its terminal so far. */
  bytes: number;
  /** Called after each chunk of client output has been rendered, with the time the chunk arrived. */
  onChange: ((arrivedMs: number) => void) | null;
  /** Resolves when everything received so far has been rendered. */
  settled(): Promise<void>;
  state(): ScreenState;
  type(data: string): void;
  exited(): boolean;
  /** Ctrl-^ . then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

export interface ClientOptions {
  kind: ClientKind;
  port: number;
  key: string;
  cols: number;
  rows: number;
  predict: PredictMode;
  env?: Record<string, string>;
  /** Extra arguments for node, before dist/cli.js (our client only), e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Extra arguments for our client after `client`, e.g. --scrollback 0. */
  clientArgs?: string[];
  /** Lines of scrollback the bench's own terminal (the Screen) keeps. Default 1000. */
  screenScrollback?: number;
}

export function startClient(o: ClientOptions): TimedClient {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    MOSH_KEY: o.key,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    MOSH_PREDICTION_DISPLAY: o.predict,
    MOSH_NO_TERM_INIT: '1',
    MOSH_TITLE_NOPREFIX: '1',
    ...o.env,
  };
  const [file, args] =
    o.kind === 'stock'
      ? ['mosh-client', ['127.0.0.1', String(o.port)]]
      : [
          process.execPath,
          [
            ...cliNodeFlags(),
            ...(o.nodeArgs ?? []),
            OUR_CLI,
            'client',
            `--predict=${o.predict}`,
            ...(o.clientArgs ?? []),
            '127.0.0.1',
            String(o.port),
          ],
        ];
  const proc = pty.spawn(file, args, { name: 'xterm-256color', cols: o.cols, rows: o.rows, env });
  const screen = new Screen(o.cols, o.rows, o.screenScrollback);
  let written = Promise.resolve();
  let exited = false;
  proc.onExit(() => (exited = true));
  const c: TimedClient = {
    kind: o.kind,
    proc,
    pid: proc.pid,
    screen,
    bytes: 0,
    onChange: null,
    settled: () => written,
    state: () => stateOf(screen),
    type: (d) => proc.write(d),
    exited: () => exited,
    stop: async () => {
      if (!exited) {
        try {
          proc.write('\x1e.');
        } catch {
          /* gone */
        }
        for (let i = 0; i < 20 && !exited; i++) await sleep(50);
      }
      try {
        if (!exited) proc.kill('SIGKILL');
      } catch {
        /* gone */
      }
      screen.dispose();
    },
  };
  proc.onData((d) => {
    const t = nowMs();
    c.bytes += d.length;
    written = written.then(() => screen.write(d)).then(() => c.onChange?.(t));
  });
  return c;
}

/** Waits (bounded) until `pred` holds on the client's rendered screen. */
export async function waitScreen(
  c: TimedClient,
  pred: (s: ScreenState) => boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const t0 = nowMs();
  for (;;) {
    await c.settled();
    if (pred(c.state())) return nowMs() - t0;
    if (nowMs() - t0 > timeoutMs) {
      throw new Error(
        `${c.kind} client: timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${c
          .state()
          .lines.map((l) => `|${l}`)
          .join('\n')}`,
      );
    }
    await sleep(10);
  }
}

/** utime + stime of a process in milliseconds (clock ticks of 10 ms), or null if it is gone. */
export function cpuMs(pid: number): number | null {
  const t = cpuTimes(pid);
  return t && t.user + t.sys;
}

/** utime and stime of a process in milliseconds (clock ticks of 10 ms), or null if it is gone. */
export function cpuTimes(pid: number): { user: number; sys: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 };
  } catch {
    return null;
  }
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Nearest-rank quantile. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

export function stateOf(s: Screen): ScreenState {
  const b = s.term.buffer.active;
  // A pending wrap leaves xterm's cursor one past the last column; mosh draws it on the last column.
  return { lines: s.lines(), cursorX: Math.min(b.cursorX, s.term.cols - 1), cursorY: b.cursorY };
}

export function sameState(a: ScreenState, b: ScreenState): boolean {
  if (a.cursorX !== b.cursorX || a.cursorY !== b.cursorY || a.lines.length !== b.lines.length) return false;
  for (let i = 0; i < a.lines.length; i++) if (a.lines[i] !== b.lines[i]) return false;
  return true;
}
