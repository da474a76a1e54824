// Bundles the entry points: dist/extension.js (VS Code's entry: small, loaded in every window at startup),
// dist/session.js (the extension's session code: panels, MoshClient, xterm; required by dist/extension.js on first
// use), dist/ssh.js (ssh2, the ssh config, the bootstrap; required by dist/session.js for a new connection),
// dist/server.js (remote mosh-server), dist/cli.js (terminal client) with dist/cli-ssh.js (its ssh layer,
// required by `connect` only). Node >= 18, CommonJS, source
// maps beside them (not packaged). The two extension bundles are minified: startup time is parse time.
//
// dist/server.js must run on a remote host with nothing installed beside it, so @lydell/node-pty's JavaScript
// is bundled and its native binary is loaded from dist/pty/<platform>-<arch>/ (pty.node, and spawn-helper on
// macOS), copied there from the platform package (this machine's at build time; all four when packaging).
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

/** Makes node-pty look for its binaries beside the bundle instead of in node_modules. */
const ptyBesideBundle = {
  name: 'pty-beside-bundle',
  setup(build) {
    const dirExpr = `require('path').join(__dirname, 'pty', process.platform + '-' + process.arch)`;
    build.onLoad({ filter: /@lydell[\\/]node-pty[\\/]requireBinary\.js$/ }, () => ({
      contents: `"use strict";
exports.requireBinary = function requireBinary(file) {
  var p = require('path').join(${dirExpr}, file);
  try { return require(p); } catch (e) {
    throw new Error('The terminal (pty) support for ' + process.platform + '-' + process.arch + ' is missing: ' + p + ' could not be loaded (' + (e && e.message) + ').');
  }
};`,
      loader: 'js',
    }));
    build.onLoad({ filter: /@lydell[\\/]node-pty[\\/]unixTerminal\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(
        'require.resolve(helperPath)',
        `require('path').join(${dirExpr}, 'spawn-helper')`,
      ),
      loader: 'js',
    }));
  },
};

/** ssh2's optional native helpers (it falls back to JavaScript without them): left out of the bundles. */
const sshOptionalNative = ['*.node', 'cpu-features'];

/**
 * Node flags for dist/cli.js, on its first line (`env -S`), so that running it as a program (`dist/cli.js
 * connect host`) gets them: a terminal client's heap is a few MiB, and V8's worker threads (their malloc arenas
 * and stacks, ~7 MiB private) and a growing young generation would be most of its memory. The benchmarks read
 * them back from that line to launch it as users do. `node dist/cli.js` works too, with V8's defaults.
 */
const CLI_NODE_FLAGS = ['--single-threaded', '--max-semi-space-size=1'];

/** src/vscode/load.ts requires './sessionkit' and './sshkit': in the bundles, dist/session.js and dist/ssh.js. */
const lazyBundles = {
  name: 'lazy-bundles',
  setup(build) {
    build.onResolve({ filter: /^\.\/(sessionkit|sshkit)$/ }, (args) =>
      /[\\/]src[\\/]vscode[\\/]load\.ts$/.test(args.importer)
        ? { path: args.path === './sessionkit' ? './session.js' : './ssh.js', external: true }
        : undefined,
    );
  },
};

/** src/cli/cli.ts requires '../ssh' (for `connect` only): in the bundles, dist/cli-ssh.js, so `client` never loads ssh2. */
const cliSshApart = {
  name: 'cli-ssh-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/ssh$/ }, (args) =>
      args.kind === 'require-call' && /[\\/]src[\\/]cli[\\/]cli\.ts$/.test(args.importer)
        ? { path: './cli-ssh.js', external: true }
        : undefined,
    );
  },
};

const extensionBundle = { ...common, minify: true, keepNames: true, external: ['vscode', ...sshOptionalNative] };

await Promise.all([
  esbuild.build({
    ...extensionBundle,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    plugins: [lazyBundles],
  }),
  esbuild.build({
    ...extensionBundle,
    entryPoints: ['src/vscode/sessionkit.ts'],
    outfile: 'dist/session.js',
    plugins: [lazyBundles],
  }),
  esbuild.build({
    ...extensionBundle,
    entryPoints: ['src/vscode/sshkit.ts'],
    outfile: 'dist/ssh.js',
    plugins: [lazyBundles],
  }),
  esbuild.build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js', plugins: [ptyBesideBundle] }),
  esbuild.build({
    ...common,
    entryPoints: ['src/ssh/index.ts'],
    outfile: 'dist/cli-ssh.js',
    minify: true,
    keepNames: true,
    external: sshOptionalNative,
  }),
  esbuild.build({
    ...common,
    entryPoints: ['src/cli/cli.ts'],
    outfile: 'dist/cli.js',
    minify: true,
    keepNames: true,
    plugins: [cliSshApart],
    banner: { js: `#!/usr/bin/env -S node ${CLI_NODE_FLAGS.join(' ')}` },
    external: sshOptionalNative,
  }),
]);

chmodSync('dist/cli.js', 0o755);

// This machine's pty binary, so dist/server.js runs here too.
const platformPkg = `@lydell/node-pty-${process.platform}-${process.arch}`;
try {
  const pkgDir = dirname(require.resolve(`${platformPkg}/package.json`));
  const out = join('dist', 'pty', `${process.platform}-${process.arch}`);
  mkdirSync(out, { recursive: true });
  for (const f of ['pty.node', 'spawn-helper']) {
    const src = join(pkgDir, f);
    const dst = join(out, f);
    if (!existsSync(src) || (existsSync(dst) && readFileSync(src).equals(readFileSync(dst)))) continue;
    // through a rename: a running server may have the old pty.node mapped, and rewriting it in place crashes it
    copyFileSync(src, `${dst}.tmp-${process.pid}`);
    renameSync(`${dst}.tmp-${process.pid}`, dst);
  }
} catch (e) {
  console.warn(`warning: ${platformPkg} not installed; dist/server.js will not run on this machine (${e.message})`);
}
