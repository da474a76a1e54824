// Quoting for the local shell that runs ssh_config commands (ProxyCommand, `Match exec`): POSIX single quotes,
// and %-token expansion that quotes each value for the place it lands in the command (outside quotes, inside
// single quotes, inside double quotes), so a host, user or path with spaces or shell characters stays one
// literal word and runs nothing. On Windows (cmd.exe) values are double-quoted and those cmd.exe cannot carry
// literally are refused. Not the remote command line (remote.ts), whose quoting must survive any login shell.

import { BootstrapError } from './errors';

/** POSIX single-quote quoting: sh gives back exactly `s`. Words of safe characters are left bare. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

type QuoteState = 'none' | 'single' | 'double';

/** A value for POSIX sh at a place where the command text is in `state`. */
function quotePosix(v: string, state: QuoteState): string {
  if (state === 'single') return v.replace(/'/g, `'\\''`);
  if (state === 'double') return v.replace(/[\\"$`]/g, '\\$&');
  return v === '' ? `''` : shq(v);
}

/** A value for cmd.exe; refuses what cmd.exe cannot take literally (quotes, %, ! and control characters). */
function quoteCmd(v: string, state: QuoteState, token: string): string {
  if (/["%!\r\n\0]|[\p{Cc}]/u.test(v)) {
    throw new BootstrapError(
      'config',
      `The value of %${token} ("${v.replace(/[\p{Cc}]/gu, '?')}") cannot be passed safely to a Windows command (it contains ", %, ! or a control character).`,
    );
  }
  if (state === 'double' || /^[A-Za-z0-9_\-+=/.,:@\\]+$/.test(v)) return v;
  return `"${v}"`;
}

/**
 * Expands %-tokens in a command for the shell that will run it, each value quoted for where it lands. `%%` is a
 * literal "%"; unknown tokens are kept as written. Expansion is single-pass: a "%" inside a value is never
 * expanded again.
 */
export function expandTokensForShell(
  command: string,
  tokens: Record<string, string>,
  platform: NodeJS.Platform = process.platform,
): string {
  let out = '';
  let state: QuoteState = 'none';
  const cmd = platform === 'win32';
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === '%' && i + 1 < command.length) {
      const t = command[i + 1];
      i++;
      if (t === '%') out += '%';
      else if (Object.hasOwn(tokens, t)) out += cmd ? quoteCmd(tokens[t], state, t) : quotePosix(tokens[t], state);
      else out += `%${t}`;
      continue;
    }
    out += c;
    if (cmd) {
      if (c === '"') state = state === 'double' ? 'none' : 'double';
      continue;
    }
    const escapes = c === '\\' && i + 1 < command.length && command[i + 1] !== '%'; // a token right after a backslash is still expanded
    if (state === 'none') {
      if (escapes) out += command[++i];
      else if (c === "'") state = 'single';
      else if (c === '"') state = 'double';
    } else if (state === 'single') {
      if (c === "'") state = 'none';
    } else if (escapes) {
      out += command[++i];
    } else if (c === '"') {
      state = 'none';
    }
  }
  return out;
}
