import { Job, MinimalJob, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { signStandardWebhook, signWebhook, STANDARD_WEBHOOK_HEADERS, WEBHOOK_HEADERS } from '@tongban/partner-client';
import { extractTraceContext, inSpan, JsonLogger } from '@tongban/observability';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { DeliveryRow, DeliveryStore, Ready } from './delivery.store';
import { sendWebhook } from '../targets/webhook-sender';

export interface DeliveryJob {
  deliveryId: string;
  generation: number;
}

export interface DeliveryPolicy {
  retryWindowMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  /** Loopback receivers allowed (development profile only); private, link-local and metadata never. */
  allowLoopback: boolean;
}

/** Exponential backoff with full jitter on its upper half, capped, never past the end of the retry window. */
export function backoffDelay(attemptsMade: number, p: Pick<DeliveryPolicy, 'backoffInitialMs' | 'backoffMaxMs'>, msLeft: number, random = Math.random): number {
  const ceiling = Math.min(p.backoffMaxMs, p.backoffInitialMs * 2 ** Math.max(0, attemptsMade - 1));
  const delay = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(0, Math.min(delay, msLeft));
}

/**
 * The Redis prefix of the delivery queue. Jobs name rows of one database (delivery ids are its
 * AUTO_INCREMENT), so deliveries with different databases against one Redis need queues of their own:
 * a shared queue would let one take the other's jobs and look them up in the wrong database.
 */
export function deliveryQueuePrefix(keyPrefix: string, database: string): string {
  return `${keyPrefix}:delivery:${database}`;
}

/**
 * Sends deliveries: one BullMQ job per head of a case's line, retried with backoff until the retry
 * window closes, then parked. Success queues the next delivery of the same case.
 */
export class DeliveryWorker {
  readonly queue: Queue<DeliveryJob>;
  private worker?: Worker<DeliveryJob>;

  constructor(
    private readonly o: {
      /** The worker's connection: BullMQ's blocking reads wait for Redis (maxRetriesPerRequest null). */
      connection: Redis;
      /**
       * Where jobs are added: a connection without an offline queue, so that an add fails at once while
       * Redis is away (the inbox message is read again, the sweeper repairs the rest) instead of waiting
       * in memory without end. Defaults to `connection`.
       */
      queueConnection?: Redis;
      prefix: string;
      store: DeliveryStore;
      subscriptions: SubscriptionRepository;
      policy: DeliveryPolicy;
      logger: JsonLogger;
      onOutcome?: (outcome: 'delivered' | 'failed' | 'parked') => void;
      /** Whether the key that made a subscription (or a key it was rotated into) is still valid. */
      keyIsLive?: (keyId: string) => Promise<boolean>;
    },
  ) {
    this.queue = new Queue<DeliveryJob>('deliveries', { connection: o.queueConnection ?? o.connection, prefix: o.prefix });
  }

  async enqueue(ready: Ready | undefined): Promise<void> {
    if (!ready) return;
    await this.queue.add('deliver', ready, {
      jobId: `d${ready.deliveryId}g${ready.generation}`,
      attempts: 1_000_000,
      backoff: { type: 'window' },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  start(): void {
    this.worker = new Worker<DeliveryJob>('deliveries', (job) => this.process(job), {
      connection: this.o.connection,
      prefix: this.o.prefix,
      concurrency: this.o.policy.concurrency,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) => {
          const started = (job?.data as DeliveryJob & { startedAt?: number })?.startedAt ?? Date.now();
          return backoffDelay(attemptsMade, this.o.policy, started + this.o.policy.retryWindowMs - Date.now());
        },
      },
    });
    this.worker.on('error', (e) => this.o.logger.event('warn', 'delivery worker error', { error: e.message }));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private async process(job: Job<DeliveryJob>): Promise<void> {
    const { deliveryId, generation } = job.data;
    const row = await this.o.store.get(deliveryId);
    if (!row || row.state !== 'queued' || Number(row.generation) !== generation || row.body === null) return;
    // Each attempt is a span in the trace of the event the delivery was made from; the http instrumentation's POST
    // under it puts its traceparent on the webhook request, so a partner that traces joins the same trace.
    const trace = extractTraceContext({ traceparent: row.trace_parent ?? undefined, tracestate: row.trace_state ?? undefined });
    await inSpan(
      `deliver ${row.event_type}`,
      {
        parent: trace,
        attributes: {
          'tongban.delivery_id': String(deliveryId),
          'tongban.event_id': row.event_id,
          'tongban.event_type': row.event_type,
          'tongban.case_id': row.case_id,
          'tongban.attempt': job.attemptsMade + 1,
        },
      },
      () => this.attempt(job, row, row.body as string),
    );
  }

  private async attempt(job: Job<DeliveryJob>, row: DeliveryRow, body: string): Promise<void> {
    const { deliveryId, generation } = job.data;
    const startedAt = row.first_attempt_at ? new Date(row.first_attempt_at).getTime() : Date.now();
    if (!(job.data as DeliveryJob & { startedAt?: number }).startedAt) await job.updateData({ ...job.data, startedAt } as DeliveryJob);
    const subscription = await this.o.subscriptions.get(row.subscription_id);
    const secret = await this.o.subscriptions.secretOf(row.subscription_id);
    if (!subscription || !secret) {
      await this.o.store.attempted(deliveryId, null, 'subscription deleted');
      await this.o.store.park(deliveryId, generation);
      return;
    }
    // Revoking (or letting expire) the key that made a subscription stops its deliveries at once.
    if (this.o.keyIsLive && !(await this.o.keyIsLive(subscription.keyId))) {
      await this.o.store.attempted(deliveryId, null, 'refused: key revoked or expired');
      await this.o.store.park(deliveryId, generation);
      this.o.onOutcome?.('parked');
      return;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const sent = await sendWebhook(subscription.url, {
      headers: {
        'content-type': 'application/json',
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
        [WEBHOOK_HEADERS.eventId]: row.event_id,
        [STANDARD_WEBHOOK_HEADERS.id]: row.event_id,
        [STANDARD_WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [STANDARD_WEBHOOK_HEADERS.signature]: signStandardWebhook(secret, row.event_id, timestamp, body),
        'user-agent': 'tongban-delivery/1',
      },
      body: body,
      timeoutMs: this.o.policy.requestTimeoutMs,
      policy: { allowLoopback: this.o.policy.allowLoopback },
    });
    const status = sent.status || null;
    const error = sent.error;
    if (error === null) {
      await this.o.store.attempted(deliveryId, status, null);
      if (await this.o.store.delivered(deliveryId, generation)) {
        this.o.onOutcome?.('delivered');
        await this.advanceAfter(row.subscription_id, row.case_id);
      }
      return;
    }
    await this.o.store.attempted(deliveryId, status, error);
    if (Date.now() - startedAt >= this.o.policy.retryWindowMs) {
      await this.o.store.park(deliveryId, generation);
      this.o.onOutcome?.('parked');
      this.o.logger.event('warn', 'delivery parked after its retry window', { deliveryId, eventId: row.event_id, subscriptionId: row.subscription_id, error });
      throw new UnrecoverableError(`parked: ${error}`);
    }
    this.o.onOutcome?.('failed');
    throw new Error(error ?? 'delivery failed');
  }

  private async advanceAfter(subscriptionId: string, caseId: string): Promise<void> {
    await this.enqueue(await this.o.store.advance(subscriptionId, caseId));
  }
}
