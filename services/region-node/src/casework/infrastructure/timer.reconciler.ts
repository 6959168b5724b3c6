import type { JsonLogger } from '@tongban/observability';
import { covers } from '@tongban/regions';
import type { OpenDeadline } from './case-query.repository';
import type { TimerScheduler } from './timer.scheduler';

/** Where the open deadlines are read from, a page at a time in key order. */
export interface OpenDeadlines {
  openDeadlines(after: { caseId: string; name: string } | undefined, limit: number): Promise<OpenDeadline[]>;
}

/**
 * MySQL is the record of open deadlines; BullMQ only wakes the node up. At start and then periodically,
 * every open deadline this node owns is (re)scheduled — idempotent by job id — so deadlines survive a
 * restart of the node or of Redis, and a crash between a commit and its scheduling. The deadlines are read a page
 * at a time, so a node with many open cases does not hold them all in memory at once.
 */
export class TimerReconciler {
  private timer?: NodeJS.Timeout;
  private passing = false;

  constructor(
    private readonly deadlines: OpenDeadlines,
    private readonly scheduler: Pick<TimerScheduler, 'schedule'>,
    private readonly node: string,
    private readonly intervalMs: number,
    private readonly logger: Pick<JsonLogger, 'event'>,
    private readonly pageSize = 1000,
  ) {}

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; a pass still running (a slow database or Redis) is not doubled by the next tick. */
  async reconcile(): Promise<number> {
    if (this.passing) return 0;
    this.passing = true;
    let n = 0;
    try {
      let after: { caseId: string; name: string } | undefined;
      for (;;) {
        const page = await this.deadlines.openDeadlines(after, this.pageSize);
        for (const d of page) {
          if (!covers(this.node, d.ownerDivision)) continue;
          await this.scheduler.schedule({ caseId: d.caseId, name: d.name, dueAt: new Date(d.dueAt).toISOString() });
          n++;
        }
        if (page.length < this.pageSize) return n;
        after = { caseId: page[page.length - 1].caseId, name: page[page.length - 1].name };
      }
    } catch (e) {
      this.logger.event('warn', 'deadline reconciliation failed; will try again', { error: (e as Error).message, scheduledBeforeFailure: n });
      return n;
    } finally {
      this.passing = false;
    }
  }
}
