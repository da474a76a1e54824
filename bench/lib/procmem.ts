// Memory of a process as Linux accounts it, for the benchmarks: RSS and its peak (VmHWM) from /proc/PID/status,
// and the private anonymous memory (heap, stacks, JIT; not the shared pages of the program's binary) from
// /proc/PID/smaps_rollup; plus a sampler that records them over time and reduces them to peak, end and a slope.
// Lives in bench/lib/ so `npm run bench` does not list it.
import { readFileSync } from 'node:fs';

export interface MemSample {
  /** Seconds since sampling started. */
  t: number;
  rssMiB: number;
  anonMiB: number;
}

const kib = (text: string, field: string): number | null => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

export interface ProcMem {
  /** Resident set now (MiB). */
  rssMiB: number;
  /** Highest resident set since the process started (VmHWM, MiB); also as peakRssMiB. */
  hwmMiB: number;
  peakRssMiB: number;
  /** Private anonymous memory now (MiB). */
  anonMiB: number;
}

/** RSS, peak RSS and private anonymous memory in MiB, or null if the process is gone. */
export function procMem(pid: number): ProcMem | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const rss = kib(status, 'VmRSS');
    const hwm = kib(status, 'VmHWM');
    const anon = kib(rollup, 'Anonymous');
    if (rss === null || hwm === null || anon === null) return null;
    return { rssMiB: rss / 1024, hwmMiB: hwm / 1024, peakRssMiB: hwm / 1024, anonMiB: anon / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process every `everyMs` until stopped. */
export class MemSampler {
  readonly samples: MemSample[] = [];
  private peakRss = 0;
  private peakAnon = 0;
  private hwm = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = Date.now();

  constructor(
    readonly pid: number,
    everyMs = 1000,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  /** Takes one sample now (also called by the timer); returns it. */
  sample(): ProcMem | null {
    const m = procMem(this.pid);
    if (!m) return null;
    this.samples.push({ t: (Date.now() - this.t0) / 1000, rssMiB: m.rssMiB, anonMiB: m.anonMiB });
    this.peakRss = Math.max(this.peakRss, m.rssMiB);
    this.peakAnon = Math.max(this.peakAnon, m.anonMiB);
    this.hwm = Math.max(this.hwm, m.hwmMiB);
    return m;
  }

  /** The highest private anonymous figure sampled so far (the kernel records no such peak). */
  get peakAnonMiB(): number {
    return this.peakAnon;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Peak and end figures, and the least-squares slope of private memory over the second half, per 10 minutes. */
  summary(): {
    peakRssMiB: number;
    peakAnonMiB: number;
    endRssMiB: number;
    endAnonMiB: number;
    anonSlopeMiBPer10Min: number;
    samples: number;
  } {
    const s = this.samples;
    const last = s[s.length - 1] ?? { rssMiB: 0, anonMiB: 0, t: 0 };
    // The end figure: the median of the last few samples (one sample can catch a GC mid-way).
    const tail = s
      .slice(-5)
      .map((x) => x.anonMiB)
      .sort((a, b) => a - b);
    const tailRss = s
      .slice(-5)
      .map((x) => x.rssMiB)
      .sort((a, b) => a - b);
    const half = s.filter((x) => x.t >= last.t / 2);
    let slope = 0;
    if (half.length >= 3) {
      const n = half.length;
      const mt = half.reduce((a, x) => a + x.t, 0) / n;
      const ma = half.reduce((a, x) => a + x.anonMiB, 0) / n;
      const cov = half.reduce((a, x) => a + (x.t - mt) * (x.anonMiB - ma), 0);
      const vt = half.reduce((a, x) => a + (x.t - mt) ** 2, 0);
      slope = vt > 0 ? (cov / vt) * 600 : 0;
    }
    const r = (x: number) => Math.round(x * 10) / 10;
    return {
      peakRssMiB: r(Math.max(this.peakRss, this.hwm)),
      peakAnonMiB: r(this.peakAnon),
      endRssMiB: r(tailRss[tailRss.length >> 1] ?? last.rssMiB),
      endAnonMiB: r(tail[tail.length >> 1] ?? last.anonMiB),
      anonSlopeMiBPer10Min: Math.round(slope * 100) / 100,
      samples: s.length,
    };
  }
}

export const mib1 = (x: number | undefined | null): number | null =>
  x === undefined || x === null || Number.isNaN(x) ? null : Number(x.toFixed(1));
