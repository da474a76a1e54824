// Chooses the locale environment for the user's shell (mosh-protocol.md 10.1): the server needs a UTF-8 locale.
// Our own environment wins if it is UTF-8; else the client's -l NAME=VALUE settings; else C.UTF-8 when the system
// has it. Node itself does not care; the shell and its programs do. Decides only: runs nothing but `locale -a`.

import { execFileSync } from 'node:child_process';

const isUtf8 = (v: string | undefined) => !!v && /utf-?8/i.test(v);

/** The charset-deciding variable, as setlocale would read it: LC_ALL, then LC_CTYPE, then LANG. */
export function effectiveCtype(env: NodeJS.ProcessEnv): string | undefined {
  return env.LC_ALL || env.LC_CTYPE || env.LANG || undefined;
}

export interface LocaleChoice {
  env: Record<string, string>;
  /** Set when no UTF-8 locale could be found: the words to show the user. */
  error?: string;
  note?: string;
}

export function chooseLocale(
  env: NodeJS.ProcessEnv,
  fromClient: Record<string, string>,
  available: () => string[] = listLocales,
): LocaleChoice {
  if (isUtf8(effectiveCtype(env))) return { env: {} };
  const merged = { ...env, ...fromClient };
  if (Object.keys(fromClient).length && isUtf8(effectiveCtype(merged))) return { env: { ...fromClient } };
  const locales = available();
  const fallback =
    locales.find((l) => /^C\.utf-?8$/i.test(l)) ??
    locales.find((l) => /^en_US\.utf-?8$/i.test(l)) ??
    locales.find((l) => isUtf8(l));
  if (fallback) {
    return { env: { ...fromClient, LC_ALL: fallback }, note: `Using the UTF-8 locale ${fallback} (none was set).` };
  }
  return {
    env: {},
    error:
      `mosh-server needs a UTF-8 native locale to run.\n` +
      `The current locale is "${effectiveCtype(merged) ?? 'C'}" and this system has no UTF-8 locale installed.\n` +
      `Install one (e.g. "sudo locale-gen en_US.UTF-8", or the "locales" package) and try again.`,
  };
}

function listLocales(): string[] {
  try {
    return execFileSync('locale', ['-a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .split('\n')
      .filter(Boolean);
  } catch {
    // No `locale` program: glibc >= 2.35 and musl have C.UTF-8 built in.
    return ['C.UTF-8'];
  }
}
