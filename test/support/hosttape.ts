// A test-side host state: the host bytes a server has emitted (as a tape of chunks), its echo-ack and size.
// Used as the local state of the minimal echo server and as the client-side transcript of a stock server
// (state Y's tape = state X's tape + the diff X->Y, so replaying a tape into a terminal shows state Y).
// Not the real terminal state: that is src/statesync's complete terminal (server issue).

import { decodeHostMessage, encodeHostMessage, type HostInstruction } from '../../src/statesync/hostmessage';
import type { SyncState } from '../../src/transport/state';

export class HostTape implements SyncState<HostTape> {
  chunks: Buffer[] = [];
  length = 0;
  echoAck = 0n;
  width = 0;
  height = 0;

  write(bytes: Buffer | string): void {
    const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  diffFrom(older: HostTape): Uint8Array {
    const out: HostInstruction[] = [];
    if (this.echoAck !== older.echoAck) out.push({ type: 'echoack', num: this.echoAck });
    if (this.width !== older.width || this.height !== older.height)
      out.push({ type: 'resize', width: this.width, height: this.height });
    if (this.length > older.length) out.push({ type: 'hostbytes', bytes: this.bytes().subarray(older.length) });
    return out.length ? encodeHostMessage(out) : new Uint8Array(0);
  }

  initDiff(): Uint8Array {
    return this.diffFrom(new HostTape());
  }

  apply(diff: Uint8Array): void {
    for (const i of decodeHostMessage(diff)) {
      if (i.type === 'hostbytes') this.write(Buffer.from(i.bytes));
      else if (i.type === 'echoack') this.echoAck = i.num;
      else if (i.type === 'resize') {
        this.width = i.width;
        this.height = i.height;
      }
    }
  }

  equals(o: HostTape): boolean {
    return this.length === o.length && this.echoAck === o.echoAck && this.width === o.width && this.height === o.height;
  }

  clone(): HostTape {
    const c = new HostTape();
    c.chunks = this.chunks.slice();
    c.length = this.length;
    c.echoAck = this.echoAck;
    c.width = this.width;
    c.height = this.height;
    return c;
  }
}
