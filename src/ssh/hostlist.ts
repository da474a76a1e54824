// The hosts an ssh config names, for a host picker: every `Host` pattern that names one host (no `*`, `?` or `!`),
// in file order, following `Include` (globs, relative to ~/.ssh or /etc/ssh, also inside Host and Match blocks)
// as config.ts does when it resolves a host. Not the resolution itself (config.ts), and no Match evaluation.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Line } from 'ssh-config' with { 'resolution-mode': 'import' };
import { globPaths } from './config';

// ssh-config is an ES module with a CommonJS build; this project is CommonJS, so it is required by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: parseSshConfig } = require('ssh-config') as { parse(text: string): Line[] };

const MAX_INCLUDE_DEPTH = 16;

export interface ListHostsOptions {
  /** Config files in order; default ~/.ssh/config then /etc/ssh/ssh_config. */
  configFiles?: string[];
  /** The home directory for ~; default os.homedir(). */
  home?: string;
}

/** Host aliases named in the ssh config files (and what they Include), without patterns, each once. */
export function listHosts(opts: ListHostsOptions = {}): string[] {
  const home = opts.home ?? homedir();
  const files = opts.configFiles ?? [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
  const seen = new Set<string>();
  const visited = new Set<string>();
  const words = (v: unknown): string[] =>
    Array.isArray(v) ? v.map((x: { val: string }) => x.val) : typeof v === 'string' ? v.split(/\s+/) : [];
  const visitLines = (lines: Line[], depth: number, baseDir: string) => {
    for (const line of lines) {
      if (line.type !== 1) continue;
      const name = line.param.toLowerCase();
      if (name === 'host') {
        for (const pattern of words(line.value).flatMap((w) => w.split(',')))
          if (pattern && !/[*?!]/.test(pattern)) seen.add(pattern);
      } else if (name === 'include' && depth < MAX_INCLUDE_DEPTH) {
        for (const v of words(line.value)) {
          let p = v === '~' ? home : v.startsWith('~/') ? join(home, v.slice(2)) : v;
          if (!isAbsolute(p)) p = join(baseDir, p);
          for (const f of globPaths(p)) visitFile(f, depth + 1, baseDir);
        }
      }
      if ((name === 'host' || name === 'match') && 'config' in line) visitLines(line.config, depth, baseDir);
    }
  };
  const visitFile = (path: string, depth: number, baseDir: string) => {
    if (visited.has(path)) return;
    visited.add(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    try {
      visitLines(parseSshConfig(text), depth, baseDir);
    } catch {
      /* a file ssh-config cannot read lists nothing (connecting to a host says what is wrong with it) */
    }
  };
  for (const f of files) visitFile(f, 0, resolve(f).startsWith('/etc/') ? dirname(resolve(f)) : join(home, '.ssh'));
  return [...seen];
}
