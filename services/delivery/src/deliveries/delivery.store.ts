import { DataSource, EntityManager } from 'typeorm';
import { AuditLog, recordDisclosure } from '@tongban/audit';
import type { Minimiser } from '@tongban/masking';

export type DeliveryState = 'waiting' | 'queued' | 'delivered' | 'parked';

export interface DeliveryRow {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  case_id: string;
  target_region: string;
  state: DeliveryState;
  body: string | null;
  generation: number;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  parked_at: Date | null;
  /** W3C trace context of the inbox message the delivery was made from; null when tracing was off. */
  trace_parent: string | null;
  trace_state: string | null;
  /** The subscription's partner system, when the row was read with it (`list`). */
  system_name?: string | null;
}

export interface DeliveryView {
  deliveryId: string;
  subscriptionId: string;
  /** The partner system of the subscription (null once the subscription is gone). */
  systemName: string | null;
  eventId: string;
  eventType: string;
  caseId: string;
  targetRegion: string;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  firstAttemptAt: string | null;
  deliveredAt: string | null;
  parkedAt: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function deliveryView(r: DeliveryRow): DeliveryView {
  return {
    deliveryId: String(r.delivery_id),
    subscriptionId: r.subscription_id,
    systemName: r.system_name ?? null,
    eventId: r.event_id,
    eventType: r.event_type,
    caseId: r.case_id,
    targetRegion: r.target_region,
    state: r.state,
    attempts: Number(r.attempts),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    createdAt: iso(r.created_at) as string,
    firstAttemptAt: iso(r.first_attempt_at),
    deliveredAt: iso(r.delivered_at),
    parkedAt: iso(r.parked_at),
  };
}

/** A job to send: the row that became the head of its case's line. */
export interface Ready {
  deliveryId: string;
  generation: number;
}

/**
 * Deliveries in MySQL. Per subscription and case they form a line in arrival (Kafka) order; only the
 * oldest undelivered one is ever queued, so event n+1 of a case waits until n was delivered (a parked
 * head holds its line until it is redelivered).
 */
export class DeliveryStore {
  constructor(
    private readonly ds: DataSource,
    /** The delivery's disclosures chain, and the policy that tells whose data a body carries. */
    private readonly disclosures?: { audit: AuditLog; minimiser: Minimiser },
  ) {}

  /** Records a delivery once per subscription and event (a re-read Kafka message adds nothing). */
  async add(d: {
    subscriptionId: string;
    eventId: string;
    eventType: string;
    caseId: string;
    targetRegion: string;
    body: string;
    /** `traceparent` / `tracestate` of the message, when it came with them. */
    trace?: Record<string, string>;
  }): Promise<void> {
    await this.ds.query(
      `INSERT IGNORE INTO deliveries (subscription_id, event_id, event_type, case_id, target_region, state, body, created_at, trace_parent, trace_state)
       VALUES (?, ?, ?, ?, ?, 'waiting', ?, UTC_TIMESTAMP(3), ?, ?)`,
      [
        d.subscriptionId,
        d.eventId,
        d.eventType,
        d.caseId,
        d.targetRegion,
        d.body,
        d.trace?.traceparent?.slice(0, 55) ?? null,
        d.trace?.tracestate?.slice(0, 512) ?? null,
      ],
    );
  }

  /** Queues the head of a line when it is waiting; answers it so the caller adds its job. */
  async advance(subscriptionId: string, caseId: string): Promise<Ready | undefined> {
    return this.ds.transaction(async (m) => {
      const [head]: DeliveryRow[] = await m.query(
        `SELECT delivery_id, state, generation FROM deliveries
         WHERE subscription_id = ? AND case_id = ? AND state <> 'delivered' ORDER BY delivery_id LIMIT 1 FOR UPDATE`,
        [subscriptionId, caseId],
      );
      if (!head || head.state !== 'waiting') return undefined;
      await m.query(`UPDATE deliveries SET state = 'queued', first_attempt_at = UTC_TIMESTAMP(3) WHERE delivery_id = ?`, [head.delivery_id]);
      return { deliveryId: String(head.delivery_id), generation: Number(head.generation) };
    });
  }

  async get(deliveryId: string): Promise<DeliveryRow | undefined> {
    const rows: DeliveryRow[] = await this.ds.query('SELECT * FROM deliveries WHERE delivery_id = ?', [deliveryId]);
    return rows[0];
  }

  async attempted(deliveryId: string, status: number | null, error: string | null): Promise<void> {
    await this.ds.query(
      'UPDATE deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, last_attempt_at = UTC_TIMESTAMP(3) WHERE delivery_id = ?',
      [status, error?.slice(0, 500) ?? null, deliveryId],
    );
  }

  /**
   * Delivered: the body is dropped, the partner has it now (no personal data kept longer than needed).
   * What it disclosed is recorded in the same transaction.
   */
  async delivered(deliveryId: string, generation: number): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const [row]: DeliveryRow[] = await m.query('SELECT * FROM deliveries WHERE delivery_id = ? FOR UPDATE', [deliveryId]);
      const r = await m.query(
        `UPDATE deliveries SET state = 'delivered', delivered_at = UTC_TIMESTAMP(3), body = NULL WHERE delivery_id = ? AND state = 'queued' AND generation = ?`,
        [deliveryId, generation],
      );
      const done = (r as { affectedRows: number }).affectedRows > 0;
      if (done && row?.body && this.disclosures) await this.recordDelivered(m, row);
      return done;
    });
  }

  private async recordDelivered(m: EntityManager, row: DeliveryRow): Promise<void> {
    const sent = JSON.parse(row.body as string) as {
      eventId: string;
      eventType: string;
      caseId: string;
      sourceRegion: string;
      targetRegion: string;
      payload: Record<string, unknown>;
    };
    await recordDisclosure(this.disclosures!.audit, m, {
      actor: 'delivery',
      eventType: sent.eventType,
      eventId: sent.eventId,
      caseId: sent.caseId,
      fromRegion: sent.sourceRegion,
      toRegion: sent.targetRegion,
      channel: 'webhook',
      recipient: `subscription:${row.subscription_id}`,
      recipientRole: 'webhook',
      persons: this.disclosures!.minimiser.personalData(sent.eventType, sent.payload),
    });
  }

  async park(deliveryId: string, generation: number): Promise<boolean> {
    const r = await this.ds.query(
      `UPDATE deliveries SET state = 'parked', parked_at = UTC_TIMESTAMP(3) WHERE delivery_id = ? AND state = 'queued' AND generation = ?`,
      [deliveryId, generation],
    );
    return (r as { affectedRows: number }).affectedRows > 0;
  }

  /** A parked delivery goes back to the head of its line with a fresh retry window. */
  async redeliver(deliveryId: string): Promise<Ready | undefined> {
    const r = await this.ds.query(
      `UPDATE deliveries SET state = 'queued', generation = generation + 1, attempts = 0, first_attempt_at = UTC_TIMESTAMP(3), parked_at = NULL
       WHERE delivery_id = ? AND state = 'parked' AND body IS NOT NULL`,
      [deliveryId],
    );
    if ((r as { affectedRows: number }).affectedRows === 0) return undefined;
    const row = (await this.get(deliveryId)) as DeliveryRow;
    return { deliveryId, generation: Number(row.generation) };
  }

  async list(filter: { state?: string; subscriptionIds?: string[]; caseId?: string; limit?: number }): Promise<DeliveryView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) {
      where.push('d.state = ?');
      params.push(filter.state);
    }
    if (filter.caseId) {
      where.push('d.case_id = ?');
      params.push(filter.caseId);
    }
    if (filter.subscriptionIds) {
      if (filter.subscriptionIds.length === 0) return [];
      where.push(`d.subscription_id IN (${filter.subscriptionIds.map(() => '?').join(', ')})`);
      params.push(...filter.subscriptionIds);
    }
    params.push(Math.min(filter.limit ?? 100, 1000));
    // The partner's name comes with each row, so an operator sees whose webhook failed without a second lookup.
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT d.*, s.system_name FROM deliveries d LEFT JOIN subscriptions s ON s.subscription_id = d.subscription_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.delivery_id LIMIT ?`,
      params,
    );
    return rows.map(deliveryView);
  }

  /** Queued heads (their jobs may have been lost) and lines whose head waits: the sweeper's work. */
  async unfinished(limit = 500): Promise<{ queued: Ready[]; lines: Array<{ subscriptionId: string; caseId: string }> }> {
    const queued: DeliveryRow[] = await this.ds.query(`SELECT delivery_id, generation FROM deliveries WHERE state = 'queued' ORDER BY delivery_id LIMIT ?`, [
      limit,
    ]);
    const lines: Array<{ subscription_id: string; case_id: string }> = await this.ds.query(
      `SELECT DISTINCT subscription_id, case_id FROM deliveries WHERE state = 'waiting' LIMIT ?`,
      [limit],
    );
    return {
      queued: queued.map((r) => ({ deliveryId: String(r.delivery_id), generation: Number(r.generation) })),
      lines: lines.map((l) => ({ subscriptionId: l.subscription_id, caseId: l.case_id })),
    };
  }
}
