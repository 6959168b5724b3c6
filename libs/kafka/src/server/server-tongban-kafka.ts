import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { AvroCodec, DecodedEvent } from '@tongban/avro';
import { TongbanError } from '@tongban/errors';
import { extractTraceContext, inSpan, JsonLogger, SpanKind, traceLinkOf, withLogContext } from '@tongban/observability';
import { ensureTopics, TopicSettings, whileTopicsSettle } from '../admin/topics';
import { FailurePublisher } from '../failures/dead-letter';
import { classifyTopic, failureTopics } from '../failures/failure-headers';
import { FailureRouter } from '../failures/failure-router';
import { RetryPacer } from '../failures/retry-pacer';
import { DEFAULT_RETRY_POLICY, RetryPolicy } from '../failures/retry-policy';
import { CaseHolds, NO_HOLDS } from '../ordering/case-holds';
import type { HoldAdministration } from '../ordering/hold-administration';
import { HoldSweeper } from '../ordering/hold-sweeper';
import type { Hold, HoldStore } from '../ordering/hold-store.port';
import { batchPath } from './batch-path';
import { Delivery, deliveryOf, Heartbeat } from './delivery';
import { InboxContext, InboxMessageMeta } from './inbox.context';
import { ConsumerSupervisor } from '../consumer/consumer-supervisor';
import { NoHandlerError, WorkInterruptedError } from './transport.errors';

export { NoHandlerError, WorkInterruptedError } from './transport.errors';

export type ProcessOutcome = 'applied' | 'held' | 'retry-scheduled' | 'dead-lettered';

export interface ServerTongbanKafkaOptions {
  kafka: Kafka;
  /** Replication factor and min.insync.replicas of the retry and dead-letter topics it creates. */
  topicSettings?: TopicSettings;
  groupId: string;
  /** Session timeout and heartbeat interval of its group membership (30 s / 3 s unless configured). */
  consumerGroup?: { sessionTimeoutMs: number; heartbeatIntervalMs: number };
  /** The inboxes; their retry topics are consumed too, their retry and dead-letter topics created at start. */
  topics: string[];
  codec: AvroCodec;
  logger: JsonLogger;
  /** Tries in place, then retry topics with growing delays, then the dead-letter topic (see `readRetryPolicy`). */
  retry?: Partial<RetryPolicy>;
  /** @deprecated use `retry.inPlaceAttempts` */
  maxAttempts?: number;
  /** @deprecated use `retry.inPlaceBackoffMs` */
  retryBackoffMs?: number;
  /** Keeps later messages of a case behind a failed one (order per case); without it, no holds. */
  holds?: HoldStore;
  /** How long one instance may work on a hold before another may take it over. */
  holdLeaseMs?: number;
  /** How often holds left half-way by a crash are looked for. */
  holdSweepIntervalMs?: number;
  partitionsConsumedConcurrently?: number;
  /**
   * Applies a run of inbox messages of one partition at once (one transaction), in offset order. It may refuse
   * an event as an outcome of its own; anything it throws means nothing of the run was applied, and the run goes
   * through the per-message path (tries in place, retry topics, holds, dead letters) instead. Used only for
   * inbox messages (not retry copies) of a partition batch without an open hold and without replays.
   */
  applyBatch?: (items: InboxBatchItem[]) => Promise<unknown>;
  /** At most this many messages in one call of `applyBatch` (200). */
  applyBatchMax?: number;
  /** A run went to `applyBatch`: applied, or handed to the per-message path; `seconds` the handler took (0 when not called). */
  onBatch?: (result: 'applied' | 'fell-back', size: number, seconds: number) => void;
  onProcessed?: (outcome: ProcessOutcome, meta: Partial<InboxMessageMeta>) => void;
}

/** One decoded message of a run given to `applyBatch`. */
export interface InboxBatchItem {
  value: unknown;
  meta: InboxMessageMeta;
}

/** The pattern of a handler that takes every event type without one of its own. */
const CATCH_ALL = '*';

type Processed = { meta: Partial<InboxMessageMeta> } & ({ ok: true } | { ok: false; error: unknown; tries: number });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Nest transport for tongban inboxes: Avro in the wire format, handlers picked by event type
 * (`@EventPattern('SubsidyApplicationSubmitted')`, or `'*'` for any), offsets committed only after
 * the handler's effect is stored. This class keeps the lifecycle (connect, subscribe, run, close) and
 * the dispatch; a failure is handed to the `FailureRouter` (in place, then `<topic>.retry.<n>`, then
 * `<topic>.dlq`), paced by the `RetryPacer`; with a hold store, `CaseHolds` keeps later messages of a
 * case behind its failed one and the `HoldSweeper` finishes holds a crash left half-way.
 */
export class ServerTongbanKafka extends Server implements CustomTransportStrategy {
  private consumer?: Consumer;
  private supervisor?: ConsumerSupervisor;
  private consuming = false;
  private readonly closing = new AbortController();
  private readonly publisher: FailurePublisher;
  private readonly policy: RetryPolicy;
  private readonly pacer: RetryPacer;
  private readonly router: FailureRouter;
  private readonly caseHolds?: CaseHolds;
  private readonly sweeper?: HoldSweeper;

  constructor(private readonly options: ServerTongbanKafkaOptions) {
    super();
    const { logger } = options;
    const closing = this.closing.signal;
    this.publisher = new FailurePublisher(options.kafka);
    this.policy = {
      inPlaceAttempts: options.retry?.inPlaceAttempts ?? options.maxAttempts ?? DEFAULT_RETRY_POLICY.inPlaceAttempts,
      inPlaceBackoffMs: options.retry?.inPlaceBackoffMs ?? options.retryBackoffMs ?? DEFAULT_RETRY_POLICY.inPlaceBackoffMs,
      delaysMs: options.retry?.delaysMs ?? DEFAULT_RETRY_POLICY.delaysMs,
    };
    this.pacer = new RetryPacer({ policy: this.policy, logger, closing });
    const leaseMs = options.holdLeaseMs ?? 30_000;
    if (options.holds) {
      this.caseHolds = new CaseHolds({
        store: options.holds,
        pacer: this.pacer,
        publisher: this.publisher,
        logger,
        leaseMs,
        process: (d, heartbeat) => this.processHeld(d, heartbeat),
      });
      this.sweeper = new HoldSweeper({
        store: options.holds,
        holds: this.caseHolds,
        publisher: this.publisher,
        logger,
        leaseMs,
        intervalMs: options.holdSweepIntervalMs ?? 5_000,
        closing,
      });
    }
    this.router = new FailureRouter({
      policy: this.policy,
      pacer: this.pacer,
      publisher: this.publisher,
      holds: this.caseHolds,
      groupId: options.groupId,
      logger,
      closing,
    });
  }

  /** The retry topics this transport reads besides the inboxes. */
  get retryTopics(): string[] {
    return this.options.topics.flatMap((t) => failureTopics(t, this.policy).slice(0, -1));
  }

  /** What an operator may do with this consumer's holds (the region node's internal HTTP API). */
  get holdAdministration(): HoldAdministration {
    return this.caseHolds ?? NO_HOLDS;
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.publisher.connect();
      await this.ensureFailureTopics();
      const consumer = this.options.kafka.consumer({
        groupId: this.options.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: this.options.consumerGroup?.sessionTimeoutMs ?? 30000,
        heartbeatInterval: this.options.consumerGroup?.heartbeatIntervalMs ?? 3000,
        // A resumed retry partition joins the next fetch: keep idle long-polls short so it is read on time.
        maxWaitTimeInMs: 1000,
      });
      this.consumer = consumer;
      await consumer.connect();
      // On a cluster of several nodes, the broker asked may not know the retry topics created a moment ago.
      await whileTopicsSettle(() => consumer.subscribe({ topics: [...this.options.topics, ...this.retryTopics], fromBeginning: true }));
      const run = () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
          eachBatch: (payload) => this.eachBatch(payload),
        });
      // A crash kafkajs does not restart from (after a broker restart, say) would leave the inboxes unread.
      this.supervisor = new ConsumerSupervisor(consumer, run, `consumer group ${this.options.groupId}`, this.options.logger, {
        onState: (running) => (this.consuming = running),
      });
      await run();
      this.consuming = true;
      this.sweeper?.start();
      callback();
    } catch (e) {
      callback(e);
    }
  }

  async close(): Promise<void> {
    // Stops the hold sweeps and the timers that resume retry partitions; work in flight gives up waiting.
    this.closing.abort();
    this.supervisor?.stop();
    // kafkajs finishes the batch in flight before it leaves the group.
    await this.consumer?.disconnect();
    await this.publisher.disconnect().catch(() => undefined);
  }

  on(): never {
    throw new Error('ServerTongbanKafka does not emit events');
  }

  /** Whether the consumer runs (false before it started, and while it is being started again after a crash). */
  get isConsuming(): boolean {
    return this.consuming;
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  /** Retry topics get as many partitions as their inbox (the key keeps a case on one); dead letters one. */
  private async ensureFailureTopics(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    let partitions: Map<string, number>;
    try {
      // A topic created a moment ago may not be hosted yet ("does not host this topic-partition"): ask again.
      for (let tries = 1; ; tries++) {
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: this.options.topics });
          partitions = new Map(topics.map((t) => [t.name, t.partitions.length]));
          break;
        } catch (e) {
          if (tries >= 10 || (e as { retriable?: boolean }).retriable === false) throw e;
          await sleep(500 * tries);
        }
      }
    } finally {
      await admin.disconnect();
    }
    await ensureTopics(
      this.options.kafka,
      this.options.topics.flatMap((t) =>
        failureTopics(t, this.policy).map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 1 : (partitions.get(t) ?? 6) })),
      ),
      this.options.topicSettings,
    );
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { level } = classifyTopic(batch.topic);
    const open = this.caseHolds ? await this.caseHolds.openHolds(batch.messages.map((m) => m.key?.toString() ?? '')) : new Map<string, Hold>();
    const max = Math.max(1, this.options.applyBatchMax ?? 200);
    let last: string | undefined;
    const stopped = () => !isRunning() || isStale() || this.closing.signal.aborted;
    runs: for (let i = 0; i < batch.messages.length; i += max) {
      if (stopped()) break;
      const run = batch.messages.slice(i, i + max);
      const deliveries = run.map((message) => deliveryOf(batch.topic, batch.partition, message));
      if (batchPath({ handler: Boolean(this.options.applyBatch), level, openHolds: open.size, messages: deliveries }) === 'batch') {
        if (await this.applyRun(deliveries, heartbeat)) {
          for (const message of run) resolveOffset(message.offset);
          last = run[run.length - 1].offset;
          await heartbeat();
          continue;
        }
        if (stopped()) break;
      }
      for (const message of run) {
        if (stopped()) break runs;
        if (!(await this.handleOne(batch.topic, batch.partition, level, message, open, heartbeat, pause))) break runs;
        resolveOffset(message.offset);
        last = message.offset;
        await heartbeat();
      }
    }
    if (last !== undefined) {
      await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    }
  }

  /** One message on the per-message path; false when the partition stops here (not due yet, or closing). */
  private async handleOne(
    topic: string,
    partition: number,
    level: number,
    message: KafkaMessage,
    open: Map<string, Hold>,
    heartbeat: Heartbeat,
    pause: EachBatchPayload['pause'],
  ): Promise<boolean> {
    // Not due yet: stop reading this retry partition until it is, without holding up anything else.
    if (this.pacer.deferUntilDue(topic, partition, level, message, pause)) return false;
    try {
      await this.handle(deliveryOf(topic, partition, message), open, heartbeat);
      return true;
    } catch (e) {
      // Closing while the database was down: what was done is committed, this message is done again later.
      if (e instanceof WorkInterruptedError) return false;
      throw e;
    }
  }

  /**
   * A run of inbox messages through the batch handler: true when it was applied. A message that does not decode,
   * or anything the handler throws, hands the run to the per-message path (the handler's transaction rolled
   * back, so nothing of it is half-applied).
   */
  private async applyRun(deliveries: Delivery[], heartbeat: Heartbeat): Promise<boolean> {
    const items: InboxBatchItem[] = [];
    for (const d of deliveries) {
      const decoded = await this.decode(d).catch(() => undefined);
      if (!decoded) {
        this.options.onBatch?.('fell-back', deliveries.length, 0);
        return false;
      }
      items.push({
        value: decoded.value,
        meta: {
          topic: d.origin.topic,
          partition: d.origin.partition,
          offset: d.origin.offset,
          key: d.key,
          headers: d.headers,
          schemaId: decoded.schemaId,
          eventType: decoded.eventType,
          attempt: 1,
          retryLevel: d.level,
          released: false,
          timestamp: d.timestamp,
        },
      });
    }
    await heartbeat();
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      // One span for the run (one transaction), linked to every message's trace; the handler gives each message a span
      // of its own under that message's trace (see the region node's applyBatch).
      await inSpan(
        `apply batch ${deliveries[0].origin.topic}`,
        {
          kind: SpanKind.CONSUMER,
          parent: ROOT_CONTEXT,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': deliveries[0].origin.topic,
            'messaging.destination.partition.id': String(deliveries[0].origin.partition),
            'messaging.consumer.group.name': this.options.groupId,
            'messaging.batch.message_count': deliveries.length,
          },
          links: deliveries.map((d) => traceLinkOf(d.headers)).filter((l) => l !== undefined),
        },
        () => this.options.applyBatch!(items),
      );
    } catch (error) {
      this.options.logger.event('warn', 'a batch failed; its messages are applied one at a time', {
        from: deliveries[0].from,
        size: deliveries.length,
        error: (error as Error)?.message,
      });
      this.options.onBatch?.('fell-back', deliveries.length, seconds());
      return false;
    }
    this.options.onBatch?.('applied', deliveries.length, seconds());
    for (const item of items) this.report('applied', item.meta);
    return true;
  }

  private async handle(d: Delivery, open: Map<string, Hold>, heartbeat: Heartbeat): Promise<void> {
    const holds = this.caseHolds;
    const admission = holds ? await holds.admit(open, d) : 'process';
    if (admission === 'held') {
      this.report('held', { topic: d.origin.topic, partition: d.origin.partition, offset: d.origin.offset, key: d.key });
      return;
    }
    const result = await this.process(d, heartbeat);
    if (result.ok) {
      this.report('applied', result.meta);
      if (admission === 'blocker') await holds?.blockerApplied(open, d, heartbeat);
      return;
    }
    await this.sendOn(d, result.error, result.tries, result.meta);
    await holds?.reread(open, d.key);
  }

  /** A message released from its case's hold. */
  private async processHeld(d: Delivery, heartbeat: Heartbeat): Promise<'applied' | 'sent-on'> {
    const result = await this.process(d, heartbeat);
    if (result.ok) {
      this.report('applied', result.meta);
      return 'applied';
    }
    await this.sendOn(d, result.error, result.tries, result.meta);
    return 'sent-on';
  }

  /** Decodes and dispatches a delivery, tried again in place as the failure router decides. */
  private async process(d: Delivery, heartbeat: Heartbeat): Promise<Processed> {
    const meta: Partial<InboxMessageMeta> = {
      topic: d.origin.topic,
      partition: d.origin.partition,
      offset: d.origin.offset,
      key: d.key,
      headers: d.headers,
      retryLevel: d.level,
      replayOf: d.replayOf,
      released: Boolean(d.held),
      timestamp: d.timestamp,
    };
    // The message's span, a child of the trace its headers carry (the relay's send): the handler's database work,
    // the follow-ups it publishes and its log lines belong to it. Tries in place are events of this one span.
    return inSpan(
      `apply ${d.origin.topic}`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractTraceContext(d.headers),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': d.origin.topic,
          'messaging.destination.partition.id': String(d.origin.partition),
          'messaging.kafka.offset': Number(d.origin.offset),
          'messaging.consumer.group.name': this.options.groupId,
          'tongban.retry_level': d.level,
        },
      },
      async (span) => {
        const result = await this.router.tryInPlace(
          d,
          async (attempt) => {
            meta.attempt = attempt;
            const decoded = await this.decode(d);
            Object.assign(meta, { schemaId: decoded.schemaId, eventType: decoded.eventType });
            const envelope = (decoded.value as { envelope?: { eventId?: string; correlationId?: string; caseId?: string } }).envelope ?? {};
            span.updateName(`apply ${decoded.eventType}`);
            span.setAttributes({
              'tongban.event_type': decoded.eventType,
              'tongban.event_id': envelope.eventId ?? '',
              'tongban.case_id': envelope.caseId ?? '',
              'tongban.attempt': attempt,
            });
            await withLogContext({ correlationId: envelope.correlationId, eventId: envelope.eventId, caseId: envelope.caseId }, () =>
              this.dispatch(decoded.eventType, decoded.value, new InboxContext([meta as InboxMessageMeta])),
            );
          },
          heartbeat,
        );
        if (!result.ok) span.setAttribute('tongban.outcome', 'failed');
        return { ...result, meta };
      },
    );
  }

  /** The decode step: the record's bytes to an event. A `DecodeFailure` is permanent: the record goes to the dead-letter topic. */
  private decode(d: Delivery): Promise<DecodedEvent> {
    return this.options.codec.decode(d.value, d.origin);
  }

  private async dispatch(eventType: string, value: unknown, context: InboxContext): Promise<void> {
    const handler = this.getHandlerByPattern(eventType) ?? this.getHandlerByPattern(CATCH_ALL);
    if (!handler) throw new NoHandlerError(eventType);
    const result = await handler(value, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private async sendOn(d: Delivery, error: unknown, tries: number, meta: Partial<InboxMessageMeta>): Promise<void> {
    const step = await this.router.sendOn(d, error, tries);
    // A programming error (TypeError, …) has no code of its own: it is counted as the service's internal error.
    this.report(step.kind === 'retry' ? 'retry-scheduled' : 'dead-lettered', {
      ...meta,
      errorCode: error instanceof TongbanError ? error.code : 'SERVICE.INTERNAL',
    });
  }

  private report(outcome: ProcessOutcome, meta: Partial<InboxMessageMeta>): void {
    this.options.onProcessed?.(outcome, meta);
  }
}
