import type { EventStatusStore, StoredAcceptedEvent, StoredOutboxSummary } from '../../event-status/event-status';
import type { AcceptedEventRow, AcceptStore, IdempotencyClaim, IdempotencyOwner } from '../application/accept-event.service';

/** A connection or a transaction's manager (TypeORM's DataSource and EntityManager have this shape). */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * The gateway's SQL about accepted events: the idempotency records, the accepted_events rows (written in the
 * accept transaction, multi-row) and what `GET /v1/events/:eventId` reads of them and of the outbox.
 */
export class AcceptedEventsRepository implements AcceptStore, EventStatusStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Inserts the idempotency records that are not there yet; answers how many were new. A concurrent
   * transaction holding the same key makes this wait for its commit.
   */
  async claimKeys(tx: Queryable, claims: IdempotencyClaim[]): Promise<number> {
    if (claims.length === 0) return 0;
    const claimed = await tx.query(
      `INSERT IGNORE INTO idempotency_keys (key_id, idempotency_key, request_hash, event_id, created_at)
       VALUES ${claims.map(() => '(?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ')}`,
      claims.flatMap((c) => [c.keyId, c.idempotencyKey, c.requestHash, c.eventId]),
    );
    return (claimed as { affectedRows: number }).affectedRows;
  }

  /**
   * Who holds each key: the event it names, the hash of the request that made it and that event's
   * correlation id (null once the accepted_events row is gone).
   */
  async keyOwners(tx: Queryable, keys: Array<{ keyId: string; idempotencyKey: string }>): Promise<IdempotencyOwner[]> {
    if (keys.length === 0) return [];
    const rows = (await tx.query(
      `SELECT k.key_id, k.idempotency_key, k.request_hash, k.event_id, a.correlation_id
       FROM idempotency_keys k LEFT JOIN accepted_events a ON a.event_id = k.event_id
       WHERE ${keys.map(() => '(k.key_id = ? AND k.idempotency_key = ?)').join(' OR ')}`,
      keys.flatMap((k) => [k.keyId, k.idempotencyKey]),
    )) as Array<{ key_id: string; idempotency_key: string; request_hash: string; event_id: string; correlation_id: string | null }>;
    return rows.map((r) => ({
      keyId: r.key_id,
      idempotencyKey: r.idempotency_key,
      eventId: r.event_id,
      requestHash: r.request_hash,
      correlationId: r.correlation_id ?? null,
    }));
  }

  /** One multi-row insert of accepted events (accepted now). */
  async insertAccepted(tx: Queryable, events: AcceptedEventRow[]): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `INSERT INTO accepted_events (event_id, event_type, case_id, source_region, target_region, source_office, key_id, correlation_id, accepted_at)
       VALUES ${events.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ')}`,
      events.flatMap((e) => [e.eventId, e.eventType, e.caseId, e.sourceRegion, e.targetRegion, e.sourceOffice, e.keyId, e.correlationId]),
    );
  }

  async acceptedEvent(eventId: string): Promise<StoredAcceptedEvent | undefined> {
    const [row] = (await this.db.query(
      `SELECT event_id, event_type, case_id, source_region, target_region, source_office, correlation_id, accepted_at
       FROM accepted_events WHERE event_id = ?`,
      [eventId],
    )) as StoredAcceptedEvent[];
    return row;
  }

  async outboxSummary(eventId: string): Promise<StoredOutboxSummary | undefined> {
    const [outbox] = (await this.db.query(
      'SELECT COUNT(*) AS copies, SUM(sent_at IS NULL) AS pending, MAX(sent_at) AS last_sent_at, GROUP_CONCAT(DISTINCT topic) AS topics FROM outbox_events WHERE event_id = ?',
      [eventId],
    )) as StoredOutboxSummary[];
    return outbox;
  }

  async acceptedEventsOfCase(caseId: string): Promise<StoredAcceptedEvent[]> {
    return (await this.db.query(
      `SELECT event_id, event_type, case_id, source_region, target_region, source_office, correlation_id, accepted_at FROM accepted_events
       WHERE case_id = ? ORDER BY accepted_at, event_id LIMIT 1000`,
      [caseId],
    )) as StoredAcceptedEvent[];
  }

  async outboxSummaries(eventIds: string[]): Promise<Array<StoredOutboxSummary & { event_id: string }>> {
    if (eventIds.length === 0) return [];
    return (await this.db.query(
      `SELECT event_id, COUNT(*) AS copies, SUM(sent_at IS NULL) AS pending, MAX(sent_at) AS last_sent_at FROM outbox_events
       WHERE event_id IN (?) GROUP BY event_id`,
      [eventIds],
    )) as Array<StoredOutboxSummary & { event_id: string }>;
  }
}
