// Starting the mosh server: its command line (as the stock `mosh` wrapper builds it: `new -s -c COLORS [-p PORTS]
// -l NAME=VALUE ... [-- command]`, the client's UTF-8 locale or C.UTF-8), the server choice
// (auto / bundled / system / a path) with the words to say when it cannot be met, and reading `MOSH CONNECT
// <port> <key>` (and the detached pid) from the server's output. Not the ssh exec itself (remote.ts).

import { BootstrapError } from './errors';
import type { RemoteProbe, ServerMode } from './remote';
import { cleanRemoteText } from './remotetext';

/** A value the remote host reported, fit for a one-line message. */
const said = (s: string) => cleanRemoteText(s, { multiline: false });

export type ServerChoice = 'auto' | 'bundled' | 'system' | string;

/** "auto" | "bundled" | "system" | anything else = an explicit path on the remote host. */
export function serverMode(choice: ServerChoice): { mode: ServerMode; path?: string } {
  if (choice === 'auto' || choice === 'bundled' || choice === 'system') return { mode: choice };
  if (!choice) return { mode: 'auto' };
  return { mode: 'path', path: choice };
}

const LOCALE_VARS = /^(LANG|LANGUAGE|LC_[A-Z_]+)$/;
const isUtf8 = (v: string | undefined) => !!v && /utf-?8/i.test(v);

/**
 * The locale settings to pass with -l (mosh-server applies them only when its own locale is not UTF-8): the
 * client's own LANG/LANGUAGE/LC_* when they make a UTF-8 locale, else LANG=C.UTF-8.
 */
export function localeSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const ctype = env.LC_ALL || env.LC_CTYPE || env.LANG;
  if (!isUtf8(ctype)) return { LANG: 'C.UTF-8' };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (LOCALE_VARS.test(k) && v) out[k] = v;
  return out;
}

export interface ServerArgsOptions {
  /** 256 or 8 (`-c`): the client terminal's colours; default 256. */
  colors?: number;
  /** "PORT" or "LOW:HIGH". */
  ports?: string;
  locale?: Record<string, string>;
  /** Bind to the address ssh came in on (`-s`, the wrapper's default); false binds any. */
  bindSshAddress?: boolean;
  /** A command instead of the login shell. */
  command?: string[];
}

export function validatePorts(ports: string): string {
  const m = /^(\d+)(?::(\d+))?$/.exec(ports);
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
  if (!m || !ok(Number(m[1])) || (m[2] !== undefined && (!ok(Number(m[2])) || Number(m[2]) < Number(m[1])))) {
    throw new BootstrapError('config', `Bad UDP port or range "${ports}": give PORT or LOW:HIGH (e.g. 60001:60010).`);
  }
  return ports;
}

export function serverArgs(o: ServerArgsOptions = {}): string[] {
  const args = ['new'];
  if (o.bindSshAddress ?? true) args.push('-s');
  args.push('-c', String(o.colors ?? 256));
  if (o.ports) args.push('-p', validatePorts(o.ports));
  for (const [k, v] of Object.entries(o.locale ?? localeSettings())) args.push('-l', `${k}=${v}`);
  if (o.command?.length) args.push('--', ...o.command);
  return args;
}

export interface MoshConnect {
  port: number;
  key: string;
  /** The detached server's pid, when it said so on stderr. */
  pid?: number;
}

/** Finds `MOSH CONNECT <port> <key>` (as the wrapper's regex does) and the detached pid (stderr, or stdout on a pty). */
export function parseMoshConnect(stdout: string, stderr = ''): MoshConnect | null {
  const m = /^MOSH CONNECT (\d+?) ([A-Za-z0-9/+]{22})\s*$/m.exec(stdout);
  if (!m) return null;
  const pid = /\[mosh-server detached, pid = (\d+)\]/.exec(`${stderr}\n${stdout}`);
  return { port: Number(m[1]), key: m[2], pid: pid ? Number(pid[1]) : undefined };
}

const INSTALL_HELP =
  'Install one of them on the remote host: Node.js 18 or later (e.g. from https://nodejs.org or the system packages), ' +
  'then our server is uploaded automatically; or mosh (e.g. "sudo apt install mosh", "sudo dnf install mosh", "brew install mosh").';

function nodeStory(p: RemoteProbe): string {
  const old = p.nodesFound.filter((n) => n.major < 18);
  if (old.length)
    return `Node.js there is too old (${old.map((n) => `${said(n.version)} at ${said(n.path)}`).join(', ')}; 18 or later is needed)`;
  return "no Node.js was found there (not on the PATH, the login shell's PATH, nor in ~/.vscode-server)";
}

/**
 * After a probe that started nothing: what to do. "upload" when our server is wanted and Node is there; "system"
 * when auto must fall back to mosh-server (Node is there but our pty binary is not for that platform);
 * otherwise a BootstrapError('no-server') that says what is missing and what to install.
 */
export function decide(
  p: RemoteProbe,
  choice: { mode: ServerMode; path?: string },
  host: string,
  supported: string[],
): 'upload' | 'system' {
  const where = `on ${host}`;
  if (choice.mode === 'path') {
    throw new BootstrapError(
      'no-server',
      `The mosh server "${choice.path}" was not found ${where} (or is not executable). Check the path, or use --server=auto.`,
    );
  }
  if (choice.mode === 'system') {
    throw new BootstrapError(
      'no-server',
      `mosh-server is not installed ${where} (not on the PATH of a non-interactive ssh session). Install mosh there (e.g. "sudo apt install mosh"), or use --server=auto to run the bundled server with Node.js.`,
    );
  }
  if (p.node) {
    if (!supported.includes(p.platform)) {
      if (choice.mode === 'auto' && p.moshServer) return 'system';
      throw new BootstrapError(
        'no-server',
        `The bundled server supports ${supported.join(', ')}, but ${host} is ${said(p.os)} ${said(p.arch)} (${said(p.platform)}). Install mosh there (e.g. "sudo apt install mosh") and use --server=system.`,
      );
    }
    return 'upload';
  }
  if (choice.mode === 'bundled') {
    throw new BootstrapError(
      'no-server',
      `The bundled server needs Node.js 18 or later ${where}, but ${nodeStory(p)}. Install Node.js 18+ there, or use --server=system if mosh is installed.`,
    );
  }
  throw new BootstrapError(
    'no-server',
    `No mosh server can run ${where}: ${nodeStory(p)}, and mosh-server is not installed. ${INSTALL_HELP}`,
  );
}
