// A deterministic in-memory UDP network with a manual clock, for driving the transport in tests: datagrams
// are queued with a delivery time (per-direction delay, seeded loss) and delivered as the clock advances.
// Not a model of real sockets beyond addresses, ports and loss; real-network tests use the ImpairmentRelay.

import { ManualClock } from './manualclock';
import type { Endpoint, PacketSocket, SocketFactory } from '../../src/transport/connection';
import { mulberry32 } from './relay';

type Handler = (msg: Buffer, from: Endpoint) => void;

interface Pending {
  at: number;
  order: number;
  from: Endpoint;
  to: Endpoint;
  msg: Buffer;
}

export interface LinkRule {
  delayMs: number;
  loss: number;
  /** Extra delay, uniform in [0, jitterMs): datagrams overtake each other (reordering). */
  jitterMs?: number;
}

/** A small seeded PRNG (the relay's mulberry32). */
export const prng = mulberry32;

const key = (e: Endpoint) => `${e.address}:${e.port}`;

export class FakeNet {
  readonly clock = new ManualClock(5_000_000);
  private readonly bound = new Map<string, Handler>();
  private queue: Pending[] = [];
  private order = 0;
  private nextPort = 40000;
  private readonly random: () => number;
  /** Rule applied to datagrams by destination "address:port", else by "address" (default: no delay, no loss). */
  rules = new Map<string, LinkRule>();
  defaultRule: LinkRule = { delayMs: 0, loss: 0 };
  /** Every datagram sent: for assertions on bytes on the wire. */
  readonly log: { at: number; from: Endpoint; to: Endpoint; msg: Buffer; dropped: boolean }[] = [];

  constructor(seed = 1) {
    this.random = prng(seed);
  }

  /** A bound socket at `address:port` (e.g. the server's). */
  bind(address: string, port: number, onMessage: Handler): PacketSocket {
    const self = { address, port };
    this.bound.set(key(self), onMessage);
    return this.socketAt(self);
  }

  /** A SocketFactory for a client at `address`: each socket gets a new ephemeral port. */
  clientFactory(address: string): SocketFactory {
    return (_family, onMessage) => {
      const self = { address, port: this.nextPort++ };
      this.bound.set(key(self), onMessage);
      return this.socketAt(self);
    };
  }

  private socketAt(self: Endpoint): PacketSocket {
    return {
      send: (msg, port, address, cb) => {
        const to = { address, port };
        const rule = this.rules.get(key(to)) ?? this.rules.get(to.address) ?? this.defaultRule;
        const dropped = this.random() < rule.loss;
        this.log.push({ at: this.clock.now(), from: self, to, msg: Buffer.from(msg), dropped });
        const jitter = rule.jitterMs ? Math.floor(this.random() * rule.jitterMs) : 0;
        if (!dropped)
          this.queue.push({
            at: this.clock.now() + rule.delayMs + jitter,
            order: this.order++,
            from: self,
            to,
            msg: Buffer.from(msg),
          });
        cb(null);
      },
      close: () => {
        this.bound.delete(key(self));
      },
    };
  }

  /** Time of the next queued delivery, or Infinity. */
  nextDelivery(): number {
    let t = Infinity;
    for (const p of this.queue) t = Math.min(t, p.at);
    return t;
  }

  /** Delivers everything due at the current time, in send order. Returns how many were delivered. */
  deliverDue(): number {
    const now = this.clock.now();
    const due = this.queue.filter((p) => p.at <= now).sort((a, b) => a.at - b.at || a.order - b.order);
    this.queue = this.queue.filter((p) => p.at > now);
    for (const p of due) this.bound.get(key(p.to))?.(p.msg, p.from);
    return due.length;
  }
}

export interface Steppable {
  tick(): void;
  waitTime(): number;
}

/**
 * Runs peers on the fake network until `untilMs` (absolute clock time) or until `stop()` is true: deliver due
 * datagrams, tick every peer, jump the clock to the next event. Bounded by `maxSteps`.
 */
export function run(
  net: FakeNet,
  peers: Steppable[],
  untilMs: number,
  stop: () => boolean = () => false,
  maxSteps = 200_000,
): void {
  for (let step = 0; step < maxSteps; step++) {
    net.deliverDue();
    for (const p of peers) p.tick();
    if (stop()) return;
    const now = net.clock.now();
    let next = net.nextDelivery();
    for (const p of peers) next = Math.min(next, now + p.waitTime());
    if (next > untilMs) {
      net.clock.set(untilMs);
      net.deliverDue();
      for (const p of peers) p.tick();
      return;
    }
    // Deliveries due now are handled on the next pass at the same instant; a peer that still wants to run
    // "now" right after its tick is moved on by 1 ms so the loop cannot spin.
    if (net.nextDelivery() <= now) continue;
    net.clock.set(Math.max(next, now + 1));
  }
  throw new Error('fake network run exceeded its step bound');
}
