import { DataSource } from 'typeorm';
import type { JsonLogger } from '@tongban/observability';
import { covers } from '@tongban/regions';
import { TimerScheduler } from './timer.scheduler';

/**
 * MySQL is the record of open deadlines; BullMQ only wakes the node up. At start and then periodically,
 * every open deadline this node owns is (re)scheduled — idempotent by job id — so deadlines survive a
 * restart of the node or of Redis, and a crash between a commit and its scheduling.
 */
export class TimerReconciler {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scheduler: TimerScheduler,
    private readonly node: string,
    private readonly intervalMs: number,
    private readonly logger: JsonLogger,
  ) {}

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reconcile(): Promise<number> {
    try {
      const rows: Array<{ case_id: string; name: string; due_at: Date; owner_division: string }> = await this.dataSource.query(
        'SELECT case_id, name, due_at, owner_division FROM case_timers',
      );
      let n = 0;
      for (const r of rows) {
        if (!covers(this.node, r.owner_division)) continue;
        await this.scheduler.schedule({ caseId: r.case_id, name: r.name, dueAt: new Date(r.due_at).toISOString() });
        n++;
      }
      return n;
    } catch (e) {
      this.logger.event('warn', 'deadline reconciliation failed; will try again', { error: (e as Error).message });
      return 0;
    }
  }
}
