// Fragments and compression (mosh-protocol.md section 4): the 10-byte fragment header, the sender's
// Fragmenter (serialize, zlib, split) and the receiver's single-slot FragmentAssembly (join, inflate, parse).
// Not the datagram/crypto layer (timestamps, OCB) and not SSP: it neither checks versions nor orders states.

import { deflateSync, inflateSync } from 'node:zlib';
import { decodeInstruction, encodeInstruction, type Instruction } from './instruction';

export const FRAGMENT_HEADER_LEN = 10;
/** Largest fragment number the header can carry (bit 15 is the final flag). */
export const MAX_FRAGMENT_NUM = 0x7fff;
/** Largest inflated instruction accepted (2048 x 2048); larger ones are dropped as a DoS. */
export const MAX_INSTRUCTION_BYTES = 4 * 1024 * 1024;
/** Compressed bytes one assembly may hold; no sane zlib stream of a 4 MiB instruction comes near this. */
export const MAX_ASSEMBLY_BYTES = 8 * 1024 * 1024;

/** Application datagram MTUs (largest encrypted datagram), section 3.6. */
export const MTU_IPV4 = 1252;
export const MTU_IPV6 = 1216;
export const MTU_FALLBACK = 500;

/** Nonce tail 8 + timestamps 4 + OCB tag 16. */
const DATAGRAM_OVERHEAD = 28;
const U64_MAX = 2n ** 64n - 1n;

export interface Fragment {
  id: bigint;
  num: number;
  final: boolean;
  chunk: Buffer;
}

/** Bytes of compressed instruction that fit in one fragment for a given MTU. */
export function chunkBudget(mtu: number): number {
  return mtu - DATAGRAM_OVERHEAD - FRAGMENT_HEADER_LEN;
}

export function encodeFragment(f: Fragment): Buffer {
  if (f.id < 0n || f.id > U64_MAX) throw new RangeError(`fragment id out of range: ${f.id}`);
  if (!Number.isInteger(f.num) || f.num < 0 || f.num > MAX_FRAGMENT_NUM) {
    throw new RangeError(`fragment number out of range: ${f.num}`);
  }
  const out = Buffer.allocUnsafe(FRAGMENT_HEADER_LEN + f.chunk.length);
  out.writeBigUInt64BE(f.id, 0);
  out.writeUInt16BE((f.final ? 0x8000 : 0) | f.num, 8);
  out.set(f.chunk, FRAGMENT_HEADER_LEN);
  return out;
}

/** Parses a fragment (the datagram payload after the timestamps); `chunk` is a view into `payload`. Null if
 * shorter than the header. */
export function parseFragment(payload: Uint8Array): Fragment | null {
  if (payload.length < FRAGMENT_HEADER_LEN) return null;
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const word = b.readUInt16BE(8);
  return {
    id: b.readBigUInt64BE(0),
    num: word & MAX_FRAGMENT_NUM,
    final: (word & 0x8000) !== 0,
    chunk: b.subarray(FRAGMENT_HEADER_LEN),
  };
}

/** Sender side: one fresh instruction id per call (ids start at 1), so no (id, number) is ever reused. */
export class Fragmenter {
  /** The id the next makeFragments call uses. Plain data, so a saved client can restore it. */
  nextId = 1n;

  makeFragments(inst: Instruction, mtu: number): Buffer[] {
    const budget = chunkBudget(mtu);
    if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`MTU too small: ${mtu}`);
    const id = this.nextId;
    if (typeof id !== 'bigint' || id < 0n || id > U64_MAX) throw new RangeError(`nextId out of range: ${id}`);
    const z = deflateSync(encodeInstruction(inst));
    const count = Math.max(1, Math.ceil(z.length / budget));
    if (count > MAX_FRAGMENT_NUM + 1) throw new RangeError(`instruction too large: ${z.length} compressed bytes`);
    this.nextId = id === U64_MAX ? 1n : id + 1n;
    const out: Buffer[] = [];
    for (let num = 0; num < count; num++) {
      const chunk = z.subarray(num * budget, Math.min(z.length, (num + 1) * budget));
      out.push(encodeFragment({ id, num, final: num === count - 1, chunk }));
    }
    return out;
  }
}

/** What FragmentAssembly saw and why it dropped things. All counters only grow. */
export interface FragmentAssemblyStats {
  /** Fragments offered to add(). */
  fragments: number;
  /** Instructions assembled, inflated and decoded. */
  instructions: number;
  /** Partial assemblies discarded because a fragment of another id arrived. */
  partialsDiscarded: number;
  /** Byte-identical duplicates ignored. */
  duplicates: number;
  /** Same (id, number) with different bytes or final flag: assembly dropped. */
  conflicts: number;
  /** A final flag at odds with the numbers seen (second final, higher number than the final): dropped. */
  finalInconsistent: number;
  /** Fragment number outside 0..0x7fff: dropped. */
  badNumbers: number;
  /** Inflated output over 4 MiB, or compressed bytes over MAX_ASSEMBLY_BYTES: dropped. */
  oversize: number;
  /** zlib stream invalid or truncated: dropped. */
  inflateErrors: number;
  /** Inflated bytes are not an Instruction protobuf: dropped. */
  decodeErrors: number;
}

interface HeldChunk {
  final: boolean;
  chunk: Buffer;
}

/**
 * Receiver side: a single assembly slot (section 4.3). Fragments of one id may arrive in any order; a new id
 * discards the partial assembly. Malformed input is dropped and counted, never thrown.
 */
export class FragmentAssembly {
  readonly stats: FragmentAssemblyStats = {
    fragments: 0,
    instructions: 0,
    partialsDiscarded: 0,
    duplicates: 0,
    conflicts: 0,
    finalInconsistent: 0,
    badNumbers: 0,
    oversize: 0,
    inflateErrors: 0,
    decodeErrors: 0,
  };

  private currentId: bigint | null = null;
  private held = new Map<number, HeldChunk>();
  /** Number of fragments in the instruction, once its final fragment has been seen. */
  private total = -1;
  private highestNum = -1;
  private heldBytes = 0;

  /** Adds one fragment; returns the decoded Instruction when this fragment completes one, else null. */
  add(f: Fragment): Instruction | null {
    const s = this.stats;
    s.fragments++;
    if (f.id !== this.currentId) {
      if (this.held.size > 0) s.partialsDiscarded++;
      this.clearSlot();
      this.currentId = f.id;
    }
    if (!Number.isInteger(f.num) || f.num < 0 || f.num > MAX_FRAGMENT_NUM) {
      s.badNumbers++;
      this.clearSlot();
      return null;
    }
    const prev = this.held.get(f.num);
    if (prev !== undefined) {
      if (prev.final === f.final && prev.chunk.equals(f.chunk)) {
        s.duplicates++;
      } else {
        s.conflicts++;
        this.clearSlot();
      }
      return null;
    }
    if (f.final ? this.total >= 0 || this.highestNum > f.num : this.total >= 0 && f.num >= this.total) {
      s.finalInconsistent++;
      this.clearSlot();
      return null;
    }
    if (this.heldBytes + f.chunk.length > MAX_ASSEMBLY_BYTES) {
      s.oversize++;
      this.clearSlot();
      return null;
    }
    this.held.set(f.num, { final: f.final, chunk: Buffer.from(f.chunk) });
    this.heldBytes += f.chunk.length;
    if (f.num > this.highestNum) this.highestNum = f.num;
    if (f.final) this.total = f.num + 1;
    if (this.total < 0 || this.held.size !== this.total) return null;
    return this.complete();
  }

  private complete(): Instruction | null {
    const s = this.stats;
    const parts: Buffer[] = [];
    for (let n = 0; n < this.total; n++) parts.push((this.held.get(n) as HeldChunk).chunk);
    // The slot empties but keeps its id, as the stock receiver does.
    this.clearSlot();
    let raw: Buffer;
    try {
      const compressed = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      raw = inflateSync(compressed, {
        maxOutputLength: MAX_INSTRUCTION_BYTES,
        chunkSize: inflateChunk(compressed.length),
      });
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') s.oversize++;
      else s.inflateErrors++;
      return null;
    }
    try {
      const inst = decodeInstruction(raw);
      s.instructions++;
      return inst;
    } catch {
      s.decodeErrors++;
      return null;
    }
  }

  private clearSlot(): void {
    if (this.held.size > 0) this.held = new Map();
    this.total = -1;
    this.highestNum = -1;
    this.heldBytes = 0;
  }
}

/**
 * The output chunk size for inflating `compressed` bytes: big enough for a whole frame in one chunk (screen
 * diffs inflate about 4-5 times), so zlib writes it once and node returns it without gathering 16 KiB chunks into a
 * copy (about 40 instead of 50 us for a 200x50 colour redraw); small for acks and keystrokes.
 */
export function inflateChunk(compressed: number): number {
  return Math.min(INFLATE_CHUNK_MAX, Math.max(INFLATE_CHUNK_MIN, compressed * 8));
}
const INFLATE_CHUNK_MIN = 16 * 1024;
const INFLATE_CHUNK_MAX = 256 * 1024;
