// What the remote host has, found and acted on in ONE ssh exec: its OS and arch (as Node names them), a Node.js
// >= 18 (a configured path, the exec's PATH, the login shell's PATH, an existing VS Code Server's node), mosh-server,
// and whether our server is already deployed for this content hash and still matches it (verify.ts: checked with
// that Node before every launch). When the choice is clear and nothing must be uploaded, the same script goes on
// to exec the server (so a cached connect costs a single round trip); otherwise it reports and stops.
//
// Quoting. sshd hands our command line to the user's login shell, which may be sh, bash, zsh, fish, csh or tcsh,
// and those disagree about quoting: fish reads "\\" and "\'" inside single quotes, csh expands "!" even inside
// them and cannot quote a newline. So the line is `sh -c '<SCRIPT>' vscode-mosh <args>`, where SCRIPT is fixed
// text with no "'", "!", newline or backslash pair (a test holds it to that), and each argument is either a word
// of letters, digits and `_./:=,+-` behind a "p", or, behind an "e", its letters and digits as they are and every
// other byte as "_" and three octal digits (`it's` is `eit_047s`), which the script turns back into bytes with
// POSIX printf. Letters, digits and "_" mean nothing to any of those shells, so the server gets its arguments
// byte for byte. (Sending the script on stdin instead would dodge the login shell, but the exec has a pty
// (exec.ts), which echoes input and limits line length.) Not the upload (deploy.ts), nor the choice's wording
// (launch.ts), nor running the exec (exec.ts).

import { BootstrapError } from './errors';
import { CHECK_PROGRAM } from './verify';

export { shq } from './shellquote';
export { type ExecResult, runRemote } from './exec';

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
  /** Expected digests of our files (verify.ts manifestText); checked before our server is launched. */
  manifest?: string;
  /** The server's arguments: `new -s -c 256 ...`. */
  serverArgs: string[];
}

/** An argument in the form every login shell passes through untouched (see the header). */
export function remoteArg(s: string): string {
  if (s.includes('\0'))
    throw new BootstrapError(
      'config',
      'An argument for the remote server contains a NUL byte, which no command line can carry.',
    );
  if (/^[A-Za-z0-9_./:=,+-]*$/.test(s)) return `p${s}`;
  // letters and digits as they are, every other byte as "_" and three octal digits
  return `e${[...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(8).padStart(3, '0')}`)).join('')}`;
}

const SCRIPT = [
  'say() { printf "VSMOSH %s\\n" "$*"; };',
  'printf "\\n"; say begin;', // on a line of its own, even after startup-file output without a final newline
  // decode the arguments: "p<word>" as it is, "e_ooo_ooo..." byte by byte (tr makes "_" a backslash: "\ooo" for printf)
  'for a in "$@"; do shift; case "$a" in p*) v="${a#p}";; *) v=$(printf "$(printf %s "${a#e}" | tr _ "\\134")"; printf x); v="${v%x}";; esac; set -- "$@" "$v"; done;',
  'mode="$1"; hash="$2"; root="$3"; nonode="$4"; explicit="$5"; nodepath="$6"; manifest="$7"; check="$8"; shift 8;',
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
  // our server runs only after its files matched their digests (and our folders were made private)
  'verified() { v=$("$node" -e "$check" "$root" "$d" "$plat" "$manifest" 2>&1 | tail -n 1); say "verify=$v"; case "$v" in ok*) return 0;; esac; return 1; };',
  'case "$mode" in',
  '  auto|bundled) if [ -n "$node" ] && [ "$cached" = 1 ] && verified; then run bundled "$node" "$node" "$d/server.js" "$@"; fi;',
  '    if [ "$mode" = auto ] && [ -z "$node" ] && [ -n "$ms" ]; then run system "$ms" "$ms" "$@"; fi;;',
  '  system) if [ -n "$ms" ]; then run system "$ms" "$ms" "$@"; fi;;',
  '  path) if [ -x "$explicit" ]; then run path "$explicit" "$explicit" "$@"; fi;;',
  'esac;',
  'say "launch=none"',
].join(' ');

/** The command line for the exec channel: `sh -c '<script>' vscode-mosh <encoded args>`. */
export function remoteCommand(a: RemoteScriptArgs): string {
  const args = [
    a.mode,
    a.hash,
    a.cacheRoot,
    a.hideNode ? '1' : '0',
    a.explicitPath ?? '',
    a.nodePath ?? '',
    a.manifest ?? '',
    CHECK_PROGRAM,
    ...a.serverArgs,
  ];
  return `sh -c '${SCRIPT}' vscode-mosh ${args.map(remoteArg).join(' ')}`;
}

/** The script the command line carries (for tests that hold it to what every login shell passes intact). */
export const REMOTE_SCRIPT = SCRIPT;

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
  /** The check of the cached deployment before launching it: "ok", "ok fixed=N", "bad <reason>", "unsupported". */
  verify: string | null;
  /** Whether our script ran at all (the login shell got as far as starting it). */
  began: boolean;
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
    verify: null,
    began: false,
    launched: null,
    serverPath: null,
  };
  let nodePath = '';
  for (const line of stdout.split(/\r?\n/)) {
    if (line === 'VSMOSH begin') p.began = true;
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
    else if (k === 'verify') p.verify = v;
    else if (k === 'launch') p.launched = v as RemoteProbe['launched'];
    else if (k === 'server') p.serverPath = v;
  }
  if (nodePath) p.node = p.nodesFound.find((n) => n.path === nodePath) ?? { path: nodePath, version: '?', major: 18 };
  return p;
}
