// The idle memory below which no Node mosh-server can go on this machine, for the benchmarks to print beside our
// server's: a node process started as our session process is (server/launch.ts: the same V8 flags and malloc
// settings) that does only what any mosh-server in Node must do once, and nothing of ours: it loads the builtins
// (crypto for AES-128-OCB, zlib, dgram, net and tty) and node-pty, encrypts a datagram, compresses a frame, binds a
// UDP port, runs a shell in a pty, and runs one small function hot enough for V8's optimizing compiler (any
// session's per-frame code is). Then it idles, and its RSS is read as a server's idle figure is.
// Not a server and not a model of ours: a floor, measured rather than assumed.

import { spawn } from 'node:child_process';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../../server/launch';

const FLOOR_SCRIPT = `
const crypto = require('crypto'), zlib = require('zlib'), dgram = require('dgram');
require('net'); require('tty');
const pty = require(process.argv[1]);
const c = crypto.createCipheriv('aes-128-ocb', crypto.randomBytes(16), crypto.randomBytes(12), { authTagLength: 16 });
c.update(Buffer.alloc(1200)); c.final(); c.getAuthTag();
zlib.inflateSync(zlib.deflateSync(Buffer.alloc(30000, 'x')));
const sock = dgram.createSocket('udp4'); sock.bind(0, '127.0.0.1');
const shell = pty.spawn('/bin/sh', [], { name: 'xterm-256color', cols: 200, rows: 50, env: { PS1: '$ ', ENV: '' } });
shell.onData(() => {});
function hot(a) { let s = 0; for (let i = 0; i < a.length; i++) s = (s + a[i] * 31) | 0; return s; }
const cells = new Uint32Array(600); let t = 0;
for (let i = 0; i < 200000; i++) t ^= hot(cells);
globalThis.keep = t;
setTimeout(() => {
  const s = require('fs').readFileSync('/proc/self/status', 'utf8');
  const r = require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8');
  const kib = (t, f) => Number(new RegExp('^' + f + ':\\\\s+(\\\\d+) kB', 'm').exec(t)[1]);
  process.stdout.write(JSON.stringify({ rss: kib(s, 'VmRSS'), anon: kib(r, 'Anonymous') }) + '\\n');
  shell.kill(); sock.close(); process.exit(0);
}, Number(process.argv[2]));
`;

export interface NodeFloor {
  /** RSS after idling (MiB). */
  idleRssMiB: number;
  /** Private anonymous memory after idling (MiB). */
  idleAnonMiB: number;
}

/** Runs the floor process, idling `idleMs` after its work as a server idles before its figures are read. */
export function measureNodeFloor(idleMs: number): Promise<NodeFloor> {
  const ptyModule = require.resolve('@lydell/node-pty');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, '-e', FLOOR_SCRIPT, ptyModule, String(idleMs)], {
      env: { ...process.env, ...DAEMON_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const m = JSON.parse(out) as { rss: number; anon: number };
        resolve({ idleRssMiB: Math.round(m.rss / 102.4) / 10, idleAnonMiB: Math.round(m.anon / 102.4) / 10 });
      } catch {
        reject(new Error(`node floor process failed (exit ${code}): ${err.trim() || out.trim()}`));
      }
    });
  });
}
