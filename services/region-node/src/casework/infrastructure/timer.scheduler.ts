import { createHash } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import type { JsonLogger } from '@tongban/observability';

/** Redis is tried again within 2 s of its return (BullMQ's own default waits up to 20 s after a long outage). */
const reconnectDelay = (times: number) => Math.min(200 * times, 2000);

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
    private readonly connection: { host: string; port: number; username?: string; password?: string },
    private readonly prefix: string,
    private readonly logger: JsonLogger,
  ) {
    // Without the offline queue a call fails at once while Redis is down instead of waiting for it:
    // the event is applied regardless, and the reconciliation schedules its deadline from MySQL later.
    this.queue = new Queue<TimerJob>(queueName, { connection: { ...connection, enableOfflineQueue: false, retryStrategy: reconnectDelay }, prefix });
    this.queue.on('error', () => undefined);
  }

  /** How long one call to Redis may take before the caller goes on without it. */
  static readonly CALL_TIMEOUT_MS = 2000;

  private bounded<T>(what: string, call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer within ${TimerScheduler.CALL_TIMEOUT_MS} ms`)), TimerScheduler.CALL_TIMEOUT_MS);
    });
    call.catch(() => undefined);
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  static jobId(t: TimerJob): string {
    return createHash('sha1').update(`${t.caseId}\u0000${t.name}\u0000${t.dueAt}`).digest('hex');
  }

  private static options(t: TimerJob) {
    return {
      jobId: TimerScheduler.jobId(t),
      delay: Math.max(0, Date.parse(t.dueAt) - Date.now()),
      attempts: 10,
      backoff: { type: 'exponential' as const, delay: 1000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    };
  }

  async schedule(t: TimerJob): Promise<void> {
    await this.bounded('schedule a deadline', this.queue.add('deadline', t, TimerScheduler.options(t)));
  }

  /** Several deadlines in one call to Redis (a batch's): the same jobs as `schedule` adds one by one. */
  async scheduleMany(ts: TimerJob[]): Promise<void> {
    if (ts.length === 0) return;
    await this.bounded('schedule deadlines', this.queue.addBulk(ts.map((t) => ({ name: 'deadline', data: t, opts: TimerScheduler.options(t) }))));
  }

  async cancel(t: TimerJob): Promise<void> {
    const job = await this.bounded('find a deadline', this.queue.getJob(TimerScheduler.jobId(t)));
    // A job that is running now finishes; the engine refuses it if the timer is no longer open.
    await (job ? this.bounded('remove a deadline', job.remove()) : undefined)?.catch(() => undefined);
  }

  start(fire: (t: TimerJob) => Promise<void>): void {
    this.worker = new Worker<TimerJob>(
      this.queueName,
      async (job: Job<TimerJob>) => {
        await fire(job.data);
      },
      { connection: { ...this.connection, retryStrategy: reconnectDelay }, prefix: this.prefix, concurrency: 4 },
    );
    this.worker.on('failed', (job, err) =>
      this.logger.event('error', 'deadline timer failed', { caseId: job?.data.caseId, timer: job?.data.name, error: err.message }),
    );
  }

  async ping(): Promise<unknown> {
    return (await this.bounded('count deadlines', this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed'))) as unknown;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
