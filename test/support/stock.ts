// Starts Debian's stock mosh-server (the reference peer) the way mosh-protocol.md section 12.1 describes, or our
// dist/server.js the same way, and reads a @xterm/headless screen. Test support only.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Terminal } from '@xterm/headless';

export interface StockServer {
  port: number;
  key: string;
  pid: number;
  alive(): boolean;
  kill(): void;
}

export interface ServerStartOptions {
  command?: string[];
  env?: Record<string, string>;
  extraArgs?: string[];
}

export function startStockServer(opts: ServerStartOptions = {}): Promise<StockServer> {
  return startServerProcess('mosh-server', [], opts);
}

/** Our server, as deployed: `node dist/server.js new ...` (run `npm run build` first). */
export function startOurServer(opts: ServerStartOptions = {}): Promise<StockServer> {
  return startServerProcess(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'server.js')], opts);
}

async function startServerProcess(exe: string, pre: string[], opts: ServerStartOptions): Promise<StockServer> {
  const args = [
    ...pre,
    'new',
    '-i',
    '127.0.0.1',
    '-p',
    '0',
    ...(opts.extraArgs ?? []),
    '--',
    ...(opts.command ?? ['/bin/sh']),
  ];
  const child = spawn(exe, args, {
    env: { ...process.env, LANG: 'C.UTF-8', SHELL: '/bin/sh', PS1: '$ ', MOSH_SERVER_NETWORK_TMOUT: '60', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const m = /MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})/.exec(out);
  const p = /pid = (\d+)/.exec(err);
  if (code !== 0 || !m || !p) throw new Error(`${exe} ${pre.join(' ')} did not start (exit ${code}): ${out} ${err}`);
  const pid = Number(p[1]);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return { port: Number(m[1]), key: m[2], pid, alive, kill: () => alive() && process.kill(pid, 'SIGKILL') };
}

/** Waits until `pred` holds, polling every 20 ms, or throws after `timeoutMs`. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A headless terminal whose writes can be awaited and whose screen is read as trimmed lines. */
export class Screen {
  readonly term: Terminal;
  constructor(cols = 80, rows = 24, scrollback = 1000) {
    this.term = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
  }
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }
  lines(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < this.term.rows; i++)
      out.push((b.getLine(b.viewportY + i)?.translateToString(true) ?? '').trimEnd());
    return out;
  }
  /** Every cell with its width, colours and attributes, one string per row: for cell-exact comparisons. */
  cells(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) {
      const line = b.getLine(b.viewportY + y);
      const row: string[] = [];
      for (let x = 0; line && x < this.term.cols; x++) {
        const c = line.getCell(x)!;
        const attrs = [
          c.isBold(),
          c.isDim(),
          c.isItalic(),
          c.isUnderline(),
          c.isBlink(),
          c.isInverse(),
          c.isInvisible(),
          c.isStrikethrough(),
        ]
          .map(Number)
          .join('');
        row.push(
          `${c.getChars() || ' '}/${c.getWidth()}/${c.getFgColorMode()}:${c.getFgColor()}/${c.getBgColorMode()}:${c.getBgColor()}/${attrs}`,
        );
      }
      out.push(row.join(' '));
    }
    return out;
  }
  text(): string {
    return this.lines().join('\n');
  }
  reset(): Promise<void> {
    this.term.reset();
    return this.write('');
  }
  dispose(): void {
    this.term.dispose();
  }
}
