// Prepares dist/ for the .vsix (run by vsce as "vscode:prepublish", so `npm run package` and a plain
// `vsce package` both get it):
//   1. builds the bundles (esbuild.mjs);
//   2. puts the server's pty binaries for every platform the extension can deploy to into dist/pty/<os>-<arch>/
//      (pty.node, and spawn-helper on darwin). npm refuses to install other platforms' packages, so each one is
//      fetched with `npm pack @lydell/node-pty-<os>-<arch>@<installed version>` into .cache/pty/<version>/
//      (npm's own cache makes a second fetch local), checked against package-lock.json's integrity, unpacked.
// Files are replaced by rename, never rewritten in place: a running server may have dist/pty/*/pty.node mapped.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PTY_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function log(msg) {
  process.stderr.write(`prepare-package: ${msg}\n`);
}

function sameBytes(a, b) {
  return existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));
}

/** Copies src to dst through a temporary file and a rename, unless dst already holds the same bytes. */
function installFile(src, dst) {
  if (sameBytes(src, dst)) return;
  mkdirSync(dirname(dst), { recursive: true });
  const tmp = `${dst}.tmp-${process.pid}`;
  copyFileSync(src, tmp);
  renameSync(tmp, dst);
}

function lockIntegrity(pkg) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  return lock.packages?.[`node_modules/${pkg}`];
}

function sri(file) {
  return 'sha512-' + createHash('sha512').update(readFileSync(file)).digest('base64');
}

/** Returns the path of the cached tarball of @lydell/node-pty-<target>@version, fetching it if needed. */
function tarball(target, version) {
  const pkg = `@lydell/node-pty-${target}`;
  const cache = join(ROOT, '.cache', 'pty', version);
  const file = join(cache, `lydell-node-pty-${target}-${version}.tgz`);
  const locked = lockIntegrity(pkg);
  const want = locked && locked.version === version ? locked.integrity : undefined;
  if (existsSync(file) && (!want || sri(file) === want)) return file;
  mkdirSync(cache, { recursive: true });
  log(`npm pack ${pkg}@${version}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--silent', `${pkg}@${version}`], {
    cwd: cache,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const name = out.trim().split('\n').pop();
  if (join(cache, name) !== file) renameSync(join(cache, name), file);
  if (want && sri(file) !== want) {
    rmSync(file, { force: true });
    throw new Error(`${pkg}@${version}: the tarball's integrity differs from package-lock.json's`);
  }
  return file;
}

export function preparePty({ root = ROOT } = {}) {
  const version = JSON.parse(
    readFileSync(join(root, 'node_modules', '@lydell', 'node-pty', 'package.json'), 'utf8'),
  ).version;
  for (const target of PTY_TARGETS) {
    const tgz = tarball(target, version);
    const tmp = mkdtempSync(join(root, '.cache', 'pty', 'x-'));
    try {
      execFileSync('tar', ['-xzf', tgz, '-C', tmp], { stdio: 'inherit' });
      const files = target.startsWith('darwin') ? ['pty.node', 'spawn-helper'] : ['pty.node'];
      for (const f of files) {
        const src = join(tmp, 'package', f);
        if (!existsSync(src)) throw new Error(`${tgz} has no package/${f}`);
        installFile(src, join(root, 'dist', 'pty', target, f));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const present = readdirSync(join(root, 'dist', 'pty')).sort();
  log(`pty binaries ${version}: ${present.join(', ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  execFileSync(process.execPath, [join(ROOT, 'esbuild.mjs')], { cwd: ROOT, stdio: 'inherit' });
  preparePty();
}
