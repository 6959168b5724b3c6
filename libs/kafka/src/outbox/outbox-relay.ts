import { createConnection, Connection, RowDataPacket } from 'mysql2/promise';
import { Kafka, Producer, CompressionTypes } from 'kafkajs';
import type { JsonLogger } from '@tongban/observability';
import { DEFAULT_LANES } from './outbox';

export interface OutboxRelayOptions {
  kafka: Kafka;
  mysql: { host: string; port: number; user: string; password: string };
  database: string;
  lanes?: number;
  /** How many lanes one relay takes at most; the rest are left for other relays. */
  maxLanes?: number;
  batchSize?: number;
  pollIntervalMs?: number;
  /** How often a relay tries to take lanes nobody holds (another relay died or left). */
  claimIntervalMs?: number;
  /** Sent rows older than this are deleted. */
  retentionHours?: number;
  /**
   * The lock connection's session `wait_timeout`: a relay whose host vanished without closing its
   * connection loses its lanes after this long (MySQL's default is 8 hours). A live relay keeps the
   * connection busy at a third of it. Default 30 s.
   */
  lockTimeoutSeconds?: number;
  logger?: JsonLogger;
  onPublished?: (count: number, lane: number) => void;
}

/** Kafka did not take a batch: the database connection and the lanes are still good. */
class BatchNotSentError extends Error {
  constructor(cause: unknown) {
    super(`batch not sent: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

interface Row extends RowDataPacket {
  id: string;
  event_id: string;
  topic: string;
  message_key: string;
  value: Buffer;
  headers: string;
}

/**
 * Moves outbox rows to Kafka with an idempotent producer (acks=all). Several relays may run against
 * one database: each lane is owned through a MySQL named lock held on the relay's own connection, so
 * no two relays send the same lane, and a relay that dies releases its lanes with its connection (a
 * host lost without closing it, after the session's short `wait_timeout`). A Kafka outage keeps the
 * lanes: the relay backs off and sends the same rows again.
 * A crash between the send and the `sent_at` update resends a batch: consumers dedupe by event id.
 */
export class OutboxRelay {
  private conn?: Connection;
  private producer?: Producer;
  private readonly owned = new Set<number>();
  private running = false;
  private loop?: Promise<void>;
  private lastClaim = 0;
  private lastPurge = 0;
  private wake?: () => void;
  private keepAlive?: NodeJS.Timeout;
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  get lanes(): number {
    return this.options.lanes ?? DEFAULT_LANES;
  }

  ownedLanes(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** Connects the producer and starts the loop; the database is (re)connected by the loop itself. */
  async start(): Promise<void> {
    this.producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
    this.running = true;
    this.loop = this.run();
    // While a batch waits for Kafka the lock connection is idle: keep it under its short wait_timeout.
    this.keepAlive = setInterval(() => void this.conn?.query('DO 1').catch(() => undefined), (this.lockTimeoutSeconds * 1000) / 3);
    this.keepAlive.unref();
  }

  private get lockTimeoutSeconds(): number {
    return this.options.lockTimeoutSeconds ?? 30;
  }

  /** Finishes the batch in flight, releases the lanes and disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.keepAlive);
    this.wake?.();
    await this.loop?.catch(() => undefined);
    try {
      if (this.conn) {
        for (const lane of this.owned) await this.conn.query('SELECT RELEASE_LOCK(?)', [this.lockName(lane)]);
      }
    } catch {
      // the connection is going away; its locks go with it
    }
    this.owned.clear();
    await this.conn?.end().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Lets a caller that just wrote rows skip the poll delay. */
  nudge(): void {
    this.wake?.();
  }

  private lockName(lane: number): string {
    return `tongban.outbox.${this.options.database}.${lane}`;
  }

  private async run(): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 50;
    let failures = 0;
    while (this.running) {
      try {
        if (!this.conn) await this.reconnect();
        if (Date.now() - this.lastClaim > (this.options.claimIntervalMs ?? 2000)) await this.claimLanes();
        let sent = 0;
        for (const lane of await this.lanesWithWork()) {
          if (!this.running) break;
          sent += await this.drainLane(lane);
        }
        await this.purge();
        failures = 0;
        if (sent === 0) await this.sleep(poll);
      } catch (e) {
        failures++;
        const kafkaOnly = e instanceof BatchNotSentError;
        // Log the first failures and then every tenth: an outage of minutes must not flood the log.
        if (failures <= 3 || failures % 10 === 0) {
          this.options.logger?.event('error', kafkaOnly ? 'outbox batch not sent; the relay keeps its lanes and tries again' : 'outbox relay pass failed', {
            error: (e as Error).message, failures, lanes: this.owned.size,
          });
        }
        if (!kafkaOnly) {
          // A lost connection takes the lane locks with it: drop it, the next pass reconnects and claims afresh.
          const old = this.conn;
          this.conn = undefined;
          this.owned.clear();
          await old?.end().catch(() => undefined);
        }
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private async reconnect(): Promise<void> {
    this.owned.clear();
    const old = this.conn;
    this.conn = undefined;
    await old?.end().catch(() => undefined);
    const conn = await createConnection({ ...this.options.mysql, database: this.options.database, supportBigNumbers: true, bigNumberStrings: true });
    conn.on('error', () => undefined);
    try {
      // The lane locks live as long as this session: a vanished host must not keep them for MySQL's 8 hours.
      await conn.query('SET SESSION wait_timeout = ?', [this.lockTimeoutSeconds]);
    } catch (e) {
      await conn.end().catch(() => undefined);
      throw e;
    }
    this.conn = conn;
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
      const [rows] = await this.conn!.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got', [this.lockName(lane)]);
      if (Number(rows[0].got) === 1) {
        this.owned.add(lane);
        this.options.logger?.event('info', 'outbox lane claimed', { lane });
      }
    }
  }

  /** One query for every owned lane (not one per lane), so an idle relay costs the database little. */
  private async lanesWithWork(): Promise<number[]> {
    const owned = this.ownedLanes();
    if (owned.length === 0) return [];
    const [rows] = await this.conn!.query<RowDataPacket[]>(
      'SELECT DISTINCT lane FROM outbox_events WHERE sent_at IS NULL AND lane IN (?)',
      [owned],
    );
    return rows.map((r) => Number(r.lane));
  }

  private async drainLane(lane: number): Promise<number> {
    const [rows] = await this.conn!.query<Row[]>(
      'SELECT id, event_id, topic, message_key, value, headers FROM outbox_events WHERE lane = ? AND sent_at IS NULL ORDER BY id LIMIT ?',
      [lane, this.options.batchSize ?? 500],
    );
    if (rows.length === 0) return 0;
    const byTopic = new Map<string, Array<{ key: string; value: Buffer; headers: Record<string, string> }>>();
    for (const row of rows) {
      const list = byTopic.get(row.topic) ?? [];
      list.push({ key: row.message_key, value: row.value, headers: JSON.parse(row.headers) });
      byTopic.set(row.topic, list);
    }
    await this.producer!.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    }).catch((e) => {
      throw new BatchNotSentError(e);
    });
    await this.conn!.query('UPDATE outbox_events SET sent_at = UTC_TIMESTAMP(3) WHERE id IN (?)', [rows.map((r) => r.id)]);
    this.published += rows.length;
    this.options.onPublished?.(rows.length, lane);
    return rows.length;
  }

  private async purge(): Promise<void> {
    if (Date.now() - this.lastPurge < 60_000 || !this.owned.has(0)) return;
    this.lastPurge = Date.now();
    const hours = this.options.retentionHours ?? 168;
    await this.conn!.query(
      'DELETE FROM outbox_events WHERE sent_at IS NOT NULL AND sent_at < UTC_TIMESTAMP(3) - INTERVAL ? HOUR LIMIT 10000',
      [hours],
    );
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

/** Rows not yet sent: the relay's backlog, for health and metrics. */
export async function outboxBacklog(conn: { query: Connection['query'] }): Promise<number> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL');
  return Number(rows[0].n);
}
