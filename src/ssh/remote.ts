// What the remote host has, found and acted on in ONE ssh exec: its OS and arch (as Node names them), a Node.js
// >= 18 (a configured path, the exec's PATH, the login shell's PATH, an existing VS Code Server's node), mosh-server,
// and whether our server is already deployed for this content hash. When the choice is clear and nothing must
// be uploaded, the same script goes on to exec the server (so a cached connect costs a single round trip);
// otherwise it reports and stops. The script is POSIX sh with no `!`, newline or single quote, so any login
// shell (bash, zsh, fish, csh) passes it to `sh -c` intact. Not the upload (deploy.ts) nor the choice's wording
// (launch.ts).

import type { Client } from 'ssh2';

/** POSIX single-quote quoting (also understood by fish and csh for strings without `!` or newlines). */
export function shq(s: string): string {
  return /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export type ServerMode = 'auto' | 'bundled' | 'system' | 'path';

export interface RemoteScriptArgs {
  mode: ServerMode;
  /** Content hash of our server bundle (folder name in the cache). */
  hash: string;
  /** Cache folder: relative to $HOME unless absolute. */
  cacheRoot: string;
  /** mode "path": the server executable. */
  explicitPath?: string;
  /** Test only: behave as if the host had no Node.js at all. */
  hideNode?: boolean;
  /** A Node.js to try first (a user setting); `~/` is the remote home. */
  nodePath?: string;
  /** The server's arguments: `new -s -c 256 ...`. */
  serverArgs: string[];
}

const SCRIPT = [
  'mode="$1"; hash="$2"; root="$3"; nonode="$4"; explicit="$5"; nodepath="$6"; shift 6;',
  'say() { printf "VSMOSH %s\\n" "$*"; };',
  'os=$(uname -s 2>/dev/null); arch=$(uname -m 2>/dev/null);',
  'case "$os" in Linux) pos=linux;; Darwin) pos=darwin;; FreeBSD) pos=freebsd;; OpenBSD) pos=openbsd;; *) pos=unknown;; esac;',
  'case "$arch" in x86_64|amd64) parch=x64;; aarch64|arm64) parch=arm64;; armv7l|armv6l|arm) parch=arm;; i?86) parch=ia32;; *) parch="$arch";; esac;',
  'plat="$pos-$parch";',
  'say "os=$os"; say "arch=$arch"; say "plat=$plat"; say "home=$HOME"; say "shell=$SHELL";',
  'case "$root" in /*) ;; *) root="$HOME/$root";; esac;',
  'd="$root/$hash";',
  'good() { v=$("$1" -v 2>/dev/null) || return 1; m=${v#v}; m=${m%%.*}; say "node-found=$v $1"; [ "$m" -ge 18 ] 2>/dev/null; };',
  'node="";',
  'if [ "$nonode" = 1 ]; then :; else',
  '  case "$nodepath" in "~/"*) nodepath="$HOME/${nodepath#??}";; esac;',
  '  if [ -n "$nodepath" ] && [ -x "$nodepath" ] && good "$nodepath"; then node="$nodepath"; fi;',
  '  if [ -z "$node" ]; then n=$(command -v node 2>/dev/null); if [ -n "$n" ] && good "$n"; then node="$n"; fi; fi;',
  '  if [ -z "$node" ]; then case "${SHELL##*/}" in csh|tcsh) ;; *) n=$("${SHELL:-/bin/sh}" -lc "command -v node" </dev/null 2>/dev/null | tail -n 1); if [ -n "$n" ] && [ -x "$n" ] && good "$n"; then node="$n"; fi;; esac; fi;',
  '  if [ -z "$node" ]; then for n in "$HOME"/.vscode-server/cli/servers/*/server/node "$HOME"/.vscode-server/bin/*/node "$HOME"/.vscode-server-insiders/cli/servers/*/server/node "$HOME"/.vscode-server-insiders/bin/*/node; do if [ -x "$n" ] && good "$n"; then node="$n"; break; fi; done; fi;',
  'fi;',
  'say "node=$node";',
  'ms=$(command -v mosh-server 2>/dev/null); say "mosh-server=$ms";',
  'cached=0; if [ -f "$d/server.js" ] && [ -f "$d/pty/$plat/pty.node" ]; then cached=1; fi; say "cached=$cached";',
  'run() { say "launch=$1"; say "server=$2"; shift 2; exec "$@"; };',
  'case "$mode" in',
  '  auto|bundled) if [ -n "$node" ] && [ "$cached" = 1 ]; then run bundled "$node" "$node" "$d/server.js" "$@"; fi;',
  '    if [ "$mode" = auto ] && [ -z "$node" ] && [ -n "$ms" ]; then run system "$ms" "$ms" "$@"; fi;;',
  '  system) if [ -n "$ms" ]; then run system "$ms" "$ms" "$@"; fi;;',
  '  path) if [ -x "$explicit" ]; then run path "$explicit" "$explicit" "$@"; fi;;',
  'esac;',
  'say "launch=none"',
].join(' ');

/** The command line for the exec channel: `sh -c '<script>' vscode-mosh <args>`. */
export function remoteCommand(a: RemoteScriptArgs): string {
  const args = [a.mode, a.hash, a.cacheRoot, a.hideNode ? '1' : '0', a.explicitPath ?? '', a.nodePath ?? '', ...a.serverArgs];
  return `sh -c ${shq(SCRIPT)} vscode-mosh ${args.map(shq).join(' ')}`;
}

export interface NodeCandidate {
  path: string;
  version: string;
  major: number;
}

export interface RemoteProbe {
  os: string;
  arch: string;
  /** Node's names: "linux-x64", "darwin-arm64", ... ("unknown-..." for other systems). */
  platform: string;
  home: string;
  shell: string;
  /** The chosen Node.js (>= 18), if any. */
  node: NodeCandidate | null;
  /** Every node that was looked at (to say why none was good enough). */
  nodesFound: NodeCandidate[];
  moshServer: string | null;
  cached: boolean;
  /** What the script started ("none": it stopped without starting a server). */
  launched: 'bundled' | 'system' | 'path' | 'none' | null;
  /** The executable it started. */
  serverPath: string | null;
}

/** Reads the VSMOSH lines of the script's output (other lines are ignored: login noise, the server's own). */
export function parseProbe(stdout: string): RemoteProbe {
  const p: RemoteProbe = {
    os: '',
    arch: '',
    platform: '',
    home: '',
    shell: '',
    node: null,
    nodesFound: [],
    moshServer: null,
    cached: false,
    launched: null,
    serverPath: null,
  };
  let nodePath = '';
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^VSMOSH ([a-z-]+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, k, v] = m;
    if (k === 'os') p.os = v;
    else if (k === 'arch') p.arch = v;
    else if (k === 'plat') p.platform = v;
    else if (k === 'home') p.home = v;
    else if (k === 'shell') p.shell = v;
    else if (k === 'node-found') {
      const sp = v.indexOf(' ');
      const version = v.slice(0, sp);
      p.nodesFound.push({ version, path: v.slice(sp + 1), major: Number(/^v(\d+)/.exec(version)?.[1] ?? 0) });
    } else if (k === 'node') nodePath = v;
    else if (k === 'mosh-server') p.moshServer = v || null;
    else if (k === 'cached') p.cached = v === '1';
    else if (k === 'launch') p.launched = v as RemoteProbe['launched'];
    else if (k === 'server') p.serverPath = v;
  }
  if (nodePath) p.node = p.nodesFound.find((n) => n.path === nodePath) ?? { path: nodePath, version: '?', major: 18 };
  return p;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs a command; resolves when the channel closes, or as soon as `until(stdout)` holds (then the channel is left
 * to close by itself, at most `graceMs` later).
 */
export function execCollect(client: Client, command: string, opts: { until?: (stdout: string) => boolean; graceMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let done = false;
      let grace: NodeJS.Timeout | null = null;
      const finish = () => {
        if (done) return;
        done = true;
        if (grace) clearTimeout(grace);
        resolve({ stdout, stderr, code });
      };
      ch.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
        if (opts.until && !grace && opts.until(stdout)) grace = setTimeout(finish, opts.graceMs ?? 1000);
      });
      ch.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('close', finish);
    });
  });
}
