// Starts the user's shell in a pty (node-pty) whose output node reads into one reused buffer: node's `onread`
// option for sockets, instead of a fresh Buffer per read. Without it, every read of the pty (about 4 KiB in an
// output flood) costs a 64 KiB malloc, a copy into a new exact-size allocation and a free, and that copy lives
// until a scavenge. In a 50 MiB `cat` at 200x50 those copies, thousands at a time between GCs, grew the
// session's malloc heap by about 2 MiB (bench -- throughput). Not the session (session.ts) and not the screen
// (screenfeed.ts): the output goes to the caller as it arrives.
//
// node-pty makes its read side with `new tty.ReadStream(fd)` inside spawn and offers no read options, so spawn
// runs with that constructor swapped for one that adds `onread`, and put back at once (spawn is synchronous;
// nothing else runs in between). If a node-pty version makes its socket some other way, the swap is never called
// and the output comes through node-pty's data events as before.
//
// node-pty destroys the socket 200 ms after the shell exits if it has not closed by then (its guard for sockets
// that never close). Output still unread at that moment (node's event loop was busy, or reading was paused) would
// be lost with it, so the socket made here reads what is left in the pty before it is destroyed.

import { readSync } from 'node:fs';
import type { IPty, IPtyForkOptions } from '@lydell/node-pty';
import * as pty from '@lydell/node-pty';
// The default import is the module object itself (a namespace import would be a copy of its exports, under
// esbuild and tsc alike), so that node-pty's `tty.ReadStream` sees the swap.
import tty from 'node:tty';

/** The reused read buffer's size: what libuv asks for per read of a stream (so reads are no smaller). */
export const PTY_READ_BUFFER_BYTES = 64 * 1024;
/**
 * Most reads of what is left when the socket is destroyed (256 KiB): a pty buffers a few tens of KiB (18 KiB on
 * this Linux before a writer blocks); more would come from a background job that outlives the shell and keeps
 * writing, and the socket drops that in any case.
 */
const DRAIN_READS_MAX = 4;

export interface SpawnedPty {
  readonly pty: IPty;
  /** Output is read into one reused buffer (false: node-pty made its socket some other way). */
  readonly reusesBuffer: boolean;
}

type ReadStreamCtor = new (fd: number, options?: object) => tty.ReadStream;

/**
 * Spawns `file` in a pty (node-pty's options; the output is always raw bytes). `onOutput` gets each read: a view
 * into the reused buffer, valid during the call only (copy what you keep).
 */
export function spawnPty(
  file: string,
  args: string[],
  options: Omit<IPtyForkOptions, 'encoding'>,
  onOutput: (data: Uint8Array) => void,
): SpawnedPty {
  const buffer = Buffer.allocUnsafe(PTY_READ_BUFFER_BYTES);
  const onread = {
    buffer,
    callback: (n: number, buf: Uint8Array): boolean => {
      onOutput(buf.subarray(0, n));
      return true;
    },
  };
  const module = tty as unknown as { ReadStream: ReadStreamCtor };
  const original = module.ReadStream;
  let swapped = false;
  function ReadStreamWithOnread(fd: number, opts?: object): tty.ReadStream {
    swapped = true;
    const socket = new original(fd, { ...opts, onread });
    const destroy = socket.destroy.bind(socket);
    socket.destroy = (error?: Error) => {
      // Not once destroyed: the descriptor is closed then, and its number may be another file's.
      if (!socket.destroyed) drainSync(fd, buffer, onOutput);
      return destroy(error);
    };
    return socket;
  }
  module.ReadStream = ReadStreamWithOnread as unknown as ReadStreamCtor;
  let child: IPty;
  try {
    child = pty.spawn(file, args, { ...options, encoding: null });
  } finally {
    module.ReadStream = original;
  }
  // With onread the socket emits no data events; without it, they carry the output.
  if (!swapped) child.onData((d: string | Buffer) => onOutput(typeof d === 'string' ? Buffer.from(d) : d));
  return { pty: child, reusesBuffer: swapped };
}

/** Reads what is left in the pty (its descriptor is non-blocking) until it is empty or closed. */
function drainSync(fd: number, buffer: Buffer, onOutput: (data: Uint8Array) => void): void {
  for (let i = 0; i < DRAIN_READS_MAX; i++) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      return; // EAGAIN: nothing left; EIO: the pty is closed
    }
    if (n <= 0) return;
    onOutput(buffer.subarray(0, n));
  }
}
