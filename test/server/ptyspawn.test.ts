// The shell's pty (server/ptyspawn.ts): node reads its output into one reused buffer (no fresh Buffer per read),
// the output arrives whole and in order, also what is left unread when node-pty destroys the socket after the
// shell exits, input and exit still work, and node's tty module is left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tty from 'node:tty';
import { PTY_READ_BUFFER_BYTES, spawnPty } from '../../server/ptyspawn';

const BYTES = 300_000;

function run(
  script: string,
  input?: string,
): Promise<{ out: Buffer; arrayBuffers: Set<ArrayBufferLike>; reads: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const arrayBuffers = new Set<ArrayBufferLike>();
    let reads = 0;
    const child = spawnPty(
      '/bin/sh',
      ['-c', script],
      { cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '' } },
      (d) => {
        reads++;
        arrayBuffers.add(d.buffer);
        chunks.push(Buffer.from(d)); // valid during the call only
      },
    );
    assert.equal(child.reusesBuffer, true, 'node-pty made its socket without tty.ReadStream');
    const timer = setTimeout(() => reject(new Error('the shell did not exit')), 20_000);
    child.pty.onExit(() => {
      // Output still in the pty when the process exits is read before the socket closes.
      setTimeout(() => {
        clearTimeout(timer);
        resolve({ out: Buffer.concat(chunks), arrayBuffers, reads });
      }, 200);
    });
    if (input !== undefined) child.pty.write(input);
  });
}

test('reads a flood of shell output into one reused buffer, whole and in order', async () => {
  const ReadStream = tty.ReadStream;
  // Lines numbered 1..N, so any lost, doubled or reordered read shows.
  const n = Math.ceil(BYTES / 8);
  const { out, arrayBuffers, reads } = await run(`i=1; while [ $i -le ${n} ]; do echo "$i"; i=$((i+1)); done`);
  const want = Array.from({ length: n }, (_, i) => `${i + 1}\r\n`).join('');
  assert.equal(out.toString('latin1'), want);
  assert.ok(reads > 1, `${reads} reads`);
  // Without the reused buffer, every read is a Buffer of its own.
  assert.equal(arrayBuffers.size, 1, `${arrayBuffers.size} distinct buffers in ${reads} reads`);
  assert.equal([...arrayBuffers][0].byteLength, PTY_READ_BUFFER_BYTES);
  assert.equal(tty.ReadStream, ReadStream, "node's tty.ReadStream is put back");
});

test('output still in the pty when node-pty gives up on its socket (200 ms after the shell exits) is delivered', async () => {
  // The shell waits for a line, then prints and exits while node does not read (reading paused, as when node's
  // event loop is busy): node-pty destroys the socket before anything is read. The output fits in the pty's
  // buffer, so the shell can write it all and exit.
  const n = 300;
  const chunks: Buffer[] = [];
  const script = `read x; i=1; while [ $i -le ${n} ]; do echo "$i"; i=$((i+1)); done`;
  const options = { cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '' } };
  const child = spawnPty('/bin/sh', ['-c', script], options, (d) => chunks.push(Buffer.from(d)));
  assert.equal(child.reusesBuffer, true);
  const exited = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the shell did not exit')), 20_000);
    child.pty.onExit(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 50)); // the socket has begun reading (pausing before that does not hold)
  child.pty.pause();
  child.pty.write('go\r');
  await exited;
  const want = Array.from({ length: n }, (_, i) => `${i + 1}\r\n`).join('');
  const out = Buffer.concat(chunks).toString('latin1');
  assert.ok(out.endsWith(want), `the output ends with the ${n} lines whole (${out.length} bytes read)`);
});

test('input reaches the shell and its answer comes back through the reused buffer', async () => {
  const { out } = await run('read line; printf "got:%s" "$line"', 'hello\r');
  assert.match(out.toString('latin1'), /got:hello/);
});
