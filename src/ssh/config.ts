// Resolves a host the way OpenSSH does from ssh_config files (~/.ssh/config, then /etc/ssh/ssh_config): Host
// patterns (wildcards, negation), Match (host, originalhost, user, localuser, all, exec, final, canonical),
// Include (globs, relative to ~/.ssh or /etc/ssh, conditional inside Host/Match), first value wins, IdentityFile
// accumulates, %-tokens and ~ expanded (quoted for the shell in ProxyCommand and `Match exec`). ssh-config does the
// lexing; the evaluation is here because it follows Include and OpenSSH's order. Not the target a user types and
// the names allowed in it (names.ts), the connection itself (connect.ts), nor host keys (knownhosts.ts).

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Line } from 'ssh-config' with { 'resolution-mode': 'import' };
import { BootstrapError } from './errors';
import { checkTarget, parseTarget, type Target, userNameProblem } from './names';
import { expandTokensForShell } from './shellquote';

// ssh-config is an ES module with a CommonJS build; this project is CommonJS, so it is required by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: parseSshConfig } = require('ssh-config') as { parse(text: string): Line[] };

export { parseTarget, type Target } from './names';

/** Everything the bootstrap needs to know about one host, after ssh_config. */
export interface ResolvedHost {
  /** The name as typed (Host patterns match this; %n). */
  alias: string;
  /** Where to connect (HostName, %h). */
  hostname: string;
  port: number;
  user: string;
  /** Identity files that exist, in order (command line first, then config, else OpenSSH's defaults). */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** Jump hosts, nearest first ("ProxyJump a,b": connect to a, then through a to b, then to the target). */
  proxyJump: string[];
  /** A shell command whose stdin/stdout carry the connection (ProxyCommand), tokens expanded and quoted for the shell. */
  proxyCommand?: string;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: 'ask' | 'yes' | 'no' | 'accept-new';
  hashKnownHosts: boolean;
  /** Name used for the host key instead of the hostname (HostKeyAlias). */
  hostKeyAlias?: string;
  /** Methods in the order to try them; only the ones we implement. */
  preferredAuthentications: string[];
  pubkeyAuthentication: boolean;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  numberOfPasswordPrompts: number;
  /** IdentityAgent as configured (socket or pipe path, "pageant", or "none"); undefined: the default agents. */
  identityAgent?: string;
  /**
   * ForwardAgent: false (no, the default), or the agent to forward: `yes` forwards IdentityAgent's agent (the
   * default agents if unset), a path or `$VARIABLE` forwards that agent ("none" when the variable is unset).
   */
  forwardAgent: false | { path?: string };
  /** Seconds; undefined when not configured. */
  connectTimeout?: number;
  /** ServerAliveInterval in seconds (0: off); undefined when not configured. */
  serverAliveInterval?: number;
  /** ServerAliveCountMax (default 3). */
  serverAliveCountMax: number;
  addressFamily: 'any' | 'inet' | 'inet6';
  batchMode: boolean;
  /** Every directive that applied, lower-cased name -> values (first wins; IdentityFile etc. accumulate). */
  options: Map<string, string[]>;
}

export interface ResolveOptions {
  /** Config files in order; default ~/.ssh/config then /etc/ssh/ssh_config. */
  configFiles?: string[];
  /** The home directory for ~ and %d; default os.homedir(). */
  home?: string;
  /** The local user name (%u, default remote user); default os.userInfo().username. */
  localUser?: string;
  /** Command-line settings: they win over the config, as ssh's -l, -p and -i do. */
  user?: string;
  port?: number;
  identityFiles?: string[];
  /** Evaluate `Match exec` commands (as OpenSSH does); default true. */
  matchExec?: boolean;
}

const ACCUMULATE = new Set([
  'identityfile',
  'certificatefile',
  'localforward',
  'remoteforward',
  'dynamicforward',
  'sendenv',
  'setenv',
]);
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ed25519', 'id_dsa'];
const SUPPORTED_AUTH = ['publickey', 'keyboard-interactive', 'password'];
const MAX_INCLUDE_DEPTH = 16;

/** OpenSSH's wildcard match: `*` and `?`, case-insensitive (host names are compared in lower case). */
export function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'is',
  );
  return re.test(name);
}

/** A pattern list (words, each possibly comma-separated, `!` negates): false if a negation matches, else true if any matches. */
export function matchPatternList(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns.flatMap((w) => w.split(','))) {
    if (!p) continue;
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) matched = true;
  }
  return matched;
}

type RawValue = string | { val: string; separator: string; quoted?: boolean }[];

function words(value: RawValue): string[] {
  if (typeof value === 'string') return [value];
  return value.map((v) => v.val);
}

/** A command (ProxyCommand) as written: words rejoined with their separators and quotes. */
function commandText(value: RawValue): string {
  if (typeof value === 'string') return value;
  return value
    .map(({ val, separator, quoted }) => `${separator}${quoted ? `"${val.replace(/"/g, '\\"')}"` : val}`)
    .join('')
    .trim();
}

/** The files a glob (`*`, `?`) names, sorted per folder, without dot files (as OpenSSH's Include). */
export function globPaths(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return existsSync(pattern) ? [pattern] : [];
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (!part) continue;
    const next: string[] = [];
    for (const b of bases) {
      if (!/[*?[]/.test(part)) {
        const p = join(b, part);
        if (existsSync(p)) next.push(p);
        continue;
      }
      let names: string[] = [];
      try {
        names = readdirSync(b).sort();
      } catch {
        /* not a directory */
      }
      for (const n of names) if (!n.startsWith('.') && wildcardMatch(part, n)) next.push(join(b, n));
    }
    bases = next;
  }
  return bases;
}

interface EvalState {
  alias: string;
  hostname: string;
  user: string | undefined;
  localUser: string;
  home: string;
  matchExec: boolean;
  finalPass: boolean;
  wantsFinal: boolean;
  options: Map<string, string[]>;
}

function setOption(st: EvalState, name: string, values: string[]): void {
  const key = name.toLowerCase();
  if (ACCUMULATE.has(key)) {
    st.options.set(key, [...(st.options.get(key) ?? []), ...values]);
  } else if (!st.options.has(key)) {
    st.options.set(key, values);
    if (key === 'hostname') st.hostname = expandTokens(values[0], tokenMap(st));
    if (key === 'user') st.user = values[0];
  }
}

function tokenMap(st: EvalState, extra: Record<string, string> = {}): Record<string, string> {
  const host = st.hostname;
  const lh = safe(() => localHostname(), 'localhost');
  return {
    '%': '%',
    d: st.home,
    h: host,
    n: st.alias,
    r: st.user ?? st.localUser,
    u: st.localUser,
    l: lh,
    L: lh.split('.')[0],
    i: String(safe(() => userInfo().uid, -1)),
    p: st.options.get('port')?.[0] ?? '22',
    ...extra,
  };
}

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

/** Expands %-tokens (unknown ones are kept as typed). */
export function expandTokens(text: string, tokens: Record<string, string>): string {
  return text.replace(/%(.)/g, (m, c: string) => tokens[c] ?? m);
}

function expandPath(p: string, st: EvalState, extra?: Record<string, string>): string {
  let out = expandTokens(p, tokenMap(st, extra));
  if (out === '~') out = st.home;
  else if (out.startsWith('~/')) out = join(st.home, out.slice(2));
  return out;
}

function matchCriteria(value: string[], st: EvalState, file: string): boolean {
  const toks = [...value];
  let result = true;
  while (toks.length) {
    let kw = toks.shift()!.toLowerCase();
    const negate = kw.startsWith('!');
    if (negate) kw = kw.slice(1);
    let ok: boolean;
    if (kw === 'all') ok = true;
    else if (kw === 'final' || kw === 'canonical') {
      st.wantsFinal = true;
      ok = st.finalPass;
    } else {
      if (!toks.length) throw new BootstrapError('config', `${file}: "Match ${kw}" needs an argument.`);
      const arg = toks.shift()!;
      if (kw === 'host') ok = matchPatternList([arg], st.hostname);
      else if (kw === 'originalhost') ok = matchPatternList([arg], st.alias);
      else if (kw === 'user') ok = matchPatternList([arg], st.user ?? st.localUser);
      else if (kw === 'localuser') ok = matchPatternList([arg], st.localUser);
      else if (kw === 'exec') {
        if (!st.matchExec) ok = false;
        else {
          const cmd = expandTokensForShell(arg, tokenMap(st));
          const r =
            process.platform === 'win32'
              ? spawnSync(cmd, { shell: true, stdio: 'ignore', timeout: 10_000, windowsHide: true })
              : spawnSync('/bin/sh', ['-c', cmd], { stdio: 'ignore', timeout: 10_000 });
          ok = r.status === 0;
        }
      } else if (kw === 'tagged' || kw === 'localnetwork') ok = false;
      else throw new BootstrapError('config', `${file}: unsupported Match criterion "${kw}".`);
    }
    if (negate) ok = !ok;
    if (!ok) result = false; // keep going: "final" must still be noticed
  }
  return result;
}

function evalFile(path: string, st: EvalState, depth: number, baseDir: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return; // a missing config file is not an error, as with OpenSSH
  }
  let lines: Line[];
  try {
    lines = parseSshConfig(text);
  } catch (e) {
    throw new BootstrapError('config', `${path}: ${(e as Error).message}`);
  }
  evalLines(lines, st, depth, baseDir, path);
}

function evalLines(lines: Line[], st: EvalState, depth: number, baseDir: string, file: string): void {
  for (const line of lines) {
    if (line.type !== 1) continue; // comments, blank lines
    const name = line.param.toLowerCase();
    const vals = name === 'proxycommand' ? [commandText(line.value)] : words(line.value);
    if (name === 'host' || name === 'match') {
      const active = name === 'host' ? matchPatternList(vals, st.alias) : matchCriteria(vals, st, file);
      if (active && 'config' in line) evalLines(line.config, st, depth, baseDir, file);
    } else if (name === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH)
        throw new BootstrapError('config', `${file}: Include nested too deeply (more than ${MAX_INCLUDE_DEPTH}).`);
      for (const v of vals) {
        let p = expandPath(v, st);
        if (!isAbsolute(p)) p = join(baseDir, p);
        for (const f of globPaths(p)) evalFile(f, st, depth + 1, baseDir);
      }
    } else {
      setOption(st, name, vals);
    }
  }
}

const yes = (v: string[] | undefined, dflt: boolean) => (v ? /^(yes|true)$/i.test(v[0]) : dflt);

/** Resolves `target` through the ssh_config files. Never throws for missing files; throws BootstrapError('config') for bad ones. */
export function resolveHost(target: string | Target, opts: ResolveOptions = {}): ResolvedHost {
  const t = typeof target === 'string' ? parseTarget(target) : target;
  // names typed, picked or stored reach %h, %n and %r in shell commands (ProxyCommand, Match exec): refuse bad ones
  // before anything runs; the config's own HostName and User are trusted, as OpenSSH trusts them
  checkTarget(t);
  const cliUserProblem = opts.user !== undefined ? userNameProblem(opts.user) : undefined;
  if (cliUserProblem) throw new BootstrapError('config', cliUserProblem);
  const home = opts.home ?? homedir();
  const localUser = opts.localUser ?? safe(() => userInfo().username, process.env.USER ?? 'user');
  const files = opts.configFiles ?? [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
  const fresh = (finalPass: boolean): EvalState => ({
    alias: t.host,
    hostname: t.host,
    user: opts.user ?? t.user,
    localUser,
    home,
    matchExec: opts.matchExec ?? true,
    finalPass,
    wantsFinal: false,
    options: new Map(),
  });
  const seed = (st: EvalState) => {
    // the command line wins: set before the files so "first value wins" keeps it
    if (st.user !== undefined) st.options.set('user', [st.user]);
    const port = opts.port ?? t.port;
    if (port !== undefined) st.options.set('port', [String(port)]);
  };
  const run = (st: EvalState) => {
    seed(st);
    // relative Include paths: ~/.ssh for user files, /etc/ssh for the system's (ssh_config(5))
    for (const f of files)
      evalFile(f, st, 0, resolve(f).startsWith('/etc/') ? dirname(resolve(f)) : join(home, '.ssh'));
  };
  let st = fresh(false);
  run(st);
  if (st.wantsFinal) {
    const hostname = st.hostname;
    st = fresh(true);
    st.hostname = hostname;
    run(st);
  }
  const o = st.options;
  const one = (k: string) => o.get(k)?.[0];
  const user = one('user') ?? localUser;
  st.user = user;
  const portText = one('port') ?? '22';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new BootstrapError('config', `Bad port "${portText}" for ${t.host}.`);
  o.set('port', [String(port)]);

  const identityFromConfig = o.get('identityfile') ?? [];
  const explicit = [...(opts.identityFiles ?? []), ...identityFromConfig];
  const candidates = explicit.length ? explicit : DEFAULT_IDENTITIES.map((n) => `~/.ssh/${n}`);
  const identityFiles: string[] = [];
  for (const c of candidates) {
    if (c.toLowerCase() === 'none') continue;
    let p = expandPath(c, st);
    if (!isAbsolute(p)) p = join(home, '.ssh', p);
    if (existsSync(p) && !identityFiles.includes(p)) identityFiles.push(p);
  }

  const jump = one('proxyjump');
  const proxyJump =
    !jump || jump.toLowerCase() === 'none'
      ? []
      : jump
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const pc = one('proxycommand');
  const proxyCommand = pc && pc.toLowerCase() !== 'none' && !jump ? expandTokensForShell(pc, tokenMap(st)) : undefined;

  const expandList = (k: string, dflt: string[]) => {
    const v = o.get(k);
    const list = v && v.length ? v : dflt;
    return list.filter((x) => x.toLowerCase() !== 'none').map((x) => expandPath(x, st));
  };
  const shk = (one('stricthostkeychecking') ?? 'ask').toLowerCase();
  const strict =
    shk === 'yes' || shk === 'true'
      ? 'yes'
      : shk === 'no' || shk === 'off' || shk === 'false'
        ? 'no'
        : shk === 'accept-new'
          ? 'accept-new'
          : 'ask';
  const pref = (
    one('preferredauthentications') ? o.get('preferredauthentications')!.join(',') : SUPPORTED_AUTH.join(',')
  )
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((m) => SUPPORTED_AUTH.includes(m));
  const agentSetting = one('identityagent');
  const identityAgent =
    agentSetting === undefined
      ? undefined
      : agentSetting.toLowerCase() === 'none'
        ? 'none'
        : agentSetting === 'SSH_AUTH_SOCK'
          ? process.env.SSH_AUTH_SOCK || 'none'
          : expandPath(
              agentSetting.replace(/^\$([A-Za-z_]+)$/, (_m, v: string) => process.env[v] ?? ''),
              st,
            );
  const fwd = one('forwardagent');
  const forwardAgent: ResolvedHost['forwardAgent'] =
    fwd === undefined || /^(no|false)$/i.test(fwd)
      ? false
      : /^(yes|true)$/i.test(fwd)
        ? identityAgent === undefined
          ? {}
          : { path: identityAgent }
        : fwd.startsWith('$')
          ? { path: process.env[fwd.slice(1)] || 'none' }
          : { path: expandPath(fwd, st) };
  const ct = one('connecttimeout');
  const fam = (one('addressfamily') ?? 'any').toLowerCase();
  const nPrompts = Number(one('numberofpasswordprompts') ?? '3');
  const aliveText = one('serveraliveinterval');
  const alive = aliveText !== undefined ? Number(aliveText) : undefined;
  const aliveMax = Number(one('serveralivecountmax') ?? '3');

  return {
    alias: t.host,
    hostname: st.hostname,
    port,
    user,
    identityFiles,
    identitiesOnly: yes(o.get('identitiesonly'), false),
    proxyJump,
    proxyCommand,
    userKnownHostsFiles: expandList('userknownhostsfile', ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']),
    globalKnownHostsFiles: expandList('globalknownhostsfile', [
      '/etc/ssh/ssh_known_hosts',
      '/etc/ssh/ssh_known_hosts2',
    ]),
    strictHostKeyChecking: strict,
    hashKnownHosts: yes(o.get('hashknownhosts'), false),
    hostKeyAlias: one('hostkeyalias'),
    preferredAuthentications: pref,
    pubkeyAuthentication: yes(o.get('pubkeyauthentication'), true),
    passwordAuthentication: yes(o.get('passwordauthentication'), true),
    kbdInteractiveAuthentication: yes(
      o.get('kbdinteractiveauthentication') ?? o.get('challengeresponseauthentication'),
      true,
    ),
    numberOfPasswordPrompts: Number.isInteger(nPrompts) && nPrompts >= 0 ? nPrompts : 3,
    identityAgent,
    forwardAgent,
    connectTimeout: ct !== undefined && Number(ct) > 0 ? Number(ct) : undefined,
    serverAliveInterval: alive !== undefined && Number.isFinite(alive) && alive >= 0 ? alive : undefined,
    serverAliveCountMax: Number.isInteger(aliveMax) && aliveMax >= 1 ? aliveMax : 3,
    addressFamily: fam === 'inet' ? 'inet' : fam === 'inet6' ? 'inet6' : 'any',
    batchMode: yes(o.get('batchmode'), false),
    options: o,
  };
}
