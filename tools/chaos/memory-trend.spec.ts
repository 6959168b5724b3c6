import { memoryTrend, residentMiB } from './memory-trend';

describe('memory trend of a soak', () => {
  it.each([
    ['flat after warm-up', [60, 90, 120, 121, 122, 120, 121, 123, 122, 121, 122, 122], true],
    ['a slow leak of 2 MiB per sample', [100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 122], false],
    ['noise of a few MiB on a small process', [40, 41, 40, 42, 43, 41, 44, 45, 44, 46, 45, 46], true],
    ['a step up late in the run', [150, 150, 150, 150, 150, 150, 150, 150, 150, 200, 210, 220], false],
  ])('%s', (_name, samples, flat) => {
    expect(memoryTrend(samples as number[]).flat).toBe(flat);
  });

  it('reads the second quarter against the last quarter', () => {
    const t = memoryTrend([10, 10, 100, 100, 100, 100, 100, 110]);
    expect(t).toMatchObject({ startMiB: 100, endMiB: 105, peakMiB: 110, growthPercent: 5, flat: true });
  });

  it('says nothing is flat when too few samples were taken', () => {
    expect(memoryTrend([100, 100, 100]).flat).toBe(false);
  });

  it('reads VmRSS and forgets a process that is gone', () => {
    const status = 'Name:\tnode\nVmHWM:\t  300000 kB\nVmRSS:\t  204800 kB\n';
    expect(residentMiB(42, () => status)).toBe(200);
    expect(
      residentMiB(42, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(residentMiB(undefined, () => status)).toBeUndefined();
  });
});
