// Benchmark of mosh datagrams: sealPacket+openPacket per second (nonce from direction and sequence, timestamps,
// OCB seal/open, header) for mosh-sized payloads, TypeScript OcbAes128 vs node's native aes-128-ocb.
// Prints one JSON object per line. Not a network benchmark (no sockets).
//   node build/bench/transport.js [--ms 1000]      (or: npm run bench -- transport)

import { randomBytes } from 'node:crypto';
import { openPacket, sealPacket, TO_SERVER } from '../src/transport/datagram';
import { type Aead, OcbAes128 } from '../src/transport/ocb';
import { hasNativeOcb, NativeOcbAes128 } from '../test/support/nativeocb';

const msArg = process.argv.indexOf('--ms');
const CASE_MS = msArg >= 0 ? Number(process.argv[msArg + 1]) : 1000;
const PAYLOADS = [100, 1200];

const SLICES = 10;

type Tally = { ops: number; ns: number; seq: number };

/**
 * Runs seal+open with a fresh mosh nonce (4 zero bytes + 8-byte counter, continuing from `tally.seq`) per op
 * for about `ms`, adding to the tally.
 */
function run(aead: Aead, payload: number, ms: number, tally: Tally): void {
  const plaintext = randomBytes(payload);
  let seq = tally.seq;
  let ops = 0;
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < limit) {
    for (let i = 0; i < 64; i++) {
      seq++;
      const sealed = sealPacket(aead, {
        direction: TO_SERVER,
        seq: BigInt(seq),
        timestamp: seq & 0x7fff,
        timestampReply: 0xffff,
        payload: plaintext,
      });
      const opened = openPacket(aead, sealed);
      if (!opened.ok || opened.packet.payload.length !== payload) throw new Error('round trip failed');
    }
    ops += 64;
    now = process.hrtime.bigint();
  }
  tally.ops += ops;
  tally.ns += Number(now - start);
  tally.seq = seq;
}

const rate = (t: Tally): number => t.ops / (t.ns / 1e9);

function main(): void {
  const key = randomBytes(16);
  const ts = new OcbAes128(key);
  const native = hasNativeOcb() ? new NativeOcbAes128(key) : null;
  for (const payload of PAYLOADS) {
    // Warm up both paths (JIT, allocator), then alternate short slices so that load from other processes on
    // the machine hits both sides alike.
    const warm: Tally = { ops: 0, ns: 0, seq: 0 };
    run(ts, payload, Math.min(200, CASE_MS / 5), warm);
    if (native) run(native, payload, Math.min(200, CASE_MS / 5), warm);
    const t: Tally = { ops: 0, ns: 0, seq: warm.seq };
    const nt: Tally = { ops: 0, ns: 0, seq: warm.seq };
    for (let i = 0; i < SLICES; i++) {
      run(ts, payload, CASE_MS / SLICES, t);
      if (native) run(native, payload, CASE_MS / SLICES, nt);
    }
    const tsOps = rate(t);
    const nativeOps = native ? rate(nt) : null;
    console.log(
      JSON.stringify({
        bench: 'transport',
        case: 'datagram seal+open',
        payload,
        ts_ops_per_s: Math.round(tsOps),
        native_ops_per_s: nativeOps === null ? null : Math.round(nativeOps),
        ratio_native_over_ts: nativeOps === null ? null : Number((nativeOps / tsOps).toFixed(3)),
        ts_mb_per_s: Number(((tsOps * payload * 2) / 1e6).toFixed(1)),
      }),
    );
  }
}

main();
