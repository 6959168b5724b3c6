import { fictionalPerson, retryWait } from './chaos-support';
import { parseCycleArgs } from './chaos-cycles';

describe('chaos cycles: options', () => {
  it('reads cycles, components and rate, and bounds the receiver’s memory of ids', () => {
    const o = parseCycleArgs(['--cycles', '3', '--kill', 'mariadb,redis', '--rate', '100'], {});
    expect(o).toMatchObject({ cycles: 3, kill: ['mariadb', 'redis'], rate: 100, receiverMaxIds: 1_000_000 });
    expect(parseCycleArgs([], { TONGBAN_CHAOS_RECEIVER_MAX_IDS: '5000' }).receiverMaxIds).toBe(5000);
  });

  it('names a bad component and a bad bound', () => {
    expect(() => parseCycleArgs(['--kill', 'printer'], {})).toThrow(/"printer" is not one of/);
    expect(() => parseCycleArgs([], { TONGBAN_CHAOS_RECEIVER_MAX_IDS: 'all' })).toThrow(/TONGBAN_CHAOS_RECEIVER_MAX_IDS must be a whole number/);
  });

  it('reads a soak: minutes of streaming with no kill cycles, memory sampled', () => {
    expect(parseCycleArgs(['--soak', '30', '--rate', '50'], {})).toMatchObject({ soakMinutes: 30, cycles: 0, rate: 50, sampleSeconds: 30 });
    expect(parseCycleArgs(['--soak', '5', '--sample-seconds', '10'], {}).sampleSeconds).toBe(10);
    expect(parseCycleArgs(['--cycles', '2'], {})).toMatchObject({ soakMinutes: 0, cycles: 2 });
    expect(() => parseCycleArgs(['--soak', 'long'], {})).toThrow(/--soak must be a positive number/);
  });
});

describe('the chaos client’s fictional people', () => {
  it('never are born in the future and never repeat, however long a run streams', () => {
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const seen = new Set<string>();
    for (const n of [0, 1, 28_999, 29_000, 31_747, 60_000, 200_000, 1_000_000]) {
      const p = fictionalPerson(n);
      expect(p.birth < today).toBe(true);
      expect(p.sequence).toMatch(/^\d{3}$/);
      seen.add(`${p.birth}${p.sequence}`);
    }
    expect(seen.size).toBe(8);
    expect(fictionalPerson(0)).toEqual({ birth: '19400101', sequence: '100' });
  });
});

describe('the chaos client’s waits between tries', () => {
  it.each([
    [1, undefined, 0.5, 250],
    [2, undefined, 0.5, 500],
    [5, undefined, 0.5, 4000],
    [9, undefined, 0.5, 5000],
    [3, 1000, 0.5, 1000],
    [3, 1000, 0, 500],
    [3, 1000, 0.999, 1499],
  ])('try %i, Retry-After %p ms, random %p: %i ms', (tries, retryAfterMs, r, ms) => {
    expect(retryWait(tries, retryAfterMs, () => r)).toBe(ms);
  });
});
