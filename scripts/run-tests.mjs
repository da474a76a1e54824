// Runs the compiled tests (build/test/**/*.test.js) with node's built-in runner.
//   node scripts/run-tests.mjs                 all tests
//   node scripts/run-tests.mjs --only interop  only tests whose path contains "interop"
// Extra arguments after "--" go to `node --test` unchanged.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const dashdash = args.indexOf('--');
const passthrough = dashdash >= 0 ? args.slice(dashdash + 1) : [];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk('build/test')
  .filter((f) => !only || f.includes(only))
  .sort();
if (files.length === 0) {
  console.error(`no test files found${only ? ` matching "${only}"` : ''} (did the build run?)`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...passthrough, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
