// A clock tests advance by hand (the transport takes any Clock). Test support only.
import type { Clock } from '../../src/transport/clock';

/** A clock tests advance by hand. */
export class ManualClock implements Clock {
  constructor(private t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
