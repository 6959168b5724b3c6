import { DataSource } from 'typeorm';
import type { EnvReader } from '@tongban/config';

/** How long one kind of row is kept, and how to purge what is older. */
export interface PurgeRule {
  /** The kind, as named in `TONGBAN_RETENTION` and in the metrics: `casePayloads`, `outbox`, … */
  kind: string;
  keepMs: number;
  /** Purges (deletes, or nulls the payload columns of) at most `batch` rows older than `cutoff`; returns how many. */
  purge(dataSource: DataSource, cutoff: Date, batch: number): Promise<number>;
}

export interface RetentionJobOptions {
  dataSource: DataSource;
  rules: PurgeRule[];
  /** How often the job runs; 0 turns the timer off (runOnce still works). */
  intervalMs: number;
  batchSize?: number;
  /** Called per kind after a run that purged rows, and once per run (the metrics). */
  onPurged?: (kind: string, rows: number) => void;
  onRun?: (at: Date) => void;
  onError?: (error: unknown) => void;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `180d`, `12h`, `30m`, `45s` → milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

/**
 * Reads `kind=duration` pairs over defaults: `casePayloads=180d,outbox=7d`. Unknown kinds and bad
 * durations are problems, so a typo never silently keeps data for ever.
 */
export function parseRetention(spec: string, defaults: Record<string, string>): { keepMs: Record<string, number>; problems: string[] } {
  const keepMs: Record<string, number> = {};
  const problems: string[] = [];
  for (const [kind, text] of Object.entries(defaults)) keepMs[kind] = parseDuration(text)!;
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [kind, text, ...rest] = item.split('=');
    if (!(kind in defaults)) problems.push(`"${kind}" is not a kind kept here (${Object.keys(defaults).join(', ')})`);
    else if (rest.length || text === undefined || parseDuration(text) === undefined) problems.push(`"${item}" must be ${kind}=<number><s|m|h|d>`);
    else keepMs[kind] = parseDuration(text)!;
  }
  return { keepMs, problems };
}

/**
 * How long each kind of row is kept unless `TONGBAN_RETENTION` says otherwise. The brief keeps case
 * payloads 180 days; copies made only to carry a message (outbox, held messages, delivery bodies) go
 * sooner, and idempotency records once no client could still retry.
 */
export const RETENTION_DEFAULTS: Readonly<Record<string, string>> = {
  casePayloads: '180d',
  deadLetters: '180d',
  heldMessages: '30d',
  deliveryBodies: '30d',
  idempotency: '30d',
  outbox: '7d',
};

export interface RetentionConfig {
  keepMs: Record<string, number>;
  /** 0: no timer. */
  intervalMs: number;
}

/**
 * `TONGBAN_RETENTION` (`kind=duration` pairs over RETENTION_DEFAULTS; one variable for every service,
 * each purges its own kinds) and `TONGBAN_RETENTION_INTERVAL` (`1h`; `off` stops the timer).
 */
export function readRetentionConfig(r: EnvReader): RetentionConfig {
  const { keepMs, problems } = parseRetention(r.str('TONGBAN_RETENTION', ''), RETENTION_DEFAULTS);
  for (const p of problems) r.fail(`TONGBAN_RETENTION: ${p}`);
  const interval = r.str('TONGBAN_RETENTION_INTERVAL', '1h');
  const intervalMs = interval === 'off' ? 0 : parseDuration(interval);
  if (intervalMs === undefined) r.fail(`TONGBAN_RETENTION_INTERVAL must be <number><s|m|h|d> or off, got "${interval}"`);
  return { keepMs, intervalMs: intervalMs ?? 0 };
}

/**
 * Purges rows past their retention, on a timer. Replicas of a service share its database: a run takes
 * a MySQL named lock on its own connection, so only one replica purges at a time and the others skip.
 */
export class RetentionJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly options: RetentionJobOptions) {}

  get rules(): readonly PurgeRule[] {
    return this.options.rules;
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((e) => this.options.onError?.(e))
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run over every rule; resolves to the rows purged per kind, or null when another replica holds the lock. */
  async runOnce(now = new Date()): Promise<Record<string, number> | null> {
    const { dataSource, rules } = this.options;
    const batch = this.options.batchSize ?? 500;
    const runner = dataSource.createQueryRunner();
    const lock = `tongban-retention:${dataSource.options.database as string}`.slice(0, 64);
    try {
      await runner.connect();
      const [got] = await runner.query('SELECT GET_LOCK(?, 0) AS got', [lock]);
      if (Number(got?.got) !== 1) return null;
      try {
        const purged: Record<string, number> = {};
        for (const rule of rules) {
          const cutoff = new Date(now.getTime() - rule.keepMs);
          let total = 0;
          for (;;) {
            const n = await rule.purge(dataSource, cutoff, batch);
            total += n;
            if (n < batch) break;
          }
          purged[rule.kind] = total;
          this.options.onPurged?.(rule.kind, total);
        }
        this.options.onRun?.(now);
        return purged;
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
      }
    } finally {
      await runner.release();
    }
  }
}

/** Deletes rows of `table` matching `where` (with `?` for the cutoff), a batch at a time. */
export function deleteOlder(kind: string, keepMs: number, table: string, where: string): PurgeRule {
  return {
    kind,
    keepMs,
    async purge(ds, cutoff, batch) {
      const result = await ds.query(`DELETE FROM ${table} WHERE ${where} LIMIT ${batch}`, [cutoff]);
      return Number((result as { affectedRows?: number }).affectedRows ?? 0);
    },
  };
}
