// A private OpenSSH server on a free loopback port (127.0.0.1 only) for the ssh bootstrap tests (TESTING.md,
// "sshd on loopback"): its own host key, config, authorized keys and log in a temp dir, and a local test user
// with a known password and key. Test support only: not a general sshd manager.
//
// The test user is created once (useradd needs root) and left in place, like an installed package, because
// test files run in parallel and share it; everything else (the temp dir, the sshd process) is removed by stop().

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, which } from './peers';

export const TEST_USER = 'moshtest';
/** Fixed so parallel test files agree on it; the account exists only on test machines. */
export const TEST_PASSWORD = 'mosh-test-Pw-4711';

/** Test options for a test that needs a real sshd and a test user: `test(name, sshdNeeds(), fn)`. */
export function sshdNeeds(...moreBins: string[]): { skip?: string } {
  const n = needs('sshd', 'ssh-keygen', ...moreBins);
  if (n.skip) return n;
  if (process.getuid?.() !== 0) return { skip: `needs root to create the test user ${TEST_USER} (useradd/chpasswd)` };
  return {};
}

function retry<T>(what: string, f: () => T): T {
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      return f();
    } catch (e) {
      last = e; // /etc/passwd or /etc/shadow locked by a parallel test file: try again shortly
      execFileSync('sleep', ['0.1']);
    }
  }
  throw new Error(`${what} failed: ${(last as Error).message}`);
}

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Creates the user (home, bash) if missing and sets its password. Root only. */
export function ensureTestUser(name = TEST_USER, password = TEST_PASSWORD): string {
  if (!userExists(name)) {
    retry(`useradd ${name}`, () => {
      if (!userExists(name)) execFileSync('useradd', ['-m', '-s', '/bin/bash', name], { stdio: 'pipe' });
    });
  }
  return setTestUserPassword(name, password);
}

/** Sets a test user's login shell (a path from /etc/shells). Root only; for a user a test file created itself. */
export function setLoginShell(name: string, shell: string): void {
  retry(`usermod -s ${shell} ${name}`, () => execFileSync('usermod', ['-s', shell, name], { stdio: 'pipe' }));
}

/** The processes a user has running, as `ps` shows them (pid and command), for tests that expect none. */
export function userProcesses(name: string): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '-u', name])
      .toString()
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function setTestUserPassword(name: string, password: string): string {
  retry(`chpasswd ${name}`, () =>
    execFileSync('chpasswd', { input: `${name}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  return execFileSync('sh', ['-c', `getent passwd ${name} | cut -d: -f6`])
    .toString()
    .trim();
}

/** Removes a user created for one test file (and its home). */
export function removeTestUser(name: string): void {
  if (name === TEST_USER || !userExists(name)) return;
  try {
    retry(`userdel ${name}`, () => execFileSync('userdel', ['-r', '-f', name], { stdio: 'pipe' }));
  } catch {
    /* best effort */
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface SshdOptions {
  /** The login user (created if missing); default moshtest. */
  user?: string;
  password?: string;
  /** Extra sshd_config lines (they come first, so they win over the defaults). */
  extraConfig?: string[];
  /** Reuse this host key (path of a private key) instead of generating one. */
  hostKey?: string;
  /** Arguments for the sftp-server subsystem, e.g. ["-u", "002"] for a loose umask on uploaded files. */
  sftpArgs?: string[];
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  user: string;
  password: string;
  home: string;
  /** The user's authorized private key (ed25519, no passphrase) and its public half. */
  userKey: string;
  userKeyPub: string;
  hostKeyPath: string;
  /** "ssh-ed25519 AAAA..." */
  hostKeyPub: string;
  /** A known_hosts line for this server: "[127.0.0.1]:PORT ssh-ed25519 AAAA...". */
  knownHostsLine(): string;
  /** Adds a public key line to the user's authorized keys. */
  authorize(pubLine: string): void;
  log(): string;
  stop(): Promise<void>;
}

/** Starts sshd in the foreground (-D -e) as a child of the test process. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const user = opts.user ?? TEST_USER;
  const password = opts.password ?? TEST_PASSWORD;
  const home = ensureTestUser(user, password);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'mosh-sshd-'));
  chmodSync(dir, 0o755);
  const keygen = which('ssh-keygen')!;
  const hostKeyPath = join(dir, 'hostkey');
  if (opts.hostKey) {
    copyFileSync(opts.hostKey, hostKeyPath);
    copyFileSync(`${opts.hostKey}.pub`, `${hostKeyPath}.pub`);
    chmodSync(hostKeyPath, 0o600);
  } else {
    execFileSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', hostKeyPath]);
  }
  const userKey = join(dir, 'userkey');
  execFileSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-user', '-f', userKey]);
  const authDir = join(dir, 'authorized_keys');
  mkdirSync(authDir, { mode: 0o755 });
  chmodSync(authDir, 0o755);
  const authFile = join(authDir, user);
  writeFileSync(authFile, readFileSync(`${userKey}.pub`), { mode: 0o644 });
  const hostKeyPub = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const sshdBin = which('sshd')!;
  const sftp =
    ['/usr/lib/openssh/sftp-server', '/usr/libexec/sftp-server', '/usr/lib/ssh/sftp-server'].find((p) =>
      existsSync(p),
    ) ?? 'internal-sftp';

  let child: ChildProcess | null = null;
  let log = '';
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const config = [
      ...(opts.extraConfig ?? []),
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authDir}/%u`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication yes',
      'UsePAM yes',
      'PermitRootLogin no',
      'StrictModes no',
      'PrintMotd no',
      'AcceptEnv LANG LC_*',
      `AllowUsers ${user}`,
      `Subsystem sftp ${[sftp, ...(sftp === 'internal-sftp' ? [] : (opts.sftpArgs ?? []))].join(' ')}`,
    ];
    const configPath = join(dir, 'sshd_config');
    writeFileSync(configPath, config.join('\n') + '\n');
    execFileSync(sshdBin, ['-t', '-f', configPath]);
    const c = spawn(sshdBin, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d) => (log += d));
    let exited = false;
    c.once('exit', () => (exited = true));
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 20));
    if (!exited && (await canConnect(port))) child = c;
    else c.kill('SIGKILL');
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sshd did not start: ${log}`);
  }
  const proc = child;
  return {
    host: '127.0.0.1',
    port,
    dir,
    user,
    password,
    home,
    userKey,
    userKeyPub: readFileSync(`${userKey}.pub`, 'utf8').trim(),
    hostKeyPath,
    hostKeyPub,
    knownHostsLine: () => `[127.0.0.1]:${port} ${hostKeyPub}`,
    authorize: (line) => writeFileSync(authFile, line.trim() + '\n', { flag: 'a' }),
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
