// The check a cached deployment of our server passes on the remote host before every launch: the expected
// SHA-256 of each file (a manifest covering every platform we ship; the host picks its own), and the small
// Node.js program the remote script runs with the chosen Node (always there when our server is) to compare
// them and to tighten the permissions of our folders (0700) and files (server.js 0600, the pty files 0700).
// It prints one line: "ok" (with "fixed=N" when it tightened N modes), "bad <reason>", or "unsupported" (no
// pty binary of ours for this platform). Not the upload (deploy.ts) nor the script around it (remote.ts).

/** Mode of a folder we create on the remote, and of a file in it. */
export const DIR_MODE = 0o700;
export function fileMode(rel: string): number {
  return rel.startsWith('pty/') ? 0o700 : 0o600; // pty.node is loaded as code, spawn-helper (darwin) is executed
}

/** The manifest argument: `server.js:<sha256>,pty/linux-x64/pty.node:<sha256>,...` (sorted). */
export function manifestText(files: Record<string, string>): string {
  return Object.keys(files)
    .sort()
    .map((f) => `${f}:${files[f]}`)
    .join(',');
}

/**
 * Run as `node -e CHECK_PROGRAM <root> <dir> <platform> <manifest>` on the remote host. Written for any Node >= 18,
 * in one expression so that it needs no file of its own.
 */
export const CHECK_PROGRAM = compact(`
const fs = require('fs');
const crypto = require('crypto');
const [root, dir, plat, manifest] = process.argv.slice(1);
const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
const want = new Map(manifest.split(',').map((e) => e.split(':')));
const mine = [...want.keys()].filter((f) => f === 'server.js' || f.startsWith('pty/' + plat + '/'));
let fixed = 0;
function check(path, isDir, mode, follow) {
  let st;
  try {
    st = follow ? fs.statSync(path) : fs.lstatSync(path);
  } catch (e) {
    return 'missing ' + path;
  }
  if (isDir ? !st.isDirectory() : !st.isFile()) return (isDir ? 'not a folder: ' : 'not a plain file: ') + path;
  if (uid >= 0 && st.uid !== uid) return 'owned by another user: ' + path;
  if ((st.mode & 0o777) !== mode) {
    try {
      fs.chmodSync(path, mode);
      fixed++;
    } catch (e) {
      return 'cannot set the permissions of ' + path;
    }
  }
  return '';
}
function main() {
  if (!mine.some((f) => f.startsWith('pty/'))) return 'unsupported';
  const dirs = [[root, true], [dir, false], [dir + '/pty', false], [dir + '/pty/' + plat, false]];
  for (const [d, follow] of dirs) {
    const e = check(d, true, ${DIR_MODE}, follow);
    if (e) return 'bad ' + e;
  }
  for (const f of mine) {
    const path = dir + '/' + f;
    const e = check(path, false, f === 'server.js' ? ${0o600} : ${0o700}, false);
    if (e) return 'bad ' + e;
    const h = crypto.createHash('sha256').update(fs.readFileSync(path)).digest('hex');
    if (h !== want.get(f)) return 'bad ' + path + ' does not match its hash';
  }
  return 'ok' + (fixed ? ' fixed=' + fixed : '');
}
let out;
try {
  out = main();
} catch (e) {
  out = 'bad the check failed: ' + String(e && e.message).split('\\n')[0];
}
process.stdout.write(out + '\\n');
`);

/** One line without indentation: the program travels octal-encoded on the command line (remote.ts), 4 bytes a byte. */
function compact(js: string): string {
  return js
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}
