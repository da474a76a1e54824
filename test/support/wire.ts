// Decodes datagrams seen on the wire (fake network log or relay tap) back into instructions, knowing the key:
// the test-side equivalent of a decrypting tap. Not used outside tests and tools.

import { type Direction, openPacket } from '../../src/transport/datagram';
import { FragmentAssembly, parseFragment } from '../../src/transport/fragment';
import type { Instruction } from '../../src/transport/instruction';
import type { Aead } from '../../src/transport/ocb';

export interface WireInstruction extends Instruction {
  seq: bigint;
  direction: Direction;
  timestamp: number;
  timestampReply: number;
}

export class WireDecoder {
  private readonly assemblies = new Map<Direction, FragmentAssembly>();
  constructor(private readonly aead: Aead) {}

  /** The instruction this datagram completes, or null (not authentic, or a fragment of a larger one). */
  decode(datagram: Buffer): WireInstruction | null {
    const opened = openPacket(this.aead, datagram);
    if (!opened.ok) return null;
    const p = opened.packet;
    const frag = parseFragment(p.payload);
    if (!frag) return null;
    let asm = this.assemblies.get(p.direction);
    if (!asm) this.assemblies.set(p.direction, (asm = new FragmentAssembly()));
    const inst = asm.add(frag);
    if (!inst) return null;
    return { ...inst, seq: p.seq, direction: p.direction, timestamp: p.timestamp, timestampReply: p.timestampReply };
  }
}
