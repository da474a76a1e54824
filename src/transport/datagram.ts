// One mosh datagram on the wire (mosh-protocol.md sections 2.2, 2.3, 3.1): an 8-byte cleartext nonce tail
// (direction bit + 63-bit sequence number), then the OCB-sealed plaintext [timestamp][timestamp_reply][payload].
// This module only seals and opens; sequence bookkeeping, RTT and addresses belong to connection.ts.

import type { Aead } from './ocb';

export const TO_SERVER = 0;
export const TO_CLIENT = 1;
export type Direction = typeof TO_SERVER | typeof TO_CLIENT;

/** The receive buffer of a stock peer: anything larger is truncated there, and rejected here. */
export const RECEIVE_MTU = 2048;
/** 8 bytes of nonce on the wire + 16 bytes of tag. */
export const SEAL_OVERHEAD = 24;
/** Nonce (8) + timestamps (4) + tag (16): a datagram is payload + 28 bytes. */
export const DATAGRAM_OVERHEAD = 28;
export const TIMESTAMP_NONE = 0xffff;
export const MAX_SEQ = (1n << 63n) - 1n;

export interface Packet {
  direction: Direction;
  seq: bigint;
  timestamp: number;
  timestampReply: number;
  payload: Buffer;
}

export type OpenFailure = 'too-short' | 'oversize' | 'integrity' | 'no-timestamps';
export type OpenResult = { ok: true; packet: Packet } | { ok: false; reason: OpenFailure };

/** Human-readable words for each reason a datagram is dropped. */
export const OPEN_FAILURE_TEXT: Record<OpenFailure, string> = {
  'too-short': 'Ciphertext must contain nonce and tag.',
  oversize: 'Received oversize datagram.',
  integrity: 'Packet failed integrity check.',
  'no-timestamps': 'Packet is too short to hold timestamps.',
};

/** The 12-byte OCB nonce: 4 zero bytes, then direction<<63 | seq, big-endian. */
export function nonceFor(direction: Direction, seq: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE((BigInt(direction) << 63n) | (seq & MAX_SEQ), 4);
  return nonce;
}

/** timestamp() mod 65536, except that 0xFFFF ("none") becomes 0. */
export function timestamp16(nowMs: number): number {
  const ts = Math.floor(nowMs) & 0xffff;
  return ts === TIMESTAMP_NONE ? 0 : ts;
}

/** Milliseconds from a 16-bit timestamp to another, modulo 2^16. */
export function timestampDiff(later: number, earlier: number): number {
  return (later - earlier) & 0xffff;
}

export function sealPacket(aead: Aead, p: Packet): Buffer {
  if (p.seq < 0n || p.seq > MAX_SEQ) throw new RangeError('sequence number out of range');
  const plaintext = Buffer.allocUnsafe(4 + p.payload.length);
  plaintext.writeUInt16BE(p.timestamp & 0xffff, 0);
  plaintext.writeUInt16BE(p.timestampReply & 0xffff, 2);
  p.payload.copy(plaintext, 4);
  const nonce = nonceFor(p.direction, p.seq);
  const sealed = aead.seal(nonce, plaintext);
  return Buffer.concat([nonce.subarray(4), sealed]);
}

export function openPacket(aead: Aead, datagram: Buffer): OpenResult {
  if (datagram.length > RECEIVE_MTU) return { ok: false, reason: 'oversize' };
  if (datagram.length < SEAL_OVERHEAD) return { ok: false, reason: 'too-short' };
  const nonce = Buffer.alloc(12);
  datagram.copy(nonce, 4, 0, 8);
  const plaintext = aead.open(nonce, datagram.subarray(8));
  if (plaintext === null) return { ok: false, reason: 'integrity' };
  if (plaintext.length < 4) return { ok: false, reason: 'no-timestamps' };
  const v = nonce.readBigUInt64BE(4);
  return {
    ok: true,
    packet: {
      direction: (v >> 63n === 1n ? TO_CLIENT : TO_SERVER) as Direction,
      seq: v & MAX_SEQ,
      timestamp: plaintext.readUInt16BE(0),
      timestampReply: plaintext.readUInt16BE(2),
      payload: plaintext.subarray(4),
    },
  };
}
