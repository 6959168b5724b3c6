/**
 * Whether a process's resident memory stays flat over a soak: the median of the samples in the second quarter of
 * the run (after warm-up: caches filled, JIT done, pools open) against the median of the last quarter. Flat when
 * it grew by at most `maxGrowthPercent` or by at most `slackMiB` (a few MiB of noise on a small process is not a
 * leak).
 */
export interface MemoryTrend {
  samples: number;
  startMiB: number;
  endMiB: number;
  peakMiB: number;
  growthPercent: number;
  flat: boolean;
}

export function memoryTrend(samplesMiB: number[], maxGrowthPercent = 10, slackMiB = 8): MemoryTrend {
  const n = samplesMiB.length;
  if (n < 4) return { samples: n, startMiB: NaN, endMiB: NaN, peakMiB: Math.max(0, ...samplesMiB), growthPercent: NaN, flat: false };
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const q = Math.floor(n / 4);
  const startMiB = median(samplesMiB.slice(q, 2 * q));
  const endMiB = median(samplesMiB.slice(n - q));
  const growthPercent = startMiB > 0 ? ((endMiB - startMiB) / startMiB) * 100 : NaN;
  const flat = endMiB - startMiB <= slackMiB || growthPercent <= maxGrowthPercent;
  return { samples: n, startMiB, endMiB, peakMiB: Math.max(...samplesMiB), growthPercent: Math.round(growthPercent * 10) / 10, flat };
}

/** Resident memory of a process in MiB (`VmRSS` of /proc/<pid>/status), or undefined when it is gone. */
export function residentMiB(pid: number | undefined, read: (path: string) => string): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
