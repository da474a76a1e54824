// Test support for src/predict/: a fake server screen (an Emulator) plus a PredictionEngine driven the way the
// client drives it (frame numbers, echo-acks, a manual clock), and small readers for cell-exact assertions.
// Not a network simulation; trace.test.ts has its own event loop.
import { Emulator, rowText, type Snapshot } from '../../src/emulator';
import { PredictionEngine, type PredictionEngineOptions } from '../../src/predict';
import { cellAt } from '../../src/predict/overlay';

export class Harness {
  readonly em: Emulator;
  readonly engine: PredictionEngine;
  /** Number of the newest user state sent; each typed byte goes out in its own new state. */
  sent = 0n;
  now = 1000;

  constructor(
    opts: PredictionEngineOptions & { cols?: number; rows?: number; prompt?: string; sendInterval?: number },
  ) {
    this.em = new Emulator(opts.cols ?? 20, opts.rows ?? 5);
    this.em.write(opts.prompt ?? '$ ');
    this.engine = new PredictionEngine(opts);
    this.engine.setSendInterval(opts.sendInterval ?? 20);
    this.engine.cull(this.fb, this.now);
  }

  get fb(): Snapshot {
    return this.em.snapshot();
  }

  /** Types `keys` (UTF-8), one state per byte. */
  type(keys: string | number[]): void {
    const bytes = typeof keys === 'string' ? Buffer.from(keys, 'utf8') : keys;
    for (const b of bytes) {
      this.engine.setLocalFrameSent(this.sent);
      this.engine.newUserByte(b, this.fb, this.now);
      this.sent++;
    }
  }

  /** The server writes `output` and echo-acks everything typed so far (or `ack`). */
  server(output: string, ack: bigint = this.sent): void {
    this.em.write(output);
    this.engine.setLocalFrameLateAcked(ack);
    this.engine.setLocalFrameAcked(ack);
  }

  /** What the user sees now: cull, then apply. */
  view(): Snapshot {
    this.engine.cull(this.fb, this.now);
    return this.engine.apply(this.fb);
  }

  advance(ms: number): void {
    this.now += ms;
  }

  dispose(): void {
    this.em.dispose();
  }
}

/** "text|style" of each cell in row y up to `n` cells. */
export function cells(s: Snapshot, y: number, from: number, n: number): string[] {
  const out: string[] = [];
  for (let x = from; x < from + n; x++) {
    const c = cellAt(s, y, x);
    out.push(`${c.text}|${c.style}`);
  }
  return out;
}

export { rowText };
