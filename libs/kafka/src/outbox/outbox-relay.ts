import { Kafka, Producer, CompressionTypes } from 'kafkajs';
import { context, Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { extractTraceContext, injectTraceContext, JsonLogger, SpanKind, startSpan } from '@tongban/observability';
import { PartitionTracker } from './partition-tracker';
import { sequenceLost } from '../producer-sequence';
import { HEADERS } from '../kafka-client';
import { DEFAULT_LANES } from './outbox';
import type { OutboxRelayStore, OutboxRow } from './outbox-store.port';

export interface OutboxRelayOptions {
  kafka: Kafka;
  /** The outbox's database: lane ownership, unsent rows, marking sent, purging (`MysqlOutboxStore`). */
  store: OutboxRelayStore;
  lanes?: number;
  /** How many lanes one relay takes at most; the rest are left for other relays. */
  maxLanes?: number;
  /** Rows one pass reads across all owned lanes and sends with one `sendBatch`. Default 2000. */
  batchSize?: number;
  /**
   * Bytes (values and headers) one pass sends at most, whatever `batchSize` says: the broker refuses a
   * partition's record batch over its `message.max.bytes` (1 MiB by default). Default 900,000.
   */
  maxBatchBytes?: number;
  /**
   * The longest an idle relay waits before it looks again. A pass that found rows is followed by the
   * next at once; after an empty pass the wait grows from 1 ms to this. Default 50.
   */
  pollIntervalMs?: number;
  /** How often a relay tries to take lanes nobody holds (another relay died or left). */
  claimIntervalMs?: number;
  /** Sent rows older than this are deleted. */
  retentionHours?: number;
  /** How often the purge of sent rows runs while it is not behind. Default 60 s. */
  purgeIntervalMs?: number;
  logger?: JsonLogger;
  /** After each sent batch: how many rows, and how many of them per lane. */
  onPublished?: (count: number, lanes: ReadonlyMap<number, number>) => void;
  /** After each sent batch: how long each row had waited in the outbox when it was read (seconds), for the outbox lag. */
  onWaited?: (seconds: readonly number[]) => void;
}

export const DEFAULT_RELAY_BATCH = 2000;
export const DEFAULT_RELAY_BATCH_BYTES = 900_000;

/** Kafka did not take a batch: the database connection and the lanes are still good. */
class BatchNotSentError extends Error {
  constructor(cause: unknown) {
    super(`batch not sent: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

/**
 * The rows one send carries: the oldest first, as many as fit in `maxBytes` (at least one). Rows come
 * in id order, so what is left out of any lane is that lane's newest rows, sent by the next pass.
 */
export function takeBatch<T extends Pick<OutboxRow, 'value' | 'headers'>>(rows: T[], maxBytes: number): T[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rows[i].value.length + rows[i].headers.length;
    if (bytes > maxBytes && i > 0) return rows.slice(0, i);
  }
  return rows;
}

/**
 * The `sendBatch` payload of rows in id order: one entry per topic, each topic's messages in the order
 * of the rows, so that messages of one key (one case) reach their partition in the order they were written.
 */
export function topicMessagesOf(
  rows: OutboxRow[],
  readAt = Date.now(),
  onHeaders: (row: OutboxRow, headers: Record<string, string>) => void = () => undefined,
): Array<{ topic: string; messages: Array<{ key: string; value: Buffer; headers: Record<string, string>; timestamp?: string }> }> {
  const byTopic = new Map<string, Array<{ key: string; value: Buffer; headers: Record<string, string>; timestamp?: string }>>();
  for (const row of rows) {
    let list = byTopic.get(row.topic);
    if (!list) byTopic.set(row.topic, (list = []));
    // The record's timestamp is when the row was written (the event accepted), so a consumer can tell how long
    // after acceptance it applies an event; without the row's age the producer's own time is used.
    const waited = row.waited_us === undefined || row.waited_us === null ? undefined : Number(row.waited_us);
    const timestamp = waited !== undefined && Number.isFinite(waited) ? String(Math.round(readAt - Math.max(0, waited) / 1000)) : undefined;
    const headers: Record<string, string> = JSON.parse(row.headers);
    onHeaders(row, headers);
    list.push({ key: row.message_key, value: row.value, headers, ...(timestamp ? { timestamp } : {}) });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * The relay's producer span for one row: a child of the context the publisher stored with the row (the request that
 * accepted the event, or the node's apply that decided a follow-up), written into the record's `traceparent` in place
 * of the stored one, so that the consumer's span is a child of the send. Without a started SDK: a no-op span, and
 * the headers stay as stored.
 */
export function relaySpan(row: Pick<OutboxRow, 'topic' | 'event_id' | 'message_key'>, headers: Record<string, string>): Span {
  const parent = extractTraceContext(headers);
  const span = startSpan(`publish ${row.topic}`, {
    kind: SpanKind.PRODUCER,
    parent,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': row.topic,
      'messaging.kafka.message.key': row.message_key,
      'tongban.event_id': row.event_id,
      'tongban.event_type': headers[HEADERS.eventType],
    },
  });
  injectTraceContext(headers, trace.setSpan(parent, span));
  return span;
}

/** The wait after the `emptyPasses`-th pass in a row that found nothing: 1, 2, 4, … ms up to `maxMs`. */
export function idleDelay(emptyPasses: number, maxMs: number): number {
  return Math.min(maxMs, 2 ** Math.min(emptyPasses, 20));
}

/**
 * Moves outbox rows to Kafka with an idempotent producer (acks=all). Several relays may run against
 * one database: each lane is owned through the store's session (in MySQL a named lock held on the
 * relay's own connection), so no two relays send the same lane, and a relay that dies releases its
 * lanes with its session (a host lost without closing it, after the session's short timeout). A Kafka
 * outage keeps the lanes: the relay backs off and sends the same rows again.
 *
 * One pass reads the oldest unsent rows of every owned lane in one query and sends them with one
 * `sendBatch`; one batch is in flight at a time, so a lane's rows reach Kafka in id order. A pass that
 * found rows is followed by the next at once; the relay sleeps only when a pass found nothing.
 * A crash between the send and the `sent_at` update resends a batch: consumers dedupe by event id.
 */
export class OutboxRelay {
  private readonly store: OutboxRelayStore;
  private producer?: Producer;
  private readonly owned = new Set<number>();
  private running = false;
  private loop?: Promise<void>;
  private lastClaim = 0;
  private lastPurge = 0;
  /** The last purge deleted as many rows as it may: purge again on the next pass. */
  private purgeBehind = false;
  private wake?: () => void;
  /** A nudge came after the last pass started reading: the next idle wait is skipped. */
  private nudged = false;
  private keepAlive?: NodeJS.Timeout;
  private readonly partitions = new PartitionTracker();
  /** Why the producer must be replaced before the next send (its sequence numbers cannot be trusted), if it must. */
  private producerSpoilt?: string;
  published = 0;
  /** Producers replaced because their sequence numbers no longer matched the broker's. */
  producersRenewed = 0;
  /** Sent rows deleted by this relay's purge. */
  purged = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.store = options.store;
  }

  get lanes(): number {
    return this.options.lanes ?? DEFAULT_LANES;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? DEFAULT_RELAY_BATCH;
  }

  ownedLanes(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** Connects the producer and starts the loop; the database is (re)connected by the loop itself. */
  async start(): Promise<void> {
    this.producer = this.newProducer();
    await this.producer.connect();
    this.running = true;
    this.loop = this.run();
    // While a batch waits for Kafka the lock session is idle: keep it under its short timeout.
    this.keepAlive = setInterval(() => void (this.store.connected ? this.store.keepAlive().catch(() => undefined) : undefined), this.store.keepAliveMs);
    this.keepAlive.unref();
  }

  private newProducer(): Producer {
    return this.options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: this.partitions.createPartitioner,
    });
  }

  /**
   * A new producer (a new producer id, its sequence numbers from 0) in place of one whose sequence numbers the
   * broker no longer accepts or that a send left unsure (a partition without an answer). The rows are sent again
   * by it: what the old one did get into Kafka arrives twice, and consumers drop the copy by event id.
   */
  private async renewProducer(reason: string): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = this.newProducer();
    try {
      await this.producer.connect();
    } catch (e) {
      throw new BatchNotSentError(e);
    }
    this.producerSpoilt = undefined;
    this.producersRenewed++;
    this.options.logger?.event('warn', 'kafka producer renewed; the rows it had not sent go again (a copy that did arrive is dropped by event id)', {
      reason,
    });
  }

  /** Finishes the batch in flight, releases the lanes and disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.keepAlive);
    this.wake?.();
    await this.loop?.catch(() => undefined);
    try {
      if (this.store.connected) await this.store.releaseLanes(this.ownedLanes());
    } catch {
      // the session is going away; its locks go with it
    }
    this.owned.clear();
    await this.store.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Lets a caller that just wrote rows skip the idle wait. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 50;
    let failures = 0;
    let emptyPasses = 0;
    while (this.running) {
      try {
        if (!this.store.connected) await this.reconnect();
        if (Date.now() - this.lastClaim > (this.options.claimIntervalMs ?? 2000)) await this.claimLanes();
        this.nudged = false;
        const sent = await this.pass();
        await this.purge();
        failures = 0;
        // Work found (rows sent, a nudge, a purge that deleted a full chunk) means the next pass at once; a purge
        // counts only while lanes are held (without them it does nothing, and the loop must not spin).
        if (sent > 0 || this.nudged || (this.purgeBehind && this.owned.size > 0)) {
          emptyPasses = 0;
          continue;
        }
        await this.sleep(idleDelay(emptyPasses++, poll));
      } catch (e) {
        failures++;
        const kafkaOnly = e instanceof BatchNotSentError;
        // Log the first failures and then every tenth: an outage of minutes must not flood the log.
        if (failures <= 3 || failures % 10 === 0) {
          this.options.logger?.event('error', kafkaOnly ? 'outbox batch not sent; the relay keeps its lanes and tries again' : 'outbox relay pass failed', {
            error: (e as Error).message,
            failures,
            lanes: this.owned.size,
          });
        }
        if (!kafkaOnly) {
          // A lost connection takes the lane locks with it: drop it, the next pass reconnects and claims afresh.
          this.owned.clear();
          await this.store.disconnect().catch(() => undefined);
        }
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private async reconnect(): Promise<void> {
    this.owned.clear();
    await this.store.connect();
    this.lastClaim = 0;
  }

  private async claimLanes(): Promise<void> {
    this.lastClaim = Date.now();
    const max = this.options.maxLanes ?? this.lanes;
    // Start at a random lane so that several relays do not all race for lane 0 first.
    const offset = Math.floor(Math.random() * this.lanes);
    for (let i = 0; i < this.lanes && this.owned.size < max; i++) {
      const lane = (offset + i) % this.lanes;
      if (this.owned.has(lane)) continue;
      if (await this.store.claimLane(lane)) {
        this.owned.add(lane);
        this.options.logger?.event('info', 'outbox lane claimed', { lane });
      }
    }
  }

  /** Reads the oldest unsent rows of every owned lane at once, sends them with one `sendBatch` and marks them sent. */
  private async pass(): Promise<number> {
    const owned = this.ownedLanes();
    if (owned.length === 0) return 0;
    const found = await this.store.unsent(owned, this.batchSize);
    if (found.length === 0) return 0;
    const rows = takeBatch(found, this.options.maxBatchBytes ?? DEFAULT_RELAY_BATCH_BYTES);
    if (this.producerSpoilt) await this.renewProducer(this.producerSpoilt);
    this.partitions.begin();
    const spans: Span[] = [];
    const topicMessages = topicMessagesOf(rows, Date.now(), (row, headers) => void spans.push(relaySpan(row, headers)));
    try {
      // The kafkajs instrumentation would start its own producer span per record in the relay's context and write it
      // over each record's traceparent: the send runs with tracing suppressed, so the row's own context wins.
      const answer = await context
        .with(suppressTracing(context.active()), () => this.producer!.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages }))
        .catch((e) => {
          const lost = sequenceLost(e);
          if (lost) this.producerSpoilt = `the broker answered ${lost}`;
          throw new BatchNotSentError(e);
        });
      const unanswered = this.partitions.unanswered(answer);
      if (unanswered.length > 0) {
        // Rows stay unsent and go again (the event-id check absorbs what did arrive): see PartitionTracker. The
        // producer counted those partitions' records as sent whether or not they arrived: it is not used again.
        this.producerSpoilt = `no acknowledgement for ${unanswered.join(', ')}`;
        throw new BatchNotSentError(new Error(`no acknowledgement for ${unanswered.join(', ')} (a partition leader changed during the send)`));
      }
    } catch (e) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      for (const span of spans) span.end();
    }
    await this.store.markSent(rows.map((r) => r.id));
    this.published += rows.length;
    if (this.options.onPublished) {
      const perLane = new Map<number, number>();
      for (const row of rows) perLane.set(Number(row.lane), (perLane.get(Number(row.lane)) ?? 0) + 1);
      this.options.onPublished(rows.length, perLane);
    }
    if (this.options.onWaited) {
      this.options.onWaited(rows.filter((r) => r.waited_us !== undefined && r.waited_us !== null).map((r) => Math.max(0, Number(r.waited_us)) / 1e6));
    }
    return rows.length;
  }

  /**
   * Deletes sent rows past retention on this relay's own lanes. A purge that deleted its full chunk
   * (twice a batch) runs again on the next pass: since a pass sends at most one batch, the purge
   * deletes faster than the relay sends until it has caught up, then it runs once per interval.
   */
  private async purge(): Promise<void> {
    if (!this.purgeBehind && Date.now() - this.lastPurge < (this.options.purgeIntervalMs ?? 60_000)) return;
    const owned = this.ownedLanes();
    if (owned.length === 0) return;
    this.lastPurge = Date.now();
    const chunk = 2 * this.batchSize;
    const keepMicroseconds = Math.round((this.options.retentionHours ?? 168) * 3_600_000_000);
    const deleted = await this.store.purgeSent(owned, keepMicroseconds, chunk);
    this.purged += deleted;
    this.purgeBehind = deleted >= chunk;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
