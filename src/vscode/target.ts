// What a mosh panel runs where: the `host -- command` form of "Mosh: Connect to Host...", the host part of a
// target (for matching mosh.hosts patterns), and the remote command line that starts in a given folder and/or runs
// a command. Pure string work, no vscode import: connecting is the ssh layer's job, which passes every argument of
// the command through to the remote byte-for-byte (so nothing here is shell-quoted by hand).

/** A command from a setting or typed after `--`: a string is a shell command line, an array an argv. */
export type CommandSpec = string | readonly string[];

export interface ConnectRequest {
  /** `[user@]host[:port]` or an ssh config alias. */
  target: string;
  /** The shell command line typed after ` -- `, if any. */
  command?: string;
}

/**
 * Parses what the user typed or picked: `host`, `user@host:port`, or `host -- command` (the command is everything
 * after the first ` -- `, run by the remote login shell). Returns null for input that names no host.
 */
export function parseConnectInput(input: string): ConnectRequest | null {
  const text = input.trim();
  const m = /^(.*?)(?:^|\s)--(?:\s+([\s\S]*))?$/.exec(text);
  const target = (m ? m[1] : text).trim();
  if (!target || /\s/.test(target) || target.startsWith('-')) return null;
  const command = m?.[2]?.trim();
  return command ? { target, command } : { target };
}

/** The input that parseConnectInput reads back as `req` (for the recent hosts list). */
export function formatConnectInput(req: ConnectRequest): string {
  return req.command ? `${req.target} -- ${req.command}` : req.target;
}

export interface TargetParts {
  user?: string;
  host: string;
  port?: number;
}

/** Splits `[user@]host[:port]` (IPv6 as `[addr]:port` or a bare address) the way the ssh layer reads it. */
export function targetParts(target: string): TargetParts {
  let s = target.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  const at = s.lastIndexOf('@');
  const user = at > 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) return { user, host: bracket[1], port: bracket[2] ? Number(bracket[2]) : undefined };
  const colons = rest.match(/:/g)?.length ?? 0;
  if (colons === 1) {
    const [host, port] = rest.split(':');
    return { user, host, port: /^\d+$/.test(port) ? Number(port) : undefined };
  }
  return { user, host: rest };
}

/** Builds `[user@]host[:port]`, bracketing an IPv6 address that has a port. */
export function formatTarget(p: TargetParts): string {
  const host = p.port !== undefined && p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${p.user ? `${p.user}@` : ''}${host}${p.port !== undefined ? `:${p.port}` : ''}`;
}

/**
 * Runs a shell command line in the user's login shell (so its PATH and profile apply), as the remote argv.
 * csh-family shells do not take -l with -c, so they get -c alone.
 */
const RUN_IN_LOGIN_SHELL =
  'case "${SHELL:-/bin/sh}" in *csh) exec "$SHELL" -c "$1";; *) exec "${SHELL:-/bin/sh}" -lc "$1";; esac';

/** Changes to the folder in $1 (home if it is gone), then runs the rest of the arguments, or a login shell. */
const START_IN_FOLDER =
  'cd "$1" 2>/dev/null || cd; shift; if [ $# -gt 0 ]; then exec "$@"; else exec "${SHELL:-/bin/sh}" -l; fi';

/** The argv for a command spec: an array as is, a string through the login shell. Empty means none. */
export function commandArgv(command: CommandSpec | undefined): string[] | undefined {
  if (command === undefined) return undefined;
  if (typeof command === 'string') return command.trim() ? ['sh', '-c', RUN_IN_LOGIN_SHELL, 'sh', command] : undefined;
  return command.length ? [...command] : undefined;
}

/**
 * The remote command for a panel (BootstrapOptions.command): the command, started in `cwd` when given; undefined
 * (the server's login shell, in the home folder) when there is neither.
 */
export function remoteCommand(o: { cwd?: string; command?: CommandSpec }): string[] | undefined {
  const argv = commandArgv(o.command);
  if (!o.cwd) return argv;
  return ['sh', '-c', START_IN_FOLDER, 'sh', o.cwd, ...(argv ?? [])];
}
