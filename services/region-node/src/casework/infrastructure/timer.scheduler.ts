import { createHash } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import type { JsonLogger } from '@tongban/observability';

export interface TimerJob {
  caseId: string;
  name: string;
  dueAt: string;
}

/**
 * SLA timers as BullMQ delayed jobs. The job id is derived from case, timer and due time, so
 * scheduling the same deadline twice (a reconciliation, a redelivered event, several replicas) keeps
 * one job, and one replica's worker fires it. A timer whose case moved on is answered by the engine
 * with TIMER_NOT_OPEN, so a late or stale job does nothing.
 */
export class TimerScheduler {
  private readonly queue: Queue<TimerJob>;
  private worker?: Worker<TimerJob>;

  constructor(
    private readonly queueName: string,
    private readonly connection: { host: string; port: number },
    private readonly prefix: string,
    private readonly logger: JsonLogger,
  ) {
    this.queue = new Queue<TimerJob>(queueName, { connection, prefix });
  }

  static jobId(t: TimerJob): string {
    return createHash('sha1').update(`${t.caseId}\u0000${t.name}\u0000${t.dueAt}`).digest('hex');
  }

  async schedule(t: TimerJob): Promise<void> {
    const delay = Math.max(0, Date.parse(t.dueAt) - Date.now());
    await this.queue.add('deadline', t, {
      jobId: TimerScheduler.jobId(t),
      delay,
      attempts: 10,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }

  async cancel(t: TimerJob): Promise<void> {
    const job = await this.queue.getJob(TimerScheduler.jobId(t));
    // A job that is running now finishes; the engine refuses it if the timer is no longer open.
    await job?.remove().catch(() => undefined);
  }

  start(fire: (t: TimerJob) => Promise<void>): void {
    this.worker = new Worker<TimerJob>(
      this.queueName,
      async (job: Job<TimerJob>) => {
        await fire(job.data);
      },
      { connection: this.connection, prefix: this.prefix, concurrency: 4 },
    );
    this.worker.on('failed', (job, err) =>
      this.logger.event('error', 'deadline timer failed', { caseId: job?.data.caseId, timer: job?.data.name, error: err.message }),
    );
  }

  async ping(): Promise<unknown> {
    return (await this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed')) as unknown;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
