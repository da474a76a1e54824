// The whole ssh bootstrap of a mosh session, as the `mosh` wrapper does it: resolve the host (config.ts), log in
// (connect.ts), probe the remote and start the server in the same exec when it is already there (remote.ts),
// else upload ours (deploy.ts) and start it, read MOSH CONNECT (launch.ts), close ssh, and hand the client the
// address ssh reached, the UDP port and the key. Every step has a deadline (timeouts.ts) and the whole can be
// cancelled through an AbortSignal; either way everything opened is closed and nothing of ours is left running
// on the remote (exec.ts). Front ends (the CLI's `connect`, VS Code) call `bootstrap()` with their own Prompter.
// Not the mosh session itself (client/).

import type { BaseAgent } from 'ssh2';
import { type ResolvedHost, resolveHost, type ResolveOptions } from './config';
import { connectSsh } from './connect';
import { DEFAULT_CACHE_ROOT, loadBundle, uploadBundle } from './deploy';
import { BootstrapError } from './errors';
import { decide, parseMoshConnect, serverArgs, type ServerChoice, serverMode } from './launch';
import type { Prompter } from './prompt';
import { type ExecStage, runRemote } from './exec';
import { parseProbe, remoteCommand, type RemoteProbe, type ServerMode } from './remote';
import { cleanRemoteText } from './remotetext';
import { cancelledError, DEFAULT_TIMEOUTS, seconds, type StepTimeouts } from './timeouts';
import { manifestText } from './verify';

export type BootstrapStep = 'ssh' | 'deploy' | 'start';

export interface BootstrapOptions {
  /** `[user@]host[:port]` or a Host alias from ~/.ssh/config. */
  target: string;
  prompter: Prompter;
  /** auto (default) | bundled | system | a path to a mosh-server on the remote host. */
  server?: ServerChoice;
  /** Server UDP port or range, "PORT" or "LOW:HIGH". */
  ports?: string;
  /** The client's colours for `-c` (default 256). */
  colors?: number;
  /** Locale settings for `-l` (default: the client's UTF-8 locale, else LANG=C.UTF-8). */
  locale?: Record<string, string>;
  /** A command to run instead of the login shell. */
  command?: string[];
  /** ssh_config files, home, and command-line user/port/identity files. */
  resolve?: ResolveOptions;
  /** ssh agents to use instead of the configured ones (tests); [] for none. */
  agents?: BaseAgent[];
  /** TCP connect + handshake timeout, not counting prompts (the same as timeouts.connectMs). */
  timeoutMs?: number;
  /** Deadlines of the other steps: the remote login, the server start, upload progress (defaults in timeouts.ts). */
  timeouts?: StepTimeouts;
  /** Cancels the bootstrap: it rejects with BootstrapError('cancelled') and closes everything it opened. */
  signal?: AbortSignal;
  /** Where dist/server.js and dist/pty/ are (default: found beside this code). */
  bundleDir?: string;
  /** Remote cache folder, relative to the remote $HOME unless absolute (default .cache/vscode-mosh). */
  cacheRoot?: string;
  log?: (line: string) => void;
  progress?: (step: BootstrapStep) => void;
  /** A Node.js on the remote host to try first (e.g. a setting); `~/` is the remote home. */
  remoteNode?: string;
  /** Test only: make the remote look as if it had no Node.js. */
  hideRemoteNode?: boolean;
}

export interface BootstrapResult {
  /** Numeric address for the UDP session: the one ssh connected to (IPv4 or IPv6). */
  ip: string;
  port: number;
  key: string;
  /** Remote pid of the detached server, if it said. */
  pid?: number;
  server: {
    kind: 'bundled' | 'system' | 'path';
    /** The executable started (node for ours). */
    path: string;
    /** Node's version, for ours. */
    nodeVersion?: string;
    /** For logs and the UI: "bundled (node v20.11.0)", "system mosh-server (/usr/bin/mosh-server)". */
    description: string;
  };
  /** Whether our server was uploaded on this connect (false: it was already there). */
  uploaded: boolean;
  host: ResolvedHost;
  probe: RemoteProbe;
  /** Milliseconds per phase, for logs and benchmarks. */
  timings: { ssh: number; start: number; upload: number; total: number };
}

/** Words for a session that started over ssh but never heard back over UDP. */
export function udpBlockedHint(r: Pick<BootstrapResult, 'ip' | 'port'>, ports?: string): string {
  return (
    `ssh worked and the mosh server started, but no UDP packet came back from ${r.ip} port ${r.port}.\n` +
    `Mosh needs UDP: open ${ports ? `UDP port${ports.includes(':') ? 's' : ''} ${ports}` : 'UDP ports 60000-61000 (or choose a range with -p and open that)'} ` +
    "in the firewalls between here and the host (the host's own firewall and any cloud security group)."
  );
}

export async function bootstrap(o: BootstrapOptions): Promise<BootstrapResult> {
  const log = o.log ?? (() => undefined);
  const t0 = Date.now();
  const signal = o.signal;
  if (signal?.aborted) throw cancelledError(o.target);
  o.progress?.('ssh');
  const host = resolveHost(o.target, o.resolve);
  const cancelled = () => cancelledError(host.hostname);
  const limits = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  log(
    `ssh ${host.user}@${host.hostname} port ${host.port}${host.proxyJump.length ? ` via ${host.proxyJump.join(',')}` : ''}`,
  );
  const conn = await connectSsh(host, {
    prompter: o.prompter,
    resolve: o.resolve,
    agents: o.agents,
    timeoutMs: o.timeoutMs ?? o.timeouts?.connectMs,
    log,
    signal,
  });
  const tSsh = Date.now();
  let tUpload = 0;
  try {
    const choice = serverMode(o.server ?? 'auto');
    const wantsOurs = choice.mode === 'auto' || choice.mode === 'bundled';
    const bundle = wantsOurs ? loadBundle(o.bundleDir) : null;
    const args = serverArgs({ colors: o.colors, ports: o.ports, locale: o.locale, command: o.command });
    const cacheRoot = o.cacheRoot ?? DEFAULT_CACHE_ROOT;
    const command = (mode: ServerMode) =>
      remoteCommand({
        mode,
        hash: bundle?.hash ?? '-',
        cacheRoot,
        explicitPath: choice.path,
        hideNode: o.hideRemoteNode,
        nodePath: o.remoteNode,
        manifest: bundle ? manifestText(bundle.files) : '',
        serverArgs: args,
      });
    const run = (mode: ServerMode) =>
      runRemote(conn.client, command(mode), {
        started: (out) => /^VSMOSH begin\r?$/m.test(out),
        until: (out) => /^MOSH CONNECT /m.test(out),
        graceMs: 2000,
        loginMs: limits.loginMs,
        runMs: limits.startMs,
        timeoutError: (stage, out) =>
          stepTimeout(stage, out, host.hostname, stage === 'login' ? limits.loginMs : limits.startMs),
        signal,
        cancelledError: cancelled,
        lost: conn.lost,
      });

    o.progress?.('start');
    let res = await run(choice.mode);
    let probe = parseProbe(res.stdout);
    if (probe.launched === null) {
      throw new BootstrapError(
        'launch',
        `The remote shell did not run our probe on ${host.hostname}. Its output:\n${tail(res.stdout + res.stderr)}`,
      );
    }
    const fixed = /^ok fixed=(\d+)/.exec(probe.verify ?? '');
    if (fixed)
      log(`tightened the permissions of ${fixed[1]} of our cached files and folders (now 0700 folders, 0600 files)`);
    let uploaded = false;
    if (probe.launched === 'none') {
      const action = decide(probe, choice, host.hostname, bundle?.platforms ?? []);
      if (action === 'upload' && bundle) {
        o.progress?.('deploy');
        const t = Date.now();
        const root = cacheRoot.startsWith('/') ? cacheRoot : `${probe.home.replace(/\/$/, '')}/${cacheRoot}`;
        const bad = probe.verify?.startsWith('bad ')
          ? cleanRemoteText(probe.verify.slice(4), { multiline: false })
          : null;
        if (bad) log(`the cached server in ${root}/${bundle.hash} failed its check (${bad}): not running it`);
        const up = await uploadBundle(conn.client, bundle, probe.platform, root, {
          log,
          replace: !!bad,
          stallMs: limits.uploadStallMs,
          signal,
          lost: conn.lost,
          host: host.hostname,
        });
        tUpload = Date.now() - t;
        uploaded = true;
        log(`uploaded ${up.files} files (${Math.round(up.bytes / 1024)} KiB) in ${tUpload} ms`);
        if (bad) log(`the cached server in ${up.dir} did not match its hash; uploaded it again`);
        o.progress?.('start');
        res = await run(choice.mode);
      } else {
        log(
          `Node.js is there but the bundled server has no pty binary for ${cleanRemoteText(probe.platform, { multiline: false })}: using mosh-server`,
        );
        res = await run('system');
      }
      probe = parseProbe(res.stdout);
      if (probe.launched === 'none' || probe.launched === null) {
        const why = probe.verify?.startsWith('bad ')
          ? ` The copy uploaded just now failed its check: ${cleanRemoteText(probe.verify.slice(4), { multiline: false })}.`
          : '';
        throw new BootstrapError(
          'launch',
          `The server could not be started on ${host.hostname} after the upload.${why} Output:\n${tail(res.stdout + res.stderr)}`,
        );
      }
    }
    const mc = parseMoshConnect(res.stdout, res.stderr);
    const kind = probe.launched as 'bundled' | 'system' | 'path';
    const path = cleanRemoteText(probe.serverPath ?? '?', { multiline: false });
    if (!mc) {
      throw new BootstrapError(
        'launch',
        `The mosh server (${kind === 'bundled' ? `${path} ${cacheRoot}/${bundle?.hash}/server.js` : path}) ran on ${host.hostname} but did not print "MOSH CONNECT".` +
          `${res.code !== null ? ` It exited with status ${res.code}.` : ''}\nIts output:\n${tail(stripProbe(res.stdout) + res.stderr)}`,
      );
    }
    const nodeVersion =
      kind === 'bundled' && probe.node ? cleanRemoteText(probe.node.version, { multiline: false }) : undefined;
    const description =
      kind === 'bundled'
        ? `bundled (node ${nodeVersion ?? '?'} at ${path})`
        : kind === 'system'
          ? `system mosh-server (${path})`
          : `mosh server at ${path}`;
    log(`server: ${description}; UDP ${conn.peerAddress} port ${mc.port}${mc.pid ? `; remote pid ${mc.pid}` : ''}`);
    const end = Date.now();
    return {
      ip: conn.peerAddress,
      port: mc.port,
      key: mc.key,
      pid: mc.pid,
      server: { kind, path, nodeVersion, description },
      uploaded,
      host,
      probe,
      timings: { ssh: tSsh - t0, start: end - tSsh - tUpload, upload: tUpload, total: end - t0 },
    };
  } catch (e) {
    if (e instanceof BootstrapError) throw e;
    throw new BootstrapError('ssh', `ssh: ${host.hostname}: ${cleanRemoteText((e as Error).message)}`);
  } finally {
    conn.close();
  }
}

/** The words for a step that took too long, from how far the remote output got. */
function stepTimeout(stage: ExecStage, out: string, host: string, ms: number): BootstrapError {
  if (stage === 'login') {
    return new BootstrapError(
      'timeout',
      `The remote login on ${host} did not answer within ${seconds(ms)}: the login shell never finished its startup files. ` +
        'Check ~/.bashrc (or ~/.profile, ~/.zshenv, ~/.config/fish/config.fish) on that host for commands that wait for input or never end.' +
        (out.trim() ? `\nWhat it printed:\n${tail(out)}` : ''),
    );
  }
  const probe = parseProbe(out);
  if (probe.launched) {
    return new BootstrapError(
      'timeout',
      `The mosh server (${cleanRemoteText(probe.serverPath ?? '?', { multiline: false })}) started on ${host} but did not print "MOSH CONNECT" within ${seconds(ms)}.\nIts output:\n${tail(stripProbe(out))}`,
    );
  }
  const last =
    out
      .split(/\r?\n/)
      .filter((l) => l.startsWith('VSMOSH '))
      .pop() ?? 'VSMOSH begin';
  return new BootstrapError(
    'timeout',
    `Looking for Node.js and mosh-server on ${host} did not finish within ${seconds(ms)} (it stopped after "${cleanRemoteText(last.slice(7), { multiline: false })}"). ` +
      'Asking the login shell for its PATH runs ~/.profile (or ~/.bash_profile, ~/.zprofile): check it for commands that wait for input, or set the remote Node.js path (mosh.remoteNodePath).',
  );
}

function stripProbe(s: string): string {
  return s
    .split('\n')
    .filter((l) => !l.startsWith('VSMOSH '))
    .join('\n');
}

/** The end of some remote output, indented, without control characters. */
function tail(s: string, lines = 15): string {
  const all = cleanRemoteText(s).trimEnd().split('\n');
  return (all.length > lines ? ['...', ...all.slice(-lines)] : all).map((l) => `  ${l}`).join('\n') || '  (nothing)';
}
