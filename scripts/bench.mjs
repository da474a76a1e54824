// `npm run bench -- NAME [args]`: runs build/bench/NAME.js, which prints one JSON object per benchmark line.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const [name, ...rest] = process.argv.slice(2);
const available = existsSync('build/bench')
  ? readdirSync('build/bench')
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
  : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (available: ${available.join(', ') || 'none; run the build'})`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [`build/bench/${name}.js`, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
