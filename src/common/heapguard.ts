// Keeps a long-lived process's V8 heap near its live size while the screen is busy: the server daemon through
// output floods, the terminal client (dist/cli.js) through fast redraws. V8 lets the old generation grow at least
// 8 MiB past what survived its last major GC before it collects again, whatever the heap's size; for these small
// processes that room is most of their private memory. In a flood every frame's snapshot is promoted (the
// sender keeps it until the client acknowledges it, ~100 ms or more) and dies soon after, so a flood fills the
// room with garbage in a second or two. The guard runs a major GC once the heap has grown GROWTH_STEP bytes
// since the last one, never spending more than about 1/GC_TIME_SHARE of the time in its own GCs (so a big
// screen, whose GCs take longer, is left to V8's own heuristics). It only ever collects sooner; it never limits
// the heap. A collection held back by that limit waits for the next check: after a flood the last garbage is
// left to V8's memory reducer, which also gives freed pages back (a plain major GC keeps most of them
// committed), about 8 s after the last major GC once the process is quiet; one more GC at the end would only
// restart that wait. Needs a `gc` function: node's --expose-gc (the daemon's flags, server/launch.ts) or
// exposed at run time (forThisProcess's exposeGc, the terminal client). Not for the VS Code extension host,
// whose heap is shared with every other extension and not ours to collect.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap growth (bytes) past the size after the last collection that triggers one. */
export const GROWTH_STEP = 1024 * 1024;
/** A guard GC taking d ms is followed by at least GC_TIME_SHARE x d ms without one (at most ~4% of the time). */
export const GC_TIME_SHARE = 25;
/** And by at least this long (ms) in any case. */
export const MIN_GC_SPACING_MS = 100;

export interface HeapGuardOptions {
  /** Runs a major GC (node's global `gc` with --expose-gc); undefined: the guard does nothing. */
  gc?: () => void;
  /** Bytes in use on the heap now (default: v8's used_heap_size). */
  used?: () => number;
  /** Milliseconds, monotonic, with sub-millisecond precision (default: performance.now). */
  now?: () => number;
  /** Heap growth that triggers a collection (default GROWTH_STEP). */
  growthStep?: number;
  /** A GC taking d ms is followed by at least timeShare x d ms without one (default GC_TIME_SHARE). */
  timeShare?: number;
  /** And by at least this long (default MIN_GC_SPACING_MS). */
  minSpacingMs?: number;
}

/** V8's full-GC function: node's `gc` with --expose-gc, else made available now (undefined if V8 refuses). */
export function exposedGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: () => void }).gc;
  if (typeof own === 'function') return own;
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  return typeof gc === 'function' ? (gc as () => void) : undefined;
}

export class HeapGuard {
  private readonly gc: (() => void) | undefined;
  private readonly used: () => number;
  private readonly now: () => number;
  private readonly growthStep: number;
  private readonly timeShare: number;
  private readonly minSpacingMs: number;
  /** The smallest heap seen since the guard's last GC (V8's own GCs lower it). */
  private base = Infinity;
  private notBefore = -Infinity;
  /** Guard GCs run so far. */
  collections = 0;

  constructor(opts: HeapGuardOptions = {}) {
    this.gc = opts.gc;
    this.used = opts.used ?? (() => getHeapStatistics().used_heap_size);
    this.now = opts.now ?? (() => performance.now());
    this.growthStep = opts.growthStep ?? GROWTH_STEP;
    this.timeShare = opts.timeShare ?? GC_TIME_SHARE;
    this.minSpacingMs = opts.minSpacingMs ?? MIN_GC_SPACING_MS;
  }

  /**
   * The guard for this process: node's `gc` if it was started with --expose-gc (the daemon); else, with
   * `exposeGc`, V8's gc made available now (the terminal client), else a guard that does nothing.
   */
  static forThisProcess(
    opts: { exposeGc?: boolean } & Pick<HeapGuardOptions, 'growthStep' | 'timeShare' | 'minSpacingMs'> = {},
  ): HeapGuard {
    const f = opts.exposeGc ? exposedGc() : (globalThis as { gc?: () => void }).gc;
    return new HeapGuard({ ...opts, gc: typeof f === 'function' ? () => f() : undefined });
  }

  /** Call now and then (e.g. after each frame): collects if the heap has grown enough and it is not too soon. */
  check(): void {
    if (this.gc === undefined || !this.due()) return;
    const start = this.now();
    if (start < this.notBefore) return;
    this.gc();
    const end = this.now();
    this.collections++;
    this.base = this.used();
    this.notBefore = end + Math.max(this.minSpacingMs, this.timeShare * (end - start));
  }

  /** The heap has grown enough since the last collection. */
  private due(): boolean {
    if (this.gc === undefined) return false;
    const used = this.used();
    if (used < this.base) this.base = used;
    return used - this.base >= this.growthStep;
  }
}
