// Memory of another process, as Linux reports it: resident set (VmRSS), its high-water mark (VmHWM) and the
// private anonymous part (`Anonymous` in /proc/PID/smaps_rollup: heap, stacks, JIT code; not the executable's
// and libraries' file-backed pages, which other processes running the same binary share). A sampler polls a
// process during a run to catch the peak anonymous figure, which the kernel does not record. Bench support only.

import { readFileSync } from 'node:fs';

export interface ProcMem {
  /** Resident set now (MiB). */
  rssMiB: number;
  /** Highest resident set since the process started (MiB). */
  peakRssMiB: number;
  /** Private anonymous memory now (MiB). */
  anonMiB: number;
}

const kib = (text: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};

/** The figures now, or null if the process is gone. */
export function procMem(pid: number): ProcMem | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rssMiB: kib(status, 'VmRSS') / 1024, peakRssMiB: kib(status, 'VmHWM') / 1024, anonMiB: kib(rollup, 'Anonymous') / 1024 };
  } catch {
    return null;
  }
}

/** Polls a process every `intervalMs` and keeps the highest anonymous figure seen. */
export class MemSampler {
  peakAnonMiB = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 25,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample now (also called by the timer); returns it. */
  sample(): ProcMem | null {
    const m = procMem(this.pid);
    if (m) {
      this.samples++;
      if (m.anonMiB > this.peakAnonMiB) this.peakAnonMiB = m.anonMiB;
    }
    return m;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export const mib1 = (x: number | undefined | null): number | null => (x === undefined || x === null || Number.isNaN(x) ? null : Number(x.toFixed(1)));
