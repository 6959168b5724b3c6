import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { AvroCodec, DecodeFailure, TransitReceipts as TransitReceiptsRecord } from '@tongban/avro';
import { serviceHeaders } from '@tongban/auth';
import type { JsonLogger } from '@tongban/observability';
import { witnessTopic } from '../audit/witness/audit-witness';
import { Arrival, batches, outcomeOf, ReceiptWindow, toReceipt } from './receipt-window';
import type { ReceiptStore } from './receipt-store';

export const TRANSIT_RECEIPTS = 'cn.tongban.audit.v1.TransitReceipts';

export interface TransitConfig {
  /** The province this ops runs in, and the other one (as the audit witness has them). */
  province: string;
  partner: string;
  /** How often the outcomes recorded since the last look are sent as receipts (TONGBAN_OPS_RECEIPT_INTERVAL_MS). */
  intervalMs: number;
  /** Receipts in one record at most (TONGBAN_OPS_RECEIPT_BATCH). */
  batchSize: number;
  /** How far back each look starts before the newest receipt sent (TONGBAN_OPS_RECEIPT_OVERLAP_SECONDS). */
  overlapMs: number;
}

/** An outcome as a source lists it: `outcome` as the node writes it (applied, rejected, noted) or ARRIVED. */
export interface SourceRow {
  eventId: string;
  caseId: string;
  node: string;
  outcome: string;
  at: string;
}

/** Where outcomes of events from the other province are read, in the order they were recorded. */
export interface ArrivalSource {
  /** The cursor's name: `node:<node>`, `dlq:<node>`. */
  readonly name: string;
  /** Rows recorded at or after `since` (at `since` itself, after `afterEventId`), oldest first. */
  read(since: Date, afterEventId: string, limit: number): Promise<SourceRow[]>;
}

/** A region node's history of the other province's events (`GET /internal/arrivals` of the node). */
export class NodeArrivals implements ArrivalSource {
  readonly name: string;

  constructor(
    private readonly node: string,
    private readonly baseUrl: string,
    private readonly from: string,
    private readonly serviceToken: string,
    private readonly timeoutMs = 5000,
  ) {
    this.name = `node:${node}`;
  }

  async read(since: Date, afterEventId: string, limit: number): Promise<SourceRow[]> {
    const query = new URLSearchParams({ from: this.from, since: since.toISOString(), afterEventId, limit: String(limit) });
    const res = await fetch(`${this.baseUrl}/internal/arrivals?${query}`, {
      headers: serviceHeaders(this.serviceToken, 'ops:transit-receipts'),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`node ${this.node} answered ${res.status} to GET /internal/arrivals: ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { arrivals: Array<Omit<SourceRow, 'node'>> };
    return body.arrivals.map((a) => ({ ...a, node: this.node }));
  }
}

/** Events from the other province parked as dead letters of a node's inbox here: they arrived, not yet applied. */
export class DeadLetterArrivals implements ArrivalSource {
  readonly name: string;

  constructor(
    private readonly dataSource: Pick<DataSource, 'query'>,
    private readonly node: string,
    private readonly inboxTopic: string,
    private readonly from: string,
  ) {
    this.name = `dlq:${node}`;
  }

  async read(since: Date, afterEventId: string, limit: number): Promise<SourceRow[]> {
    const rows: Array<{ event_id: string; case_id: string | null; stored_at: Date }> = await this.dataSource.query(
      `SELECT event_id, case_id, MIN(stored_at) AS stored_at FROM dead_letters
       WHERE (original_topic = ? OR original_topic LIKE ?) AND source_region LIKE ? AND event_id IS NOT NULL AND stored_at >= ?
       GROUP BY event_id, case_id HAVING NOT (MIN(stored_at) = ? AND event_id <= ?)
       ORDER BY MIN(stored_at), event_id LIMIT ?`,
      [this.inboxTopic, `${this.inboxTopic}.retry.%`, `${this.from.slice(0, 2)}%`, since, since, afterEventId, limit],
    );
    return rows.map((r) => ({ eventId: r.event_id, caseId: r.case_id ?? '', node: this.node, outcome: 'ARRIVED', at: new Date(r.stored_at).toISOString() }));
  }
}

const arrivalOf = (r: SourceRow): Arrival | undefined => {
  const outcome = r.outcome === 'ARRIVED' ? 'ARRIVED' : outcomeOf(r.outcome);
  return outcome ? { eventId: r.eventId, caseId: r.caseId, node: r.node, outcome, at: r.at } : undefined;
};

/** Pages read per source and look: the rest waits for the next look. */
const PAGES_PER_LOOK = 20;

/**
 * Receipts of events that crossed between the two provinces, on the witness channel.
 *
 * Receiving side: every interval it reads the outcomes its nodes recorded of events from the partner
 * province (and the partner's events parked here as dead letters), and sends them back as TransitReceipts
 * records of at most `batchSize` receipts on `<ns>.<partner>.witness` in this province's own cluster, which
 * the partner's MirrorMaker 2 carries home. A record is sent with acks=all before the cursor moves: while the
 * link is down the records wait in this cluster, and a failed send is read and sent again at the next look.
 *
 * Owning side: the audit witness hands it the TransitReceipts records of `<ns>.<province>.witness`; it keeps
 * them by event id (ReceiptStore), where the gateway asks for them.
 */
export class TransitReceipts {
  private readonly windows = new Map<string, ReceiptWindow>();
  private readonly warned = new Map<string, { error: string; at: number }>();
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;

  constructor(
    private readonly config: TransitConfig,
    private readonly namespace: string,
    private readonly producer: Pick<Producer, 'send'>,
    private readonly codec: Pick<AvroCodec, 'encodeRecord' | 'decodeRecord'>,
    private readonly store: Pick<ReceiptStore, 'receive' | 'watermark' | 'advance'>,
    private readonly sources: readonly ArrivalSource[],
    private readonly logger: JsonLogger,
    private readonly onSent: (receipts: number) => void = () => undefined,
  ) {}

  /** Where receipts of what this province received go: the partner's witness topic. */
  get outgoing(): string {
    return witnessTopic(this.namespace, this.config.partner);
  }

  start(): void {
    this.logger.event('info', 'transit receipts started', {
      to: this.config.partner,
      topic: this.outgoing,
      sources: this.sources.map((s) => s.name),
      intervalMs: this.config.intervalMs,
    });
    this.timer = setInterval(() => void this.look().catch(() => undefined), this.config.intervalMs);
    this.timer.unref();
  }

  /** Stops looking, after the look under way. Nothing is lost: the next start goes on from the stored cursor. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.looking?.catch(() => undefined);
  }

  /** One look at every source; one at a time. */
  look(): Promise<void> {
    this.looking ??= this.lookAll().finally(() => (this.looking = undefined));
    return this.looking;
  }

  private async lookAll(): Promise<void> {
    let failure: unknown;
    for (const source of this.sources) {
      try {
        await this.lookAt(source);
      } catch (e) {
        failure = e;
        // Once a minute per source and error, not at every look while a node is down.
        const error = (e as Error).message;
        const last = this.warned.get(source.name);
        if (!last || last.error !== error || Date.now() - last.at >= 60_000) {
          this.warned.set(source.name, { error, at: Date.now() });
          this.logger.event('warn', 'transit receipts could not be sent; the next look sends them', { source: source.name, to: this.config.partner, error });
        }
      }
    }
    if (failure) throw failure;
  }

  private async window(source: ArrivalSource): Promise<ReceiptWindow> {
    let w = this.windows.get(source.name);
    if (!w) {
      w = new ReceiptWindow(this.config.overlapMs, await this.store.watermark(source.name));
      this.windows.set(source.name, w);
    }
    return w;
  }

  private async lookAt(source: ArrivalSource): Promise<void> {
    const window = await this.window(source);
    const pageSize = Math.max(this.config.batchSize, 100);
    const rows: SourceRow[] = [];
    let page = await source.read(window.readFrom, '', pageSize);
    rows.push(...page);
    for (let n = 1; page.length === pageSize && n < PAGES_PER_LOOK; n++) {
      const last = page[page.length - 1];
      page = await source.read(new Date(last.at), last.eventId, pageSize);
      rows.push(...page);
    }
    const fresh = window.fresh(rows.map(arrivalOf).filter((a): a is Arrival => !!a));
    if (fresh.length === 0) return;
    for (const batch of batches(fresh, this.config.batchSize)) {
      const record: TransitReceiptsRecord = {
        owner: this.config.partner,
        sender: this.config.province,
        sentAt: new Date().toISOString(),
        receipts: batch.map(toReceipt),
      };
      const value = await this.codec.encodeRecord(TRANSIT_RECEIPTS, record);
      await this.producer.send({ topic: this.outgoing, acks: -1, messages: [{ key: this.config.partner, value }] });
      window.sent(batch);
      this.onSent(batch.length);
    }
    await this.store.advance(source.name, window.watermark);
    this.logger.event('info', 'transit receipts sent', { source: source.name, to: this.config.partner, receipts: fresh.length });
  }

  /**
   * A record of this province's witness topic that is not audit heads: a TransitReceipts record is kept and
   * answered true; anything else is answered false (for the caller to report).
   */
  async handle(bytes: Buffer | null, ref: string): Promise<boolean> {
    let record: TransitReceiptsRecord;
    try {
      record = (await this.codec.decodeRecord<TransitReceiptsRecord>(TRANSIT_RECEIPTS, bytes)).value;
    } catch (e) {
      if (e instanceof DecodeFailure) return false;
      throw e;
    }
    const { partner, province } = this.config;
    if (record.sender !== partner || record.owner !== province) {
      this.logger.event('warn', 'transit receipts not meant for this province were skipped', { ref, sender: record.sender, owner: record.owner });
      return true;
    }
    await this.store.receive(partner, record.receipts);
    return true;
  }
}
