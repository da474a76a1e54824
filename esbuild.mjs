// Bundles the three entry points: dist/extension.js (VS Code), dist/server.js (remote mosh-server),
// dist/cli.js (terminal client). Node >= 18, CommonJS, sourcemaps.
import * as esbuild from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  // The pty addon is loaded from beside dist/server.js at run time, never bundled.
  esbuild.build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js', external: ['@lydell/node-pty'] }),
  esbuild.build({ ...common, entryPoints: ['src/client/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
]);
