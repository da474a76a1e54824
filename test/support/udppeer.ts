// Runs one side of an SSP session over real UDP with the system clock: wires a Transport to sockets and the
// single wake timer, as the real client and server do. Test support only (the product's event loops live in
// src/client and server/).

import { systemClock } from '../../src/transport/clock';
import { bindServerSocket, Connection, type Endpoint } from '../../src/transport/connection';
import { OcbAes128 } from '../../src/transport/ocb';
import { SEND_MINDELAY_CLIENT, SEND_MINDELAY_SERVER } from '../../src/transport/sender';
import type { SyncState } from '../../src/transport/state';
import { Transport } from '../../src/transport/transport';
import { WakeTimer } from '../../src/transport/waketimer';

export class UdpPeer<L extends SyncState<L>, R extends SyncState<R>> {
  readonly timer: WakeTimer;
  private waiters: (() => void)[] = [];
  /** Called after every processed datagram and timer wake-up, before the transport ticks. */
  onWake: () => void = () => undefined;
  port = 0;

  private constructor(readonly transport: Transport<L, R>) {
    this.timer = new WakeTimer(() => {
      this.onWake();
      this.transport.tick();
      for (const w of this.waiters.splice(0)) w();
      return this.transport.waitTime();
    });
  }

  static client<L extends SyncState<L>, R extends SyncState<R>>(opts: {
    server: Endpoint;
    key: Buffer;
    local: L;
    remote: R;
  }): UdpPeer<L, R> {
    const connection = Connection.client({ aead: new OcbAes128(opts.key), clock: systemClock, server: opts.server });
    const t = new Transport<L, R>({
      connection,
      clock: systemClock,
      initialLocal: opts.local,
      initialRemote: opts.remote,
      sendMinDelay: SEND_MINDELAY_CLIENT,
    });
    const peer = new UdpPeer(t);
    connection.onSocketMessage = (msg, from) => {
      t.receive(msg, from);
      peer.kick();
    };
    peer.kick();
    return peer;
  }

  static async server<L extends SyncState<L>, R extends SyncState<R>>(opts: {
    key: Buffer;
    local: L;
    remote: R;
    address?: string;
  }): Promise<UdpPeer<L, R>> {
    let peer: UdpPeer<L, R> | null = null;
    const pending: [Buffer, Endpoint][] = [];
    const bound = await bindServerSocket({
      address: opts.address ?? '127.0.0.1',
      ports: [0, 0],
      onMessage: (msg, from) => {
        if (!peer) return void pending.push([msg, from]);
        peer.transport.receive(msg, from);
        peer.kick();
      },
    });
    const connection = Connection.server({
      aead: new OcbAes128(opts.key),
      clock: systemClock,
      socket: bound.socket,
      family: bound.family,
    });
    const t = new Transport<L, R>({
      connection,
      clock: systemClock,
      initialLocal: opts.local,
      initialRemote: opts.remote,
      sendMinDelay: SEND_MINDELAY_SERVER,
    });
    peer = new UdpPeer(t);
    peer.port = bound.port;
    for (const [m, f] of pending) t.receive(m, f);
    peer.kick();
    return peer;
  }

  kick(): void {
    this.timer.kick();
  }

  /** Resolves when `pred()` holds (checked after each wake-up), or rejects after `timeoutMs`. */
  async waitFor(pred: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    this.timer.dispose();
    return this.transport.close();
  }
}
