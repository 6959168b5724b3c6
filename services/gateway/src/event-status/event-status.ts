import type { Caller } from '@tongban/auth';
import { ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { covers } from '@tongban/regions';

/** What `GET /v1/events/:eventId` answers. */
export interface EventStatus {
  eventId: string;
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  sourceOffice: string | null;
  correlationId: string;
  acceptedAt: string;
  /** `accepted`: stored in the outbox, not yet on Kafka; `sent`: every copy is on Kafka. */
  status: 'accepted' | 'sent';
  /** When the last copy reached Kafka; null while accepted, and once retention purged the sent rows. */
  sentAt: string | null;
}

/** The queries the reader needs (a TypeORM DataSource has this shape). */
export interface Queryable {
  query(sql: string, params: unknown[]): Promise<unknown>;
}

interface AcceptedRow {
  event_id: string;
  event_type: string;
  case_id: string;
  source_region: string;
  target_region: string;
  source_office: string | null;
  correlation_id: string;
  accepted_at: Date | string;
}

interface OutboxRow {
  copies: number | string;
  pending: number | string | null;
  last_sent_at: Date | string | null;
}

const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an accepted event belongs to the caller's side, by the rule the nodes use for a case's
 * sides: an office key owns what was published for its office; a division key what was published
 * for a division it covers and for no service office.
 */
export function publishedBy(caller: Caller, event: { source_region: string; source_office: string | null }): boolean {
  if (caller.office) return event.source_office === caller.office.id;
  return !event.source_office && covers(caller.division, event.source_region);
}

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

/**
 * The publisher's view of an event it sent through the gateway: accepted (in the outbox) or sent (on
 * Kafka). Another side's event is answered exactly like one that does not exist.
 */
export class EventStatusReader {
  constructor(private readonly db: Queryable) {}

  async find(caller: Caller, eventId: string): Promise<EventStatus> {
    if (!EVENT_ID.test(eventId)) throw new ValidationError([{ path: 'eventId', problem: 'must be the UUID that POST /v1/events answered' }]);
    const id = eventId.toLowerCase();
    const [row] = (await this.db.query(
      `SELECT event_id, event_type, case_id, source_region, target_region, source_office, correlation_id, accepted_at
       FROM accepted_events WHERE event_id = ?`,
      [id],
    )) as AcceptedRow[];
    if (!row || !publishedBy(caller, row)) throw new NotFoundError(`event ${id} not found`, 'GATEWAY.EVENT_NOT_FOUND');
    const [outbox] = (await this.db.query(
      'SELECT COUNT(*) AS copies, SUM(sent_at IS NULL) AS pending, MAX(sent_at) AS last_sent_at FROM outbox_events WHERE event_id = ?',
      [id],
    )) as OutboxRow[];
    // Retention deletes only sent rows: an accepted event with no row left has been sent.
    const pending = Number(outbox?.pending ?? 0);
    return {
      eventId: row.event_id,
      eventType: row.event_type,
      caseId: row.case_id,
      sourceRegion: row.source_region,
      targetRegion: row.target_region,
      sourceOffice: row.source_office ?? null,
      correlationId: row.correlation_id,
      acceptedAt: iso(row.accepted_at),
      status: pending > 0 ? 'accepted' : 'sent',
      sentAt: pending > 0 || !outbox?.last_sent_at ? null : iso(outbox.last_sent_at),
    };
  }
}
