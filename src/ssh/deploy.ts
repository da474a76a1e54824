// Our server as shipped (dist/server.js plus dist/pty/<os>-<arch>/), its content hash and per-file digests, and
// its upload over SFTP to ~/.cache/vscode-mosh/<hash>/ on the remote: into a temporary folder first, then renamed
// into place, so a half-finished upload is never taken for a deployment and two clients deploying at once do not
// clash (leftovers of a client that died mid-upload are removed after an hour). A copy that failed its check is
// replaced whole. Folders are made 0700 and files 0600 (pty files 0700) whatever the local modes and the remote
// umask are. Only the remote platform's pty binary is sent; an upload that makes no progress for a while is
// given up. Not the decision whether to upload (bootstrap.ts, from remote.ts's probe) nor the check (verify.ts).

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { BootstrapError } from './errors';
import { abortable, cancelledError, DEFAULT_TIMEOUTS, seconds, Watchdog } from './timeouts';
import { DIR_MODE, fileMode } from './verify';

export const DEFAULT_CACHE_ROOT = '.cache/vscode-mosh';
const STALE_UPLOAD_S = 3600;

export interface ServerBundle {
  dir: string;
  /** 16 hex digits of SHA-256 over server.js and every pty binary (all platforms shipped). */
  hash: string;
  /** Platforms with a pty binary, e.g. ["linux-x64", "darwin-arm64"]. */
  platforms: string[];
  /** SHA-256 (hex) of every file, by its path in the deployment: "server.js", "pty/linux-x64/pty.node", ... */
  files: Record<string, string>;
}

/** Where dist/ is: beside this bundle (dist/cli.js, dist/extension.js) or, for the compiled tests, ../../../dist. */
export function findBundleDir(): string {
  const candidates = [
    __dirname,
    join(__dirname, '..', 'dist'),
    join(__dirname, '..', '..', 'dist'),
    join(__dirname, '..', '..', '..', 'dist'),
  ];
  const found = candidates.find((d) => existsSync(join(d, 'server.js')) && existsSync(join(d, 'pty')));
  if (!found)
    throw new BootstrapError(
      'deploy',
      `The bundled mosh server (server.js and pty/) was not found next to ${__dirname}; run the build (npm run build).`,
    );
  return found;
}

const bundles = new Map<string, ServerBundle>();

/** Reads and hashes the bundle once per process (per folder). */
export function loadBundle(dir = findBundleDir()): ServerBundle {
  const cached = bundles.get(dir);
  if (cached) return cached;
  const h = createHash('sha256');
  const files: Record<string, string> = {};
  const server = readFileSync(join(dir, 'server.js'));
  h.update('server.js\0').update(server);
  files['server.js'] = createHash('sha256').update(server).digest('hex');
  const platforms = readdirSync(join(dir, 'pty'))
    .filter((p) => existsSync(join(dir, 'pty', p, 'pty.node')))
    .sort();
  for (const p of platforms) {
    for (const f of readdirSync(join(dir, 'pty', p)).sort()) {
      const data = readFileSync(join(dir, 'pty', p, f));
      h.update(`\0pty/${p}/${f}\0`).update(data);
      files[`pty/${p}/${f}`] = createHash('sha256').update(data).digest('hex');
    }
  }
  const bundle = { dir, hash: h.digest('hex').slice(0, 16), platforms, files };
  bundles.set(dir, bundle);
  return bundle;
}

function sftpOf(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

/** One SFTP session and a progress hook: every finished operation (and every chunk sent) counts as progress. */
class Remote {
  constructor(
    readonly sftp: SFTPWrapper,
    readonly progress: () => void,
  ) {}

  call<T = void>(f: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) =>
      f((err, v) => {
        this.progress();
        if (err) reject(err);
        else resolve(v as T);
      }),
    );
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.call((cb) => this.sftp.stat(path, (err) => cb(err)));
      return true;
    } catch {
      return false;
    }
  }

  /** chmod (SFTP setstat: the remote umask does not apply); failures are ignored (a folder not ours). */
  chmod(path: string, mode: number): Promise<void> {
    return this.call((cb) => this.sftp.chmod(path, mode, (err) => cb(err))).catch(() => undefined);
  }

  /** Creates the missing folders of `path`, private (0700); existing ones are left alone, except `own`. */
  async mkdirp(path: string, own: string[] = []): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    let cur = path.startsWith('/') ? '' : '.';
    for (const part of parts) {
      cur = `${cur}/${part}`;
      if (await this.exists(cur)) {
        if (own.includes(cur)) await this.chmod(cur, DIR_MODE); // ours: tighten a copy made by an older version
        continue;
      }
      try {
        await this.call((cb) => this.sftp.mkdir(cur, { mode: DIR_MODE }, (err) => cb(err)));
        await this.chmod(cur, DIR_MODE);
      } catch (e) {
        if (!(await this.exists(cur))) throw e; // lost a race with another client: fine
      }
    }
  }

  async removeTree(path: string): Promise<void> {
    let list: { filename: string; longname: string }[] = [];
    try {
      list = await this.call((cb) => this.sftp.readdir(path, cb));
    } catch {
      await this.call((cb) => this.sftp.unlink(path, (err) => cb(err))).catch(() => undefined);
      return;
    }
    for (const e of list) {
      const p = `${path}/${e.filename}`;
      if (e.longname.startsWith('d')) await this.removeTree(p);
      else await this.call((cb) => this.sftp.unlink(p, (err) => cb(err))).catch(() => undefined);
    }
    await this.call((cb) => this.sftp.rmdir(path, (err) => cb(err))).catch(() => undefined);
  }

  /** Upload folders left by a client that died mid-upload (older than an hour, so never one in progress). */
  async removeStaleUploads(root: string): Promise<void> {
    let list: { filename: string; attrs: { mtime: number } }[] = [];
    try {
      list = await this.call((cb) => this.sftp.readdir(root, cb));
    } catch {
      return;
    }
    const hourAgo = Date.now() / 1000 - STALE_UPLOAD_S;
    for (const e of list)
      if (/\.(tmp|bad)-[0-9a-f]{8}$/.test(e.filename) && e.attrs.mtime < hourAgo)
        await this.removeTree(posix.join(root, e.filename));
  }

  /** Sends one file with the mode it must have there (not the local one). */
  async put(local: string, remote: string, mode: number): Promise<number> {
    await this.call((cb) => this.sftp.fastPut(local, remote, { mode, step: () => this.progress() }, (err) => cb(err)));
    await this.chmod(remote, mode);
    return statSync(local).size;
  }

  rename(from: string, to: string): Promise<void> {
    return this.call((cb) => this.sftp.rename(from, to, (err) => cb(err)));
  }
}

export interface UploadResult {
  /** Remote folder of the deployment. */
  dir: string;
  bytes: number;
  files: number;
}

export interface UploadOptions {
  log?: (line: string) => void;
  /** Replace a copy that is there (it failed its check) instead of completing it. */
  replace?: boolean;
  /** Give up when nothing moved for this long (default 60 s). */
  stallMs?: number;
  signal?: AbortSignal;
  /** The connection's `lost` promise (connect.ts). */
  lost?: Promise<BootstrapError>;
  /** Host name for messages. */
  host?: string;
}

/**
 * Uploads server.js and pty/<platform>/ to `<root>/<hash>/` unless they are there already (or, with `replace`,
 * in place of what is there). `root` is absolute (the probe's $HOME joined with the cache root).
 */
export async function uploadBundle(
  client: Client,
  bundle: ServerBundle,
  platform: string,
  root: string,
  o: UploadOptions = {},
): Promise<UploadResult> {
  const log = o.log ?? (() => undefined);
  if (!bundle.platforms.includes(platform)) {
    throw new BootstrapError(
      'deploy',
      `The bundled server has no terminal (pty) support for ${platform}; it ships ${bundle.platforms.join(', ') || 'none'}. Use the host's own mosh-server (--server=system) instead.`,
    );
  }
  const final = posix.join(root, bundle.hash);
  const stallMs = o.stallMs ?? DEFAULT_TIMEOUTS.uploadStallMs;
  let sftp: SFTPWrapper | null = null;
  let stalled!: () => void;
  const stall = new Promise<never>((_resolve, reject) => {
    stalled = () =>
      reject(
        new BootstrapError(
          'timeout',
          `Uploading the server to ${final} made no progress for ${seconds(stallMs)}; the link to ${o.host ?? 'the host'} may have stalled, or its SFTP server is stuck.`,
        ),
      );
  });
  stall.catch(() => undefined);
  const dog = new Watchdog(stallMs, () => stalled());
  const work = (async () => {
    sftp = await sftpOf(client);
    dog.kick();
    return await upload(new Remote(sftp, () => dog.kick()), bundle, platform, root, final, !!o.replace, log);
  })();
  work.catch(() => undefined);
  try {
    const lost = o.lost?.then((e) => Promise.reject(e)) ?? new Promise<never>(() => undefined);
    return await abortable(Promise.race([work, stall, lost]), o.signal, () => cancelledError(o.host ?? 'the host'));
  } catch (e) {
    if (e instanceof BootstrapError) throw e;
    throw new BootstrapError(
      'deploy',
      `Uploading the server to ${final} over SFTP failed: ${(e as Error).message}. Is the SFTP subsystem enabled in the server's sshd_config, and is there space in the home folder?`,
    );
  } finally {
    dog.stop();
    (sftp as SFTPWrapper | null)?.end();
  }
}

async function upload(
  r: Remote,
  bundle: ServerBundle,
  platform: string,
  root: string,
  final: string,
  replace: boolean,
  log: (l: string) => void,
): Promise<UploadResult> {
  await r.mkdirp(root, [root]);
  await r.removeStaleUploads(root);
  const tmp = posix.join(root, `${bundle.hash}.tmp-${randomBytes(4).toString('hex')}`);
  let bytes = 0;
  let files = 0;
  await r.mkdirp(posix.join(tmp, 'pty', platform));
  try {
    log(`uploading the server to ${final}`);
    bytes += await r.put(join(bundle.dir, 'server.js'), posix.join(tmp, 'server.js'), fileMode('server.js'));
    files++;
    for (const f of readdirSync(join(bundle.dir, 'pty', platform)).sort()) {
      bytes += await r.put(
        join(bundle.dir, 'pty', platform, f),
        posix.join(tmp, 'pty', platform, f),
        fileMode(`pty/${platform}/${f}`),
      );
      files++;
    }
    if (replace && (await r.exists(final))) {
      // the copy there failed its check: move it aside (whole, so nothing of it is run again), then remove it
      const bad = posix.join(root, `${bundle.hash}.bad-${randomBytes(4).toString('hex')}`);
      await r.rename(final, bad).catch(() => undefined);
      await r.removeTree(bad);
    }
    try {
      await r.rename(tmp, final);
    } catch {
      // <hash>/ exists: another client finished first, or it was deployed for another platform (shared home)
      if (!(await r.exists(posix.join(final, 'server.js')))) {
        await r.rename(posix.join(tmp, 'server.js'), posix.join(final, 'server.js')).catch(() => undefined);
      }
      if (!(await r.exists(posix.join(final, 'pty', platform, 'pty.node')))) {
        await r.mkdirp(posix.join(final, 'pty'));
        await r.rename(posix.join(tmp, 'pty', platform), posix.join(final, 'pty', platform)).catch(() => undefined);
      }
      await r.removeTree(tmp);
    }
  } catch (e) {
    await r.removeTree(tmp).catch(() => undefined);
    throw e;
  }
  if (!(await r.exists(posix.join(final, 'pty', platform, 'pty.node')))) {
    throw new BootstrapError('deploy', `Uploading the server to ${final} did not leave a complete copy there.`);
  }
  return { dir: final, bytes, files };
}
