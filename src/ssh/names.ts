// The user and host names a person gives us (typed, picked from ~/.ssh/config Host aliases, taken from recent
// connections or settings) and the `[user@]host[:port]` target they come in. As OpenSSH 9.6 does for names on
// its command line, names with shell metacharacters or control characters are refused, because they end up
// as %h, %n and %r in ProxyCommand and `Match exec` command lines (CVE-2023-51385). The refusal says which
// character, in which part, and why. Front ends call `validateTarget` before they connect or store a target.
// Values that come from the ssh_config files themselves (HostName, User) are trusted, as OpenSSH trusts them;
// they are quoted where they reach a shell (shellquote.ts). Not the config evaluation (config.ts).

import { BootstrapError } from './errors';

export interface Target {
  user?: string;
  host: string;
  port?: number;
}

/** Characters a shell gives meaning to (OpenSSH 9.6's list for host names). */
const SHELL_META = `'\`"$\\;&<>|(){}`;

/** A character as the words of a message show it: printable ones as themselves, the others by name and code. */
function describeChar(c: string): string {
  const names: Record<string, string> = {
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\t': 'a tab',
    '\x1b': 'an escape character',
    '\0': 'a NUL byte',
  };
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (names[c]) return `${names[c]} (${code})`;
  if (isControl(c)) return `the control character ${code}`;
  if (/\s/u.test(c)) return `a space character (${code})`;
  return `"${c}"`;
}

/** C0 and C1 controls, DEL, and invisible format characters (bidirectional overrides, zero-width joiners...). */
function isControl(c: string): boolean {
  return /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(c);
}

/** The name with its invisible characters written out, so a message never carries them. */
function visible(s: string): string {
  const shown = [...s].map((c) => (isControl(c) ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c)).join('');
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

function refusal(part: 'host name' | 'user name', name: string, c: string, why: string): string {
  return `The ${part} "${visible(name)}" contains ${describeChar(c)}, which is not allowed in a ${part} (${why}).`;
}

/** Why a host name may not be used, or undefined when it is fine. */
export function hostNameProblem(host: string): string | undefined {
  if (!host) return 'The host name is empty.';
  if (host.startsWith('-'))
    return `The host name "${visible(host)}" starts with "-", which is not allowed in a host name (it would be read as an option).`;
  for (const c of host) {
    if (isControl(c)) return refusal('host name', host, c, 'control character');
    if (/\s/u.test(c)) return refusal('host name', host, c, 'white space');
    if (SHELL_META.includes(c)) return refusal('host name', host, c, 'shell metacharacter');
  }
  return undefined;
}

/**
 * Why a user name may not be used, or undefined when it is fine. Plain spaces are allowed (Windows accounts have
 * them; OpenSSH allows them too), but not a "-" after one; "%" is refused too, as it would start a %-token.
 */
export function userNameProblem(user: string): string | undefined {
  if (!user) return 'The user name is empty.';
  if (user.startsWith('-'))
    return `The user name "${visible(user)}" starts with "-", which is not allowed in a user name (it would be read as an option).`;
  const chars = [...user];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (isControl(c)) return refusal('user name', user, c, 'control character');
    if (c !== ' ' && /\s/u.test(c)) return refusal('user name', user, c, 'white space other than a plain space');
    if (c === ' ' && chars[i + 1] === '-')
      return `The user name "${visible(user)}" has "-" after a space, which is not allowed in a user name (it would be read as an option).`;
    if (SHELL_META.includes(c)) return refusal('user name', user, c, 'shell metacharacter');
    if (c === '%') return refusal('user name', user, c, 'it would start a %-token in ssh_config commands');
  }
  return undefined;
}

/** Throws BootstrapError('config') when the user or host name of a target may not be used. */
export function checkTarget(t: Target): void {
  const problem = hostNameProblem(t.host) ?? (t.user !== undefined ? userNameProblem(t.user) : undefined);
  if (problem) throw new BootstrapError('config', problem);
}

/**
 * Parses what a user types: `host`, `user@host`, `host:port`, `user@host:port`, `[v6]:port`, `ssh://user@host:port`,
 * and refuses user and host names that are not allowed (see hostNameProblem, userNameProblem).
 */
export function parseTarget(text: string): Target {
  let s = text.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  if (!s) throw new BootstrapError('config', 'No host given.');
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  let rest = at >= 0 ? s.slice(at + 1) : s;
  if (user === '') throw new BootstrapError('config', `"${visible(text)}" has an empty user name before "@".`);
  let port: number | undefined;
  let host: string;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = parsePort(bracket[2], text);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const i = rest.indexOf(':');
    port = parsePort(rest.slice(i + 1), text);
    rest = rest.slice(0, i);
    host = rest;
  } else {
    host = rest; // a bare IPv6 address has several colons and no port
  }
  if (!host) throw new BootstrapError('config', `"${visible(text)}" is not a valid host.`);
  const t = { user, host, port };
  checkTarget(t);
  return t;
}

function parsePort(text: string, whole: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535)
    throw new BootstrapError('config', `Bad port "${visible(text)}" in "${visible(whole)}".`);
  return n;
}

/**
 * For front ends: what is wrong with a target (typed, picked, recent or from a setting), in words to show, or
 * undefined when it may be used. Shaped for VS Code's `InputBoxOptions.validateInput`.
 */
export function validateTarget(text: string): string | undefined {
  try {
    parseTarget(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
