import { databaseCounters, machineTicks, processTicks, startUsageWindow } from './resource-usage';

const stat = (comm: string, utime: number, stime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 1000 1000000 5000 18446744073709551615`;

describe('resource usage of a bench window', () => {
  it('reads utime + stime of a process, also when its name holds spaces and parentheses', () => {
    expect(processTicks(stat('node', 120, 30))).toBe(150);
    expect(processTicks(stat('a (b) c', 7, 3))).toBe(10);
  });

  it('counts idle and iowait as not busy', () => {
    const t = machineTicks('cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n');
    expect(t).toEqual({ total: 1000, busy: 160 });
    expect(() => machineTicks('intr 1 2 3')).toThrow(/cpu/);
  });

  it('takes the counters by name whatever their case, missing ones as 0', () => {
    const c = databaseCounters([
      { Variable_name: 'QUESTIONS', Value: '10' },
      { Variable_name: 'Com_insert', Value: '4' },
    ]);
    expect(c.Questions).toBe(10);
    expect(c.Com_insert).toBe(4);
    expect(c.Com_commit).toBe(0);
  });

  it('reports the CPU seconds per name, the machine busy share and the database work less its own statements', async () => {
    const files: Record<string, string> = {
      '/proc/1/stat': stat('node', 100, 0),
      '/proc/2/stat': stat('node', 50, 0),
      '/proc/3/stat': stat('mariadbd', 10, 10),
      '/proc/stat': 'cpu  0 0 0 0 0 0 0 0\n',
    };
    let status = { Questions: 1000, Com_select: 500, Com_insert: 100, Com_commit: 10 };
    let own = 7;
    let clock = 0;
    const stop = await startUsageWindow({
      processes: () => [
        { name: 'region-node', pid: 1 },
        { name: 'region-node', pid: 2 },
        { name: 'mariadb', pid: 3 },
        { name: 'gone', pid: 4 },
      ],
      status: async () => Object.entries(status).map(([Variable_name, v]) => ({ Variable_name, Value: String(v) })),
      ownStatements: () => own,
      cores: 2,
      ticksPerSecond: 100,
      read: (p) => {
        if (!(p in files)) throw new Error(`ENOENT ${p}`);
        return files[p];
      },
      now: () => clock,
    });
    files['/proc/1/stat'] = stat('node', 300, 0);
    files['/proc/2/stat'] = stat('node', 150, 50);
    files['/proc/3/stat'] = stat('mariadbd', 110, 60);
    files['/proc/stat'] = 'cpu  300 0 100 500 100 0 0 0\n';
    status = { Questions: 1300, Com_select: 620, Com_insert: 160, Com_commit: 30 };
    own = 17;
    clock = 4000;
    const report = await stop();
    expect(report.seconds).toBe(4);
    expect(report.cpuSeconds).toEqual({ 'region-node': 3.5, mariadb: 1.5 });
    expect(report.machineBusy).toBeCloseTo(0.4);
    // 10 statements of the bench plus its closing status query are not the stack's.
    expect(report.database).toMatchObject({ Questions: 289, Com_select: 109, Com_insert: 60, Com_commit: 20 });
  });
});
