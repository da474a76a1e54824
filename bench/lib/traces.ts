// Keystroke traces for the client benchmarks: what a person types, with a seeded human cadence, and the
// reference screens (the application run directly on a pty, no mosh, one key at a time) that say what each
// keystroke's effect is.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from '@lydell/node-pty';
import { mulberry32 } from '../../test/support/relay';
import { Screen } from '../../test/support/stock';
import { nowMs, type ScreenState, sleep, stateOf } from './harness';

/** A key: literal bytes, or an arrow that is encoded by the receiving terminal's cursor-key mode. */
export type KeyData = string | { arrow: 'A' | 'B' | 'C' | 'D' };

export interface Key {
  data: KeyData;
  /** Pause before this key, in ms. */
  gapMs: number;
  /** For reports: a printable name. */
  label: string;
}

export interface Trace {
  name: string;
  /** The application, run under mosh-server (after `--`) and, for the references, directly on a pty. */
  command: string[];
  cols: number;
  rows: number;
  keys: Key[];
  /**
   * Sent before the measured keys, until the screen shows ref[0] (idempotent, e.g. Ctrl-L): under mosh-server
   * the application starts on a pty that is then resized, and bash redraws its prompt one line down.
   */
  setup?: string;
  /** Files the application needs, created in a fresh folder that becomes its working directory. */
  files?: Record<string, string>;
}

/** The bytes a terminal sends for a key, given whether it is in application cursor-key mode (DECCKM). */
export function encodeKey(k: KeyData, applicationCursorKeys: boolean): string {
  if (typeof k === 'string') return k;
  return (applicationCursorKeys ? '\x1bO' : '\x1b[') + k.arrow;
}

/**
 * Builds a key list from a script with a human typing cadence (seeded): 90-190 ms between keys inside a
 * word, a little more after a space, an occasional hesitation, quicker repeated backspaces and arrows, and a
 * think pause after Enter. Tokens: {BS} {CR} {ESC} {LEFT} {RIGHT} {PAUSE:ms}.
 */
export function typeScript(script: string, seed: number): Key[] {
  const rnd = mulberry32(seed);
  const keys: Key[] = [];
  let pendingPause = 0;
  let prev = '';
  const push = (data: KeyData, label: string, gapMs: number) => {
    keys.push({ data, label, gapMs: Math.round(gapMs + pendingPause) });
    pendingPause = 0;
    prev = label;
  };
  const re = /\{(BS|CR|ESC|LEFT|RIGHT|PAUSE:(\d+))\}|([\s\S])/g;
  for (let m = re.exec(script); m; m = re.exec(script)) {
    const base = 90 + rnd() * 100;
    const hesitate = rnd() < 0.06 ? 200 + rnd() * 300 : 0;
    if (m[2]) pendingPause += Number(m[2]);
    else if (m[1] === 'BS') push('\x7f', 'BS', prev === 'BS' ? 70 + rnd() * 60 : base + 60 + hesitate);
    else if (m[1] === 'CR') push('\r', 'CR', base + hesitate);
    else if (m[1] === 'ESC') push('\x1b', 'ESC', base + 40 + hesitate);
    else if (m[1] === 'LEFT' || m[1] === 'RIGHT') {
      const arrow = m[1] === 'LEFT' ? 'D' : 'C';
      push({ arrow }, m[1], prev === m[1] ? 80 + rnd() * 50 : base + 80 + hesitate);
    } else {
      const ch = m[3];
      push(ch, ch, base + (prev === ' ' ? rnd() * 80 : 0) + hesitate);
    }
    if (m[1] === 'CR') pendingPause += 1000 + rnd() * 600; // read the output before typing on
  }
  return keys;
}

const ENV_CMD = ['/usr/bin/env', 'TERM=xterm-256color', 'PS1=$ ', 'HOME=/tmp', 'LANG=C.UTF-8'];

const VIM_TEXT = [
  'Mosh is a replacement for interactive SSH terminals.',
  'It allows roaming, supports intermittent connectivity,',
  'and provides intelligent local echo and line editing',
  'of user keystrokes.',
  '',
  'Mosh attempts to improve on SSH in several ways:',
  'the client keeps a copy of the screen, and the server',
  'sends only the differences needed to bring it up to date.',
  'Keystrokes are predicted locally and shown at once,',
  'then confirmed or corrected when the server answers.',
  '',
  'This file is edited by a benchmark that replays keys.',
].join('\n');

export function traces(): Trace[] {
  return [
    {
      name: 'shell',
      command: [...ENV_CMD, 'bash', '--norc', '--noprofile'],
      setup: '\x0c',
      cols: 80,
      rows: 24,
      keys: typeScript(
        [
          'echo hello world{CR}',
          'ls /usr{CR}',
          'grpe{BS}{BS}ep -c root /etc/pasw{BS}swd{CR}',
          'echo $((6*7)){CR}',
          'echo quikc{BS}{BS}ck fox jumps{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}brown {CR}',
          'printf "%s\\n" alpha bravo charlie{CR}',
          'ls -d /usr/share/m*{CR}',
          'echo all donee{BS}{CR}',
        ].join(''),
        1,
      ),
    },
    {
      name: 'vim',
      // No terminal queries (their answers would arrive as typed keys at random moments).
      command: [
        ...ENV_CMD,
        'vim',
        '-u',
        'NONE',
        '-i',
        'NONE',
        '-N',
        '-n',
        '--cmd',
        'set ttimeout ttimeoutlen=10 t_RV= t_u7= t_RB= t_RF= t_RC= t_RS=',
        'notes.txt',
      ],
      cols: 80,
      rows: 24,
      files: { 'notes.txt': VIM_TEXT + '\n' },
      keys: typeScript(
        [
          '{PAUSE:300}jjA and then some{ESC}',
          'oThis line was typed in insert mode by a persno{BS}{BS}on.{ESC}',
          'kk0wwireally {ESC}',
          'jjjdd',
          'GoFinal line with a tyop{BS}{BS}po that got fixed.{ESC}',
          'ggxx',
          ':w{CR}',
        ].join(''),
        2,
      ),
    },
    {
      name: 'chat',
      command: [...ENV_CMD, 'cat'],
      cols: 80,
      rows: 24,
      keys: typeScript(
        [
          'hi there, are you around?{CR}',
          'i wanted to ask about the deploy tomorow{BS}{BS}row morning{CR}',
          'we could move it to ten if thta{BS}{BS}at works for everyone else on the team, otherwise nine is fine{CR}',
          'ok{CR}',
          'sounds good, talk later{CR}',
        ].join(''),
        3,
      ),
    },
  ];
}

/**
 * A scratch folder holding the trace's files, and the command that runs the application in it (each run gets
 * its own copy, since the application may write them). The screen is cleared first: stock mosh-server starts
 * its child with the cursor on the second row.
 */
export function traceDir(t: Trace): { dir: string; command: string[]; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), `bench-${t.name}-`));
  for (const [name, text] of Object.entries(t.files ?? {})) writeFileSync(join(dir, name), text);
  return {
    dir,
    command: ['/bin/sh', '-c', 'cd "$0" && printf "\\033[H\\033[2J" && exec "$@"', dir, ...t.command],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The reference screens: ref[0] before any key, ref[k] after key k. The application runs directly on a pty
 * (no mosh) and gets one key at a time; after each key the screen is read once the output has been quiet
 * for 60 ms (at most 3 s).
 */
export async function referenceScreens(t: Trace, command: string[]): Promise<ScreenState[]> {
  const screen = new Screen(t.cols, t.rows);
  const p = pty.spawn(command[0], command.slice(1), {
    name: 'xterm-256color',
    cols: t.cols,
    rows: t.rows,
    env: { ...(process.env as Record<string, string>), LANG: 'C.UTF-8' },
  });
  let written = Promise.resolve();
  let last = nowMs();
  let total = 0;
  p.onData((d) => {
    last = nowMs();
    total += d.length;
    written = written.then(() => screen.write(d));
  });
  const quiet = async (minMs: number, maxMs: number) => {
    const t0 = nowMs();
    while (nowMs() - t0 < maxMs && (nowMs() - t0 < minMs || nowMs() - last < 60)) await sleep(10);
    await written;
  };
  try {
    const t0 = nowMs();
    while (total === 0 && nowMs() - t0 < 5000) await sleep(10);
    await quiet(300, 5000);
    if (t.setup) {
      p.write(t.setup);
      await quiet(200, 3000);
    }
    const refs = [stateOf(screen)];
    for (const k of t.keys) {
      p.write(encodeKey(k.data, screen.term.modes.applicationCursorKeysMode));
      await quiet(60, 3000);
      refs.push(stateOf(screen));
    }
    return refs;
  } finally {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
    screen.dispose();
  }
}
