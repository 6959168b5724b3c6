import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Where the machine's time went during a measured window: CPU seconds of each process of interest (the
 * stack's services, MariaDB, Redis, the Kafka brokers, MirrorMaker, the load generator) from
 * `/proc/<pid>/stat`, the whole machine's busy share from `/proc/stat`, and the database's work from its
 * global status counters (statements by kind, commits, InnoDB fsyncs).
 */

type Read = (path: string) => string;

/** User + system CPU time of a process in clock ticks, or undefined when it is gone. */
export function processTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(rest[11]) + Number(rest[12]);
}

/** The machine's CPU time in ticks: busy (everything but idle and iowait) and total, over all cores. */
export function machineTicks(procStat: string): { busy: number; total: number } {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no "cpu" line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3] + f[4];
  return { busy: total - idle, total };
}

/** The database counters a window compares. */
export const DATABASE_COUNTERS = ['Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_commit', 'Innodb_data_fsyncs'] as const;
export type DatabaseCounters = Record<(typeof DATABASE_COUNTERS)[number], number>;

export function databaseCounters(rows: Array<{ Variable_name: string; Value: string }>): DatabaseCounters {
  const found = new Map(rows.map((r) => [r.Variable_name.toLowerCase(), Number(r.Value)]));
  const counters = {} as DatabaseCounters;
  for (const name of DATABASE_COUNTERS) counters[name] = found.get(name.toLowerCase()) ?? 0;
  return counters;
}

export interface UsageReport {
  seconds: number;
  /** Share of all the machine's cores that was busy (0–1). */
  machineBusy: number;
  cores: number;
  /** CPU seconds per process name (summed over its pids) during the window. */
  cpuSeconds: Record<string, number>;
  /** Database work during the window, less the statements the bench itself ran. */
  database: DatabaseCounters;
}

export interface UsageProbe {
  /** The processes to follow, by name (several pids may share a name: both brokers, both nodes). */
  processes: () => Array<{ name: string; pid: number }>;
  /** The database's global status rows for DATABASE_COUNTERS. */
  status: () => Promise<Array<{ Variable_name: string; Value: string }>>;
  /** How many statements the bench itself has sent so far (subtracted from Questions and Com_select). */
  ownStatements: () => number;
  cores: number;
  ticksPerSecond?: number;
  read?: Read;
  now?: () => number;
}

/** Starts a window; the function it answers ends it and reports. */
export async function startUsageWindow(probe: UsageProbe): Promise<() => Promise<UsageReport>> {
  const read = probe.read ?? ((p: string) => readFileSync(p, 'utf8'));
  const now = probe.now ?? Date.now;
  const hz = probe.ticksPerSecond ?? clockTicksPerSecond();
  const ticksOf = (pid: number): number | undefined => {
    try {
      return processTicks(read(`/proc/${pid}/stat`));
    } catch {
      return undefined;
    }
  };
  const processes = probe.processes();
  const before = new Map(processes.map((p) => [p.pid, ticksOf(p.pid)]));
  const machineBefore = machineTicks(read('/proc/stat'));
  const dbBefore = databaseCounters(await probe.status());
  const ownBefore = probe.ownStatements();
  const started = now();
  return async () => {
    const seconds = (now() - started) / 1000;
    const machineAfter = machineTicks(read('/proc/stat'));
    const cpuSeconds: Record<string, number> = {};
    for (const { name, pid } of processes) {
      const a = before.get(pid);
      const b = ticksOf(pid);
      if (a === undefined || b === undefined) continue;
      cpuSeconds[name] = (cpuSeconds[name] ?? 0) + (b - a) / hz;
    }
    // The status query of this end is the bench's own too.
    const own = probe.ownStatements() - ownBefore + 1;
    const dbAfter = databaseCounters(await probe.status());
    const database = {} as DatabaseCounters;
    for (const name of DATABASE_COUNTERS) database[name] = dbAfter[name] - dbBefore[name];
    database.Questions = Math.max(0, database.Questions - own);
    database.Com_select = Math.max(0, database.Com_select - own);
    const total = machineAfter.total - machineBefore.total;
    return { seconds, machineBusy: total > 0 ? (machineAfter.busy - machineBefore.busy) / total : 0, cores: probe.cores, cpuSeconds, database };
  };
}

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** The pids of the machine's infrastructure processes, by name (empty when one is not running). */
export function infrastructurePids(): Array<{ name: string; pid: number }> {
  const found: Array<{ name: string; pid: number }> = [];
  const pgrep = (name: string, args: string[]) => {
    try {
      for (const line of execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n')) {
        const pid = Number(line.trim());
        if (pid > 0) found.push({ name, pid });
      }
    } catch {
      // pgrep exits 1 when nothing matches
    }
  };
  pgrep('mariadb', ['-x', 'mariadbd']);
  pgrep('mariadb', ['-x', 'mysqld']);
  pgrep('redis', ['-x', 'redis-server']);
  pgrep('kafka', ['-f', 'kafka\\.Kafka ']);
  pgrep('mirrormaker', ['-f', 'connect\\.mirror\\.MirrorMaker']);
  return found;
}
