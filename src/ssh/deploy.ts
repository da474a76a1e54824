// Our server as shipped (dist/server.js plus dist/pty/<os>-<arch>/), its content hash, and its upload over SFTP to
// ~/.cache/vscode-mosh/<hash>/ on the remote: into a temporary folder first, then renamed into place, so a
// half-finished upload is never taken for a deployment and two clients deploying at once do not clash (leftovers
// of a client that died mid-upload are removed after an hour). Only the remote platform's pty binary is sent.
// Not the decision whether to upload (bootstrap.ts, from remote.ts's probe); older versions are left in place.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { BootstrapError } from './errors';

export const DEFAULT_CACHE_ROOT = '.cache/vscode-mosh';
const STALE_UPLOAD_S = 3600;

export interface ServerBundle {
  dir: string;
  /** 16 hex digits of SHA-256 over server.js and every pty binary (all platforms shipped). */
  hash: string;
  /** Platforms with a pty binary, e.g. ["linux-x64", "darwin-arm64"]. */
  platforms: string[];
}

/** Where dist/ is: beside this bundle (dist/cli.js, dist/extension.js) or, for the compiled tests, ../../../dist. */
export function findBundleDir(): string {
  const candidates = [__dirname, join(__dirname, '..', 'dist'), join(__dirname, '..', '..', 'dist'), join(__dirname, '..', '..', '..', 'dist')];
  const found = candidates.find((d) => existsSync(join(d, 'server.js')) && existsSync(join(d, 'pty')));
  if (!found) throw new BootstrapError('deploy', `The bundled mosh server (server.js and pty/) was not found next to ${__dirname}; run the build (npm run build).`);
  return found;
}

const bundles = new Map<string, ServerBundle>();

/** Reads and hashes the bundle once per process (per folder). */
export function loadBundle(dir = findBundleDir()): ServerBundle {
  const cached = bundles.get(dir);
  if (cached) return cached;
  const h = createHash('sha256');
  h.update('server.js\0').update(readFileSync(join(dir, 'server.js')));
  const platforms = readdirSync(join(dir, 'pty'))
    .filter((p) => existsSync(join(dir, 'pty', p, 'pty.node')))
    .sort();
  for (const p of platforms) {
    for (const f of readdirSync(join(dir, 'pty', p)).sort()) {
      h.update(`\0pty/${p}/${f}\0`).update(readFileSync(join(dir, 'pty', p, f)));
    }
  }
  const bundle = { dir, hash: h.digest('hex').slice(0, 16), platforms };
  bundles.set(dir, bundle);
  return bundle;
}

function sftpOf(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

const call = <T = void>(f: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v as T))));

async function exists(sftp: SFTPWrapper, path: string): Promise<boolean> {
  try {
    await call((cb) => sftp.stat(path, (err) => cb(err)));
    return true;
  } catch {
    return false;
  }
}

async function mkdirp(sftp: SFTPWrapper, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  let cur = path.startsWith('/') ? '' : '.';
  for (const part of parts) {
    cur = `${cur}/${part}`;
    if (await exists(sftp, cur)) continue;
    try {
      await call((cb) => sftp.mkdir(cur, { mode: 0o755 }, (err) => cb(err)));
    } catch (e) {
      if (!(await exists(sftp, cur))) throw e; // lost a race with another client: fine
    }
  }
}

async function removeTree(sftp: SFTPWrapper, path: string): Promise<void> {
  let list: { filename: string; longname: string }[] = [];
  try {
    list = await call((cb) => sftp.readdir(path, cb));
  } catch {
    await call((cb) => sftp.unlink(path, (err) => cb(err))).catch(() => undefined);
    return;
  }
  for (const e of list) {
    const p = `${path}/${e.filename}`;
    if (e.longname.startsWith('d')) await removeTree(sftp, p);
    else await call((cb) => sftp.unlink(p, (err) => cb(err))).catch(() => undefined);
  }
  await call((cb) => sftp.rmdir(path, (err) => cb(err))).catch(() => undefined);
}

/** Upload folders left by a client that died mid-upload (older than an hour, so never one in progress). */
async function removeStaleUploads(sftp: SFTPWrapper, root: string): Promise<void> {
  let list: { filename: string; attrs: { mtime: number } }[] = [];
  try {
    list = await call((cb) => sftp.readdir(root, cb));
  } catch {
    return;
  }
  const hourAgo = Date.now() / 1000 - STALE_UPLOAD_S;
  for (const e of list) if (/\.tmp-[0-9a-f]{8}$/.test(e.filename) && e.attrs.mtime < hourAgo) await removeTree(sftp, posix.join(root, e.filename));
}

async function put(sftp: SFTPWrapper, local: string, remote: string): Promise<number> {
  const mode = statSync(local).mode & 0o777;
  await call((cb) => sftp.fastPut(local, remote, { mode }, (err) => cb(err)));
  return statSync(local).size;
}

export interface UploadResult {
  /** Remote folder of the deployment. */
  dir: string;
  bytes: number;
  files: number;
}

/**
 * Uploads server.js and pty/<platform>/ to `<root>/<hash>/` unless they are there already. `root` is absolute
 * (the probe's $HOME joined with the cache root).
 */
export async function uploadBundle(client: Client, bundle: ServerBundle, platform: string, root: string, log: (l: string) => void = () => undefined): Promise<UploadResult> {
  if (!bundle.platforms.includes(platform)) {
    throw new BootstrapError(
      'deploy',
      `The bundled server has no terminal (pty) support for ${platform}; it ships ${bundle.platforms.join(', ') || 'none'}. Use the host's own mosh-server (--server=system) instead.`,
    );
  }
  const final = posix.join(root, bundle.hash);
  const sftp = await sftpOf(client);
  try {
    await mkdirp(sftp, root);
    await removeStaleUploads(sftp, root);
    const tmp = posix.join(root, `${bundle.hash}.tmp-${randomBytes(4).toString('hex')}`);
    let bytes = 0;
    let files = 0;
    await mkdirp(sftp, posix.join(tmp, 'pty', platform));
    try {
      log(`uploading the server to ${final}`);
      bytes += await put(sftp, join(bundle.dir, 'server.js'), posix.join(tmp, 'server.js'));
      files++;
      for (const f of readdirSync(join(bundle.dir, 'pty', platform)).sort()) {
        bytes += await put(sftp, join(bundle.dir, 'pty', platform, f), posix.join(tmp, 'pty', platform, f));
        files++;
      }
      try {
        await call((cb) => sftp.rename(tmp, final, (err) => cb(err)));
      } catch {
        // <hash>/ exists: another client finished first, or it was deployed for another platform (shared home)
        if (!(await exists(sftp, posix.join(final, 'server.js')))) {
          await call((cb) => sftp.rename(posix.join(tmp, 'server.js'), posix.join(final, 'server.js'), (err) => cb(err))).catch(() => undefined);
        }
        if (!(await exists(sftp, posix.join(final, 'pty', platform, 'pty.node')))) {
          await mkdirp(sftp, posix.join(final, 'pty'));
          await call((cb) => sftp.rename(posix.join(tmp, 'pty', platform), posix.join(final, 'pty', platform), (err) => cb(err))).catch(() => undefined);
        }
        await removeTree(sftp, tmp);
      }
    } catch (e) {
      await removeTree(sftp, tmp).catch(() => undefined);
      throw e;
    }
    if (!(await exists(sftp, posix.join(final, 'pty', platform, 'pty.node')))) {
      throw new BootstrapError('deploy', `Uploading the server to ${final} did not leave a complete copy there.`);
    }
    return { dir: final, bytes, files };
  } catch (e) {
    if (e instanceof BootstrapError) throw e;
    throw new BootstrapError('deploy', `Uploading the server to ${final} over SFTP failed: ${(e as Error).message}. Is the SFTP subsystem enabled in the server's sshd_config, and is there space in the home folder?`);
  } finally {
    sftp.end();
  }
}
