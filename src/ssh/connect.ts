// Opens an authenticated ssh2 connection to a resolved host: the transport (direct TCP, ProxyJump through other
// ssh connections, or a ProxyCommand), the host key check against known_hosts (unknown: ask through the
// Prompter and record; changed or revoked: refuse with OpenSSH's words), authentication (auth.ts), and clear
// errors for unreachable hosts and timeouts, cancellation through an AbortSignal, and ssh keepalives
// (ServerAliveInterval/CountMax, else 15 s x 3) so a link that dies later is noticed. It also reports the numeric
// address the connection reached, which is where the mosh client sends its UDP. Not what runs over the
// connection (exec.ts, remote.ts, deploy.ts, launch.ts).

import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { Client, type BaseAgent } from 'ssh2';
import { Authenticator } from './auth';
import { type ResolvedHost, resolveHost, type ResolveOptions } from './config';
import { BootstrapError } from './errors';
import {
  addKnownHost,
  blobKeyType,
  changedHostMessage,
  checkHostKey,
  fingerprint,
  keyTypeLabel,
  knownHostName,
  knownKeyTypes,
  preferredHostKeyAlgorithms,
  revokedHostMessage,
  unknownHostMessage,
} from './knownhosts';
import type { Prompter } from './prompt';
import { cleanRemoteText } from './remotetext';
import { abortable, cancelledError, DEFAULT_KEEPALIVE, DEFAULT_TIMEOUTS, onAbort, seconds, Watchdog } from './timeouts';

export const DEFAULT_CONNECT_TIMEOUT_MS = DEFAULT_TIMEOUTS.connectMs;
const MAX_JUMPS = 8;

export interface ConnectOptions {
  prompter: Prompter;
  /** How the jump hosts are resolved (the same config files as the target). */
  resolve?: ResolveOptions;
  /** Agents to use instead of the configured ones (tests); [] for none. */
  agents?: BaseAgent[];
  /** TCP connect plus handshake, not counting time spent in prompts; default ConnectTimeout or 15 s. */
  timeoutMs?: number;
  /** Progress lines for a log (never secrets). */
  log?: (line: string) => void;
  /** Cancels the connect (and closes the connection it made): rejects with BootstrapError('cancelled'). */
  signal?: AbortSignal;
  /** Keepalives when ssh_config sets none (ServerAliveInterval / ServerAliveCountMax); default 15 s x 3. */
  keepalive?: { intervalS: number; countMax: number };
}

export interface SshConnection {
  client: Client;
  host: ResolvedHost;
  /** The numeric IP the ssh connection reached (direct), or the target name resolved here (jump/proxy). */
  peerAddress: string;
  /** How the host key was settled. */
  hostKey: { status: 'known' | 'recorded' | 'accepted'; fingerprint: string; keyType: string };
  /** Settles (never rejects) with the reason when the connection ends without close() being called: the link
   * died (no answer to keepalives), the server hung up, the socket failed. */
  lost: Promise<BootstrapError>;
  /** Closes this connection and any jump connections under it. */
  close(): void;
}

/** Strips the IPv4-mapped prefix so "::ffff:1.2.3.4" is the plain IPv4 address it is. */
export function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * The prompter as the connect uses it: the countdown pauses while a question is open, a cancel answers it as
 * the user cancelling would (the connect itself is ended by the abort), and server texts are cleaned.
 */
function wrapPrompter(p: Prompter, dog: Watchdog, signal: AbortSignal | undefined): Prompter {
  const held = async <T>(f: () => Promise<T>, cancelled: T): Promise<T> => {
    if (signal?.aborted) return cancelled;
    dog.pause();
    try {
      return await abortable(f(), signal, () => new Error('cancelled')).catch((e: unknown) => {
        if (signal?.aborted) return cancelled;
        throw e;
      });
    } finally {
      dog.resume();
    }
  };
  return {
    ask: (q) => held(() => p.ask(signal ? { ...q, signal } : q), undefined),
    confirmHostKey: (q) => held(() => p.confirmHostKey(signal ? { ...q, signal } : q), false),
    info: p.info ? (m) => p.info!(cleanRemoteText(m)) : undefined,
  };
}

function socketError(e: NodeJS.ErrnoException, host: ResolvedHost): BootstrapError {
  const where = `ssh: connect to host ${host.hostname} port ${host.port}`;
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new BootstrapError(
        'unreachable',
        `ssh: Could not resolve hostname ${host.hostname}: ${e.code === 'EAI_AGAIN' ? 'Temporary failure in name resolution' : 'Name or service not known'}.`,
      );
    case 'ECONNREFUSED':
      return new BootstrapError(
        'unreachable',
        `${where}: Connection refused (is an ssh server running there, on that port?).`,
      );
    case 'EHOSTUNREACH':
      return new BootstrapError('unreachable', `${where}: No route to host.`);
    case 'ENETUNREACH':
      return new BootstrapError('unreachable', `${where}: Network is unreachable.`);
    case 'ETIMEDOUT':
      return new BootstrapError('timeout', `${where}: Connection timed out.`);
    case 'ECONNRESET':
      return new BootstrapError('unreachable', `${where}: Connection reset by peer.`);
    default:
      return new BootstrapError('unreachable', `${where}: ${e.message}`);
  }
}

async function resolveForUdp(name: string): Promise<string> {
  if (isIP(name)) return name;
  try {
    return (await lookup(name)).address;
  } catch {
    return name;
  }
}

/** Connects, checks the host key and authenticates. Rejects with a BootstrapError. */
export async function connectSsh(host: ResolvedHost, opts: ConnectOptions, depth = 0): Promise<SshConnection> {
  const log = opts.log ?? (() => undefined);
  const signal = opts.signal;
  if (signal?.aborted) throw cancelledError(host.hostname);
  const timeoutMs = opts.timeoutMs ?? (host.connectTimeout ? host.connectTimeout * 1000 : DEFAULT_CONNECT_TIMEOUT_MS);
  const closers: (() => void)[] = [];
  let closed = false;
  const closeAll = () => {
    closed = true;
    for (const c of closers.splice(0).reverse()) {
      try {
        c();
      } catch {
        /* already closed */
      }
    }
  };
  const cancelled = () => cancelledError(host.hostname);

  // 1. the byte stream to the ssh server
  let sock: Duplex;
  let peerAddress: string;
  let socket: Socket | null = null;
  /** For a ProxyCommand: settles when the command ends, with the error that says how. */
  let proxyEnded: Promise<BootstrapError> | null = null;
  if (host.proxyJump.length) {
    if (depth >= MAX_JUMPS)
      throw new BootstrapError('config', `ProxyJump goes through more than ${MAX_JUMPS} hosts (a loop?).`);
    const hops = host.proxyJump;
    const jumpHost = resolveHost(hops[hops.length - 1], opts.resolve);
    if (hops.length > 1) jumpHost.proxyJump = hops.slice(0, -1);
    log(`jumping through ${jumpHost.user}@${jumpHost.hostname}:${jumpHost.port}`);
    const jump = await connectSsh(jumpHost, opts, depth + 1);
    closers.push(() => jump.close());
    // looked up before the channel opens: nothing may wait between the channel and ssh2 taking it
    peerAddress = await resolveForUdp(host.hostname);
    try {
      sock = await abortable(
        new Promise<Duplex>((resolve, reject) => {
          const t = setTimeout(
            () =>
              reject(
                new BootstrapError(
                  'timeout',
                  `ssh: the jump host ${jumpHost.hostname} did not open a connection to ${host.hostname} port ${host.port} within ${seconds(timeoutMs)}.`,
                ),
              ),
            timeoutMs,
          );
          jump.client.forwardOut('127.0.0.1', 0, host.hostname, host.port, (err, ch) => {
            clearTimeout(t);
            if (err) reject(err);
            else resolve(ch);
          });
        }),
        signal,
        cancelled,
      );
    } catch (e) {
      closeAll();
      if (e instanceof BootstrapError) throw e;
      throw new BootstrapError(
        'unreachable',
        `ssh: the jump host ${jumpHost.hostname} could not reach ${host.hostname} port ${host.port}: ${cleanRemoteText((e as Error).message)}`,
      );
    }
  } else if (host.proxyCommand) {
    log(`proxy command: ${host.proxyCommand}`);
    // looked up first: no await may come between the proxy's start and ssh2 taking its stream, or a proxy that
    // ends at once errors a stream nobody listens to yet
    peerAddress = await resolveForUdp(host.hostname);
    const child =
      process.platform === 'win32'
        ? spawn(host.proxyCommand, { shell: true, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true })
        : spawn('/bin/sh', ['-c', `exec ${host.proxyCommand}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let lastWords = '';
    child.stderr.on('data', (d: Buffer) => {
      const text = cleanRemoteText(d.toString().trimEnd());
      if (text) lastWords = text.split('\n').pop()!;
      log(`proxy: ${text}`);
    });
    proxyEnded = new Promise<[string, boolean]>((resolve) => {
      child.once('error', (e) => resolve([`could not be started (${e.message})`, true]));
      child.once('exit', (code, sig) =>
        resolve([sig ? `was ended by ${sig}` : `exited with status ${code}`, !!sig || code !== 0]),
      );
    }).then(
      ([how, failed]) =>
        new BootstrapError(
          failed ? 'unreachable' : 'ssh',
          `ssh: the ProxyCommand for ${host.hostname} ${how} before the ssh handshake finished${lastWords ? `: ${lastWords}` : ''}.`,
        ),
    );
    closers.push(() => child.kill());
    sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
    sock.on('error', (e) => log(`proxy stream: ${e.message}`));
  } else {
    const s = tcpConnect({
      host: host.hostname,
      port: host.port,
      family: host.addressFamily === 'inet' ? 4 : host.addressFamily === 'inet6' ? 6 : undefined,
    });
    socket = s;
    sock = s;
    closers.push(() => s.destroy());
    try {
      await abortable(
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
          s.once('connect', () => {
            clearTimeout(t);
            resolve();
          });
          s.once('error', (e) => {
            clearTimeout(t);
            reject(e);
          });
        }),
        signal,
        cancelled,
      );
    } catch (e) {
      closeAll();
      if (e instanceof BootstrapError) throw e;
      const err = socketError(e as NodeJS.ErrnoException, host);
      if (err.code === 'timeout')
        err.message = `ssh: connect to host ${host.hostname} port ${host.port}: Connection timed out after ${Math.round(timeoutMs / 1000)} s.`;
      throw err;
    }
    s.setNoDelay(true);
    peerAddress = plainAddress(s.remoteAddress ?? host.hostname);
    log(`connected to ${peerAddress} port ${host.port}`);
  }

  // 2. ssh: host key, then authentication
  const client = new Client();
  closers.push(() => client.end());
  let failure: BootstrapError | null = null;
  const stopNow = () => {
    client.destroy();
    socket?.destroy();
    sock.destroy();
  };
  const dog = new Watchdog(timeoutMs, () => {
    failure ??= new BootstrapError(
      'timeout',
      `ssh: ${host.hostname} port ${host.port} did not complete the ssh handshake within ${seconds(timeoutMs)}.`,
    );
    stopNow();
  });
  const stopListening = onAbort(signal, () => {
    failure ??= cancelled();
    stopNow();
  });
  const prompter = wrapPrompter(opts.prompter, dog, signal);
  // ssh_config's ServerAliveInterval / ServerAliveCountMax where set, our bootstrap defaults for the rest
  const alive = host.serverAliveInterval ?? (opts.keepalive ?? DEFAULT_KEEPALIVE).intervalS;
  const aliveMax = host.options.has('serveralivecountmax')
    ? host.serverAliveCountMax
    : (opts.keepalive ?? DEFAULT_KEEPALIVE).countMax;
  const auth = new Authenticator(host, prompter, { agents: opts.agents });
  const keyName = knownHostName(host.hostKeyAlias ?? host.hostname, host.port);
  const files = [...host.userKnownHostsFiles, ...host.globalKnownHostsFiles];
  let hostKey: SshConnection['hostKey'] | null = null;
  let authStarted = false;

  const verify = async (key: Buffer): Promise<boolean> => {
    const type = blobKeyType(key);
    const fp = fingerprint(key);
    const st = checkHostKey(files, keyName, key);
    if (st.status === 'known') {
      hostKey = { status: 'known', fingerprint: fp, keyType: type };
      return true;
    }
    if (st.status === 'revoked') {
      failure = new BootstrapError('hostkey-changed', revokedHostMessage(keyName, key, st.entry));
      return false;
    }
    if (st.status === 'changed') {
      failure = new BootstrapError(
        'hostkey-changed',
        changedHostMessage(keyName, key, st.offending, host.userKnownHostsFiles[0] ?? '~/.ssh/known_hosts'),
      );
      return false;
    }
    const record = () => {
      const file = host.userKnownHostsFiles[0];
      if (!file) return;
      try {
        addKnownHost(file, keyName, key, host.hashKnownHosts);
        log(`Permanently added '${keyName}' (${keyTypeLabel(type)}) to the list of known hosts.`);
      } catch (e) {
        prompter.info?.(`Could not record the host key in ${file}: ${(e as Error).message}`);
      }
    };
    if (host.strictHostKeyChecking === 'no' || host.strictHostKeyChecking === 'accept-new') {
      record();
      hostKey = { status: 'recorded', fingerprint: fp, keyType: type };
      return true;
    }
    if (host.strictHostKeyChecking === 'yes' || host.batchMode) {
      failure = new BootstrapError(
        'hostkey-refused',
        `No ${keyTypeLabel(type)} host key is known for ${keyName} and you have requested strict checking.\nIts fingerprint is ${fp}.\nHost key verification failed.`,
      );
      return false;
    }
    const ok = await prompter.confirmHostKey({
      kind: 'hostkey',
      host: keyName,
      keyType: keyTypeLabel(type),
      fingerprint: fp,
      otherKnownTypes: st.otherTypes.map(keyTypeLabel),
      message: unknownHostMessage(keyName, key, st.otherTypes),
    });
    if (!ok) {
      failure = new BootstrapError(
        'hostkey-refused',
        `The host key of ${keyName} (${keyTypeLabel(type)} ${fp}) was not accepted.\nHost key verification failed.`,
      );
      return false;
    }
    record();
    hostKey = { status: 'recorded', fingerprint: fp, keyType: type };
    return true;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      client.on('ready', () => resolve());
      client.on('banner', (msg: string) => prompter.info?.(msg.trimEnd()));
      const said = (m: string) => cleanRemoteText(m, { multiline: false });
      // the stream broke before the handshake ended: through a ProxyCommand that ended, say so (its output closes
      // about when it exits, in either order: wait a moment for its exit status)
      const broke = (plain: BootstrapError) => {
        if (!proxyEnded) return reject(plain);
        const wait = new Promise<null>((r) => setTimeout(r, 2000, null).unref());
        void Promise.race([proxyEnded, wait]).then((ended) => reject(ended ?? plain));
      };
      client.on('error', (err: Error & { level?: string }) => {
        if (err.level === 'agent') return; // a key the agent or a passphrase could not sign with: ssh2 goes on
        if (failure) return reject(failure);
        if (err.message === 'All configured authentication methods failed') return reject(auth.failure());
        if (err.level === 'client-timeout')
          return reject(new BootstrapError('timeout', `ssh: ${host.hostname}: ${said(err.message)}.`));
        if (err.level === 'client-socket') return broke(socketError(err as NodeJS.ErrnoException, host));
        if (authStarted && /disconnect|Too many/i.test(err.message)) return reject(auth.failure());
        broke(new BootstrapError('ssh', `ssh: ${host.hostname}: ${said(err.message)}`));
      });
      client.on('close', () => {
        if (failure) return reject(failure);
        if (authStarted) return reject(auth.failure());
        broke(new BootstrapError('ssh', `ssh: ${host.hostname} closed the connection during the handshake.`));
      });
      client.connect({
        sock,
        username: host.user,
        readyTimeout: 0, // ours (the watchdog) does not count the time spent answering prompts
        keepaliveInterval: alive > 0 ? alive * 1000 : 0,
        keepaliveCountMax: aliveMax,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(files, keyName)) as never },
        hostVerifier: (key: Buffer, cb: (ok: boolean) => void) => {
          verify(key).then(cb, (e) => {
            failure = new BootstrapError('ssh', `ssh: host key check failed: ${(e as Error).message}`);
            cb(false);
          });
        },
        authHandler: (left, partial, next) => {
          authStarted = true;
          auth.handler(left, partial, next);
        },
      });
    });
  } catch (e) {
    dog.stop();
    stopListening();
    closeAll();
    throw signal?.aborted ? cancelled() : e; // a question answered "no" by the cancel is not the user's "no"
  }
  dog.stop();
  stopListening();
  log(`authenticated as ${host.user} (${auth.tried[auth.tried.length - 1] ?? 'none'})`);
  log(alive > 0 ? `keepalive every ${alive} s, up to ${aliveMax} unanswered` : 'no keepalives (ServerAliveInterval 0)');
  const lost = new Promise<BootstrapError>((resolve) => {
    let reason: BootstrapError | null = null;
    client.on('error', (err: Error & { level?: string }) => {
      if (closed || reason) return;
      reason =
        err.message === 'Keepalive timeout'
          ? new BootstrapError(
              'timeout',
              `ssh: the connection to ${host.hostname} stopped answering: no reply to ${aliveMax} keepalives sent ${alive} s apart (the network link or the host went away).`,
            )
          : new BootstrapError(
              'ssh',
              `ssh: the connection to ${host.hostname} broke: ${cleanRemoteText(err.message, { multiline: false })}`,
            );
    });
    client.on('close', () => {
      if (!closed) resolve(reason ?? new BootstrapError('ssh', `ssh: ${host.hostname} closed the connection.`));
    });
  });
  return { client, host, peerAddress, hostKey: hostKey!, lost, close: closeAll };
}
