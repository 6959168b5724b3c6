import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { AvroCodec } from '@tongban/avro';
import { isDependencyFailure, TongbanError } from '@tongban/errors';
import { JsonLogger, withLogContext } from '@tongban/observability';
import { ensureTopics, TopicSettings } from '../admin/topics';
import { FailurePublisher } from '../failures/dead-letter';
import { errorKindOf, isWorthRetrying } from '../failures/error-kind';
import {
  classifyTopic, errorCodeOf, failureHeaders, failureTopics, MessageOrigin, nextStep, originRef, parseOriginRef, PriorFailure,
  readPriorFailure, REPLAY_OF_HEADER, withoutFailureHeaders,
} from '../failures/failure-headers';
import { DEFAULT_RETRY_POLICY, RetryPolicy } from '../failures/retry-policy';
import { HEADERS, headerText } from '../kafka-client';
import { admit, checkReleasable, HoldNotReleasableError } from '../ordering/hold-state';
import type { HeldMessage, Hold, HoldResolution, HoldStatus, HoldStore } from '../ordering/hold-store.port';
import type { HoldAdministration, HoldDescription, ReleaseResult } from '../ordering/holds.controller';
import { InboxContext, InboxMessageMeta } from './inbox.context';

export type ProcessOutcome = 'applied' | 'held' | 'retry-scheduled' | 'dead-lettered';

export interface ServerTongbanKafkaOptions {
  kafka: Kafka;
  /** Replication factor and min.insync.replicas of the retry and dead-letter topics it creates. */
  topicSettings?: TopicSettings;
  groupId: string;
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
  onProcessed?: (outcome: ProcessOutcome, meta: Partial<InboxMessageMeta>) => void;
}

export class NoHandlerError extends TongbanError {
  constructor(eventType: string) {
    super('NO_HANDLER', `this node has no handler for ${eventType}`);
  }
}

/**
 * A message whose work waited for an unreachable dependency when the transport closed: its offset is
 * not committed, so the next owner of the partition does it again.
 */
export class WorkInterruptedError extends TongbanError {
  constructor() {
    super('KAFKA.WORK_INTERRUPTED', 'the transport closed while a dependency was unavailable', true);
  }
}

/** The pattern of a handler that takes every event type without one of its own. */
const CATCH_ALL = '*';

/** One delivery of a message to a handler: from an inbox, a retry topic, or a hold. */
interface Delivery {
  /** Where this copy was read (for logs), and its topic (`hold` for a held message). */
  from: string;
  fromTopic: string;
  mainTopic: string;
  level: number;
  origin: MessageOrigin;
  ref: string;
  key: string;
  rawKey: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  eventId: string | null;
  prior?: PriorFailure;
  replayOf?: string;
  held?: HeldMessage;
}

type Attempt = { ok: true; meta: Partial<InboxMessageMeta> } | { ok: false; error: unknown; tries: number; meta: Partial<InboxMessageMeta> };

function textHeaders(headers: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) out[name] = headerText(headers, name) ?? '';
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Nest transport for tongban inboxes: Avro in the wire format, handlers picked by event type
 * (`@EventPattern('SubsidyApplicationSubmitted')`, or `'*'` for any), offsets committed only after
 * the handler's effect is stored. A retriable failure is tried again in place, then through
 * `<topic>.retry.<n>` with growing delays, then parked on `<topic>.dlq`; a permanent one (a programming
 * error among them) goes to the dead-letter topic at once, so the partition moves on. With a hold store, later messages of a case
 * wait behind its failed message until it succeeds, is replayed or is discarded.
 */
export class ServerTongbanKafka extends Server implements CustomTransportStrategy, HoldAdministration {
  private consumer?: Consumer;
  private readonly failures: FailurePublisher;
  private readonly policy: RetryPolicy;
  private readonly resumeTimers = new Map<string, NodeJS.Timeout>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;
  private closing = false;

  constructor(private readonly options: ServerTongbanKafkaOptions) {
    super();
    this.failures = new FailurePublisher(options.kafka);
    this.policy = {
      inPlaceAttempts: options.retry?.inPlaceAttempts ?? options.maxAttempts ?? DEFAULT_RETRY_POLICY.inPlaceAttempts,
      inPlaceBackoffMs: options.retry?.inPlaceBackoffMs ?? options.retryBackoffMs ?? DEFAULT_RETRY_POLICY.inPlaceBackoffMs,
      delaysMs: options.retry?.delaysMs ?? DEFAULT_RETRY_POLICY.delaysMs,
    };
  }

  /** The retry topics this transport reads besides the inboxes. */
  get retryTopics(): string[] {
    return this.options.topics.flatMap((t) => failureTopics(t, this.policy).slice(0, -1));
  }

  private get leaseMs(): number {
    return this.options.holdLeaseMs ?? 30_000;
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.failures.connect();
      await this.ensureFailureTopics();
      this.consumer = this.options.kafka.consumer({
        groupId: this.options.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 30000,
        heartbeatInterval: 3000,
        // A resumed retry partition joins the next fetch: keep idle long-polls short so it is read on time.
        maxWaitTimeInMs: 1000,
      });
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [...this.options.topics, ...this.retryTopics], fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      if (this.options.holds) {
        this.sweepTimer = setInterval(() => void this.sweep(), this.options.holdSweepIntervalMs ?? 5_000);
        this.sweepTimer.unref();
      }
      callback();
    } catch (e) {
      callback(e);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const t of this.resumeTimers.values()) clearTimeout(t);
    this.resumeTimers.clear();
    // kafkajs finishes the batch in flight before it leaves the group.
    await this.consumer?.disconnect();
    await this.failures.disconnect().catch(() => undefined);
  }

  on(): never {
    throw new Error('ServerTongbanKafka does not emit events');
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
        failureTopics(t, this.policy).map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 1 : partitions.get(t) ?? 6 })),
      ),
      this.options.topicSettings,
    );
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const stage = classifyTopic(batch.topic);
    const store = this.options.holds;
    const holds = store
      ? await this.untilDone('read the holds of a batch', () => store.openHolds(batch.messages.map((m) => m.key?.toString() ?? '')))
      : new Map<string, Hold>();
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.closing) break;
      if (stage.level > 0) {
        const due = this.dueAt(stage.level, message);
        if (due > Date.now()) {
          // Not due yet: stop reading this retry partition until it is, without holding up anything else.
          this.pauseUntil(batch.topic, batch.partition, due, pause);
          break;
        }
      }
      const delivery = this.deliveryOf(batch.topic, batch.partition, message);
      try {
        await this.handle(delivery, holds, heartbeat);
      } catch (e) {
        // Closing while the database was down: what was done is committed, this message is done again later.
        if (e instanceof WorkInterruptedError) break;
        throw e;
      }
      resolveOffset(message.offset);
      last = message.offset;
      await heartbeat();
    }
    if (last !== undefined) {
      await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    }
  }

  private dueAt(level: number, message: KafkaMessage): number {
    const due = Date.parse(headerText(message.headers, 'tongban-retry-due-at') ?? '');
    if (!Number.isNaN(due)) return due;
    return Number(message.timestamp) + (this.policy.delaysMs[level - 1] ?? 0);
  }

  private pauseUntil(topic: string, partition: number, due: number, pause: () => () => void): void {
    const resume = pause();
    const id = `${topic}:${partition}`;
    clearTimeout(this.resumeTimers.get(id));
    const timer = setTimeout(() => {
      this.resumeTimers.delete(id);
      if (!this.closing) resume();
    }, Math.max(0, due - Date.now()));
    timer.unref();
    this.resumeTimers.set(id, timer);
  }

  private deliveryOf(topic: string, partition: number, message: KafkaMessage): Delivery {
    const stage = classifyTopic(topic);
    const headers = textHeaders(message.headers);
    const prior = stage.level > 0 ? readPriorFailure(headers) : undefined;
    const replayOf = headers[REPLAY_OF_HEADER] || undefined;
    const here = { topic, partition, offset: message.offset };
    // A retry copy and a replay answer for the message first written: holds and history know it by that place.
    const origin = prior?.origin ?? (replayOf ? parseOriginRef(replayOf) : undefined) ?? here;
    return {
      from: originRef(here),
      fromTopic: topic,
      mainTopic: stage.mainTopic,
      level: stage.level,
      origin,
      ref: originRef(origin),
      key: message.key?.toString('utf8') ?? '',
      rawKey: message.key,
      value: message.value,
      headers,
      eventId: headers[HEADERS.eventId] || null,
      prior,
      replayOf,
    };
  }

  private async handle(d: Delivery, holds: Map<string, Hold>, heartbeat: () => Promise<void>): Promise<void> {
    const store = this.options.holds;
    let blocker = false;
    if (store && d.key) {
      const admission = admit(holds.get(d.key), { ref: d.ref, replayOf: d.replayOf });
      if (admission === 'hold') {
        if (await this.appendToHold(d)) return;
        holds.delete(d.key);
      }
      blocker = admission === 'blocker';
    }
    const result = await this.attempt(d, heartbeat);
    if (result.ok) {
      this.options.onProcessed?.('applied', result.meta);
      if (blocker && store) {
        await this.release(d.key, { from: ['forwarding', 'retrying', 'parked'], blockerRef: d.ref, resolution: d.replayOf ? 'replayed' : 'applied' }, heartbeat);
        holds.delete(d.key);
      }
      return;
    }
    await this.forward(d, result.error, result.tries, result.meta);
    if (store && d.key) {
      const hold = await store.get(d.key);
      if (hold) holds.set(d.key, hold);
    }
  }

  private async appendToHold(d: Delivery): Promise<boolean> {
    const held = await this.untilDone('hold a message', () =>
      this.options.holds!.append(d.key, {
        ref: d.ref,
        eventId: d.eventId,
        topic: d.origin.topic,
        partition: d.origin.partition,
        offset: d.origin.offset,
        value: d.value,
        headers: withoutFailureHeaders(d.headers),
        waitsForRef: '',
        waitsForEventId: null,
      }),
    );
    if (held) {
      this.options.logger.event('info', 'event held behind an earlier event of its case', {
        caseKey: d.key, eventId: d.eventId, topic: d.origin.topic, partition: d.origin.partition, offset: d.origin.offset,
      });
      this.options.onProcessed?.('held', { topic: d.origin.topic, partition: d.origin.partition, offset: d.origin.offset, key: d.key });
    }
    return held;
  }

  /**
   * Decodes and dispatches, trying again in place after a retriable failure. A dependency that cannot be
   * reached (the database, the registry) is not the message's fault: the work waits for it, heartbeating,
   * without spending the message's retries, so an outage of any length sends nothing to the retry or
   * dead-letter topics and the partition resumes by itself when the dependency is back.
   */
  private async attempt(d: Delivery, heartbeat: () => Promise<void> = async () => undefined): Promise<Attempt> {
    const meta: Partial<InboxMessageMeta> = {
      topic: d.origin.topic,
      partition: d.origin.partition,
      offset: d.origin.offset,
      key: d.key,
      headers: d.headers,
      retryLevel: d.level,
      replayOf: d.replayOf,
      released: Boolean(d.held),
    };
    const tries = Math.max(1, this.policy.inPlaceAttempts);
    let waits = 0;
    for (let attempt = 1; ; attempt++) {
      meta.attempt = (d.prior?.attempts ?? 0) + attempt;
      try {
        const decoded = await this.options.codec.decode(d.value, d.origin);
        const envelope = (decoded.value as { envelope?: { eventId?: string; correlationId?: string; caseId?: string } }).envelope ?? {};
        Object.assign(meta, { schemaId: decoded.schemaId, eventType: decoded.eventType });
        await withLogContext({ correlationId: envelope.correlationId, eventId: envelope.eventId, caseId: envelope.caseId }, () =>
          this.dispatch(decoded.eventType, decoded.value, new InboxContext([meta as InboxMessageMeta])),
        );
        return { ok: true, meta };
      } catch (error) {
        if (isDependencyFailure(error)) {
          if (this.closing) throw new WorkInterruptedError();
          waits++;
          if (waits === 1 || waits % 20 === 0) {
            this.options.logger.event('warn', 'a dependency is unavailable; the event waits for it', {
              from: d.from, waits, errorCode: errorCodeOf(error), error: (error as Error)?.message,
            });
          }
          await sleep(Math.min(5000, 100 * 2 ** Math.min(waits, 6)));
          await heartbeat().catch(() => undefined);
          attempt--;
          continue;
        }
        if (this.retriable(error) && attempt < tries && !this.closing) {
          this.options.logger.event('warn', 'event failed, retrying in place', {
            from: d.from, attempt: meta.attempt, errorCode: errorCodeOf(error), error: (error as Error)?.message,
          });
          await sleep(this.policy.inPlaceBackoffMs * 2 ** (attempt - 1));
          continue;
        }
        return { ok: false, error, tries: attempt, meta };
      }
    }
  }

  /** Programming errors, decode failures and refusals are permanent: straight to the dead-letter topic. */
  private retriable(error: unknown): boolean {
    return isWorthRetrying(errorKindOf(error));
  }

  private async dispatch(eventType: string, value: unknown, context: InboxContext): Promise<void> {
    const handler = this.getHandlerByPattern(eventType) ?? this.getHandlerByPattern(CATCH_ALL);
    if (!handler) throw new NoHandlerError(eventType);
    const result = await handler(value, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  /**
   * Sends a failed message on: to the next retry topic, or to the dead-letter topic. With holds, the
   * case is blocked first (so nothing of it overtakes), then the copy is written, then the offset moves.
   */
  private async forward(d: Delivery, error: unknown, tries: number, meta: Partial<InboxMessageMeta>): Promise<void> {
    const now = new Date();
    const retriable = this.retriable(error);
    // A replay arrives on the inbox (level 0), so it starts the failure path again from the first retry topic.
    const step = nextStep(this.policy, d.mainTopic, d.level, retriable, now);
    const attempts = (d.prior?.attempts ?? 0) + tries;
    const headers = failureHeaders(d.headers, {
      origin: d.origin,
      key: d.key,
      error,
      retriable,
      attempts,
      firstFailureAt: d.prior?.firstFailureAt ?? now,
      lastFailureAt: now,
      consumerGroup: this.options.groupId,
      failedTopic: d.fromTopic,
      step,
    });
    const store = this.options.holds;
    if (store && d.key) {
      await this.untilDone('block the case', () =>
        store.block(
          d.key,
          {
            ref: d.ref,
            eventId: d.eventId,
            topic: d.origin.topic,
            partition: d.origin.partition,
            offset: d.origin.offset,
            key: d.key,
            value: d.value,
            headers: withoutFailureHeaders(d.headers),
            forwardTopic: step.topic,
            forwardHeaders: headers,
            errorCode: errorCodeOf(error),
            errorMessage: (error as Error)?.message ?? String(error),
          },
          d.held?.id,
        ),
      );
    }
    await this.untilDone(`write to ${step.topic}`, () => this.failures.send(step.topic, d.rawKey, d.value, headers));
    if (store && d.key) await this.untilDone('mark the case blocked', () => store.forwarded(d.key, d.ref, step.kind === 'retry' ? 'retrying' : 'parked'));
    const fields = {
      from: d.from, to: step.topic, caseKey: d.key, eventId: d.eventId, attempts,
      errorCode: errorCodeOf(error), error: (error as Error)?.message,
    };
    if (step.kind === 'retry') {
      this.options.logger.event('warn', 'event failed, sent to a retry topic', { ...fields, dueAt: step.dueAt.toISOString() });
      this.options.onProcessed?.('retry-scheduled', meta);
    } else {
      this.options.logger.event('error', 'event dead-lettered', fields);
      this.options.onProcessed?.('dead-lettered', meta);
    }
  }

  /**
   * Processes the messages held behind a settled blocker, in order, then closes the hold. A held message
   * that fails becomes the new blocker and the rest keep waiting behind it.
   */
  private async release(
    caseKey: string,
    o: { from: HoldStatus[]; blockerRef?: string; resolution: HoldResolution },
    // Inside a batch the group must keep hearing from this member while a long hold drains.
    heartbeat: () => Promise<void> = async () => undefined,
  ): Promise<ReleaseResult> {
    const store = this.options.holds!;
    const claimed = await this.untilDone('claim a hold', () =>
      store.claimRelease(caseKey, { from: o.from, blockerRef: o.blockerRef, resolution: o.resolution, leaseMs: this.leaseMs }),
    );
    if (!claimed) return { caseKey, resolution: o.resolution, outcome: 'busy', applied: 0 };
    let applied = 0;
    for (;;) {
      await this.untilDone('renew a hold lease', () => store.renewLease(caseKey, this.leaseMs));
      await heartbeat().catch(() => undefined);
      const next = await this.untilDone('read a held message', () => store.nextHeld(caseKey));
      if (!next) {
        if (await this.untilDone('close a hold', () => store.closeIfEmpty(caseKey))) {
          this.options.logger.event('info', 'hold released', { caseKey, resolution: o.resolution, applied });
          return { caseKey, resolution: o.resolution, outcome: 'released', applied };
        }
        continue;
      }
      const d: Delivery = {
        from: `hold:${caseKey}`,
        fromTopic: next.topic,
        mainTopic: classifyTopic(next.topic).mainTopic,
        level: 0,
        origin: { topic: next.topic, partition: next.partition, offset: next.offset },
        ref: next.ref,
        key: caseKey,
        rawKey: caseKey,
        value: next.value,
        headers: next.headers,
        eventId: next.eventId,
        held: next,
      };
      const result = await this.attempt(d, heartbeat);
      if (result.ok) {
        await this.untilDone('mark a held message applied', () => store.markHeld(next.id, 'applied'));
        this.options.onProcessed?.('applied', result.meta);
        applied++;
        continue;
      }
      await this.forward(d, result.error, result.tries, result.meta);
      return { caseKey, resolution: o.resolution, outcome: 'reblocked', applied, blockerRef: next.ref };
    }
  }

  /** Finishes holds that a crashed instance left half-way. */
  private async sweep(): Promise<void> {
    const store = this.options.holds;
    if (!store || this.sweeping || this.closing) return;
    this.sweeping = true;
    try {
      for (const hold of await store.stalled(this.leaseMs)) {
        if (this.closing) break;
        if (hold.status === 'forwarding') {
          if (!(await store.claimStalledForward(hold.caseKey, this.leaseMs))) continue;
          const b = await store.blocker(hold.caseKey);
          if (!b) continue;
          await this.failures.send(b.forwardTopic, b.key, b.value, b.forwardHeaders);
          await store.forwarded(hold.caseKey, b.ref, b.forwardTopic.endsWith('.dlq') ? 'parked' : 'retrying');
          this.options.logger.event('warn', 'blocked event sent on after a crash', { caseKey: hold.caseKey, to: b.forwardTopic });
        } else if (hold.status === 'releasing') {
          await this.release(hold.caseKey, { from: [], resolution: hold.resolution ?? 'applied' });
        }
      }
    } catch (e) {
      this.options.logger.event('warn', 'hold sweep failed', { error: (e as Error).message });
    } finally {
      this.sweeping = false;
    }
  }

  /** Storage and broker hiccups must not skip a message: keep trying until it works or the transport closes. */
  private async untilDone<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await fn();
      } catch (e) {
        if (this.closing && tries > 3) throw isDependencyFailure(e) ? new WorkInterruptedError() : e;
        this.options.logger.event('error', `could not ${what}, trying again`, { error: (e as Error).message, tries });
        await sleep(Math.min(5000, 200 * tries));
      }
    }
  }

  // ---- hold administration, for the internal HTTP API (holds.controller.ts)

  async listHolds(o: { includeClosed?: boolean; limit?: number } = {}): Promise<Hold[]> {
    return this.requireHolds().list(o);
  }

  async describeHold(caseKey: string): Promise<HoldDescription | undefined> {
    const store = this.requireHolds();
    const hold = await store.get(caseKey);
    if (!hold) return undefined;
    const messages = await store.messages(caseKey);
    return {
      hold,
      messages: messages.map((m) => ({
        id: m.id, ref: m.ref, eventId: m.eventId, eventType: m.headers[HEADERS.eventType] ?? null,
        status: m.status, waitsForRef: m.waitsForRef, waitsForEventId: m.waitsForEventId, heldAt: m.heldAt,
      })),
    };
  }

  /**
   * An operator settles a dead-lettered blocker. `discarded`: the held messages are processed now, in
   * order. `replayed`: the blocker's original bytes go back to its topic with `tongban-replay-of`
   * (unless the caller published the replay itself, `republish: false`); the transport lets the
   * replay through the hold and releases the rest once it is applied.
   */
  async releaseHold(caseKey: string, resolution: 'replayed' | 'discarded', o: { republish?: boolean } = {}): Promise<ReleaseResult> {
    const store = this.requireHolds();
    const hold = await store.get(caseKey);
    checkReleasable(caseKey, hold);
    if (resolution === 'discarded') {
      const result = await this.release(caseKey, { from: ['parked'], blockerRef: hold!.blockerRef, resolution: 'discarded' });
      if (result.outcome === 'busy') throw new HoldNotReleasableError(`the hold of ${caseKey} is being released already`);
      return result;
    }
    if (o.republish !== false) {
      const b = await store.blocker(caseKey);
      if (!b) throw new HoldNotReleasableError(`the hold of ${caseKey} has no stored blocker to replay`);
      await this.failures.send(b.topic, b.key, b.value, { ...withoutFailureHeaders(b.headers), [REPLAY_OF_HEADER]: b.ref });
      this.options.logger.event('info', 'dead-lettered event replayed', { caseKey, ref: b.ref, eventId: b.eventId });
    }
    return { caseKey, resolution, outcome: 'replay-published', applied: 0, blockerRef: hold!.blockerRef };
  }

  private requireHolds(): HoldStore {
    if (!this.options.holds) throw new TongbanError('HOLDS_DISABLED', 'this consumer keeps no holds');
    return this.options.holds;
  }
}
