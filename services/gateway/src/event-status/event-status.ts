import type { Caller } from '@tongban/auth';
import { ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { covers, topics } from '@tongban/regions';
import type { NodeOutcome, NodeOutcomeLookup } from './node-outcomes';
import { crossesTo, Receipt, ReceiptLookup, Transit, TransitStatus, transitOf } from './transit';

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
  /**
   * Only for an event addressed to the other province (a gateway of one province): where it is on its way
   * there (see Transit); null while it is still in the outbox.
   */
  transit?: Transit | null;
  /**
   * What each node of this gateway's province that got a copy did with it (applied, rejected with the reason,
   * noted, pending, or unknown when the node did not answer); a node of the other province is in `transit`.
   */
  nodes?: NodeOutcome[];
}

/** The gateway's province and where it reads the receipts of events crossing from it. */
export interface TransitSide {
  province: string;
  receipts: ReceiptLookup;
}

/** One crossing event of a case, as `GET /v1/cases/:caseId` lists them for the side that published them. */
export interface CaseCrossing extends Omit<Transit, 'status'> {
  eventId: string;
  eventType: string;
  acceptedAt: string;
  /** As the event's transit; `accepted` while it is still in this gateway's outbox. */
  status: TransitStatus | 'accepted';
}

/** An accepted_events row as stored. */
export interface StoredAcceptedEvent {
  event_id: string;
  event_type: string;
  case_id: string;
  source_region: string;
  target_region: string;
  source_office: string | null;
  correlation_id: string;
  accepted_at: Date | string;
}

/** The outbox rows of one event, summed up; `topics` lists the copies' topics (comma-separated). */
export interface StoredOutboxSummary {
  copies: number | string;
  pending: number | string | null;
  last_sent_at: Date | string | null;
  topics?: string | null;
}

/** What the reader needs of the store (the gateway's AcceptedEventsRepository). */
export interface EventStatusStore {
  acceptedEvent(eventId: string): Promise<StoredAcceptedEvent | undefined>;
  outboxSummary(eventId: string): Promise<StoredOutboxSummary | undefined>;
  /** A case's accepted events, oldest first (at most 1000). */
  acceptedEventsOfCase(caseId: string): Promise<StoredAcceptedEvent[]>;
  /** The outbox summaries of several events, by event id. */
  outboxSummaries(eventIds: string[]): Promise<Array<StoredOutboxSummary & { event_id: string }>>;
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
  constructor(
    private readonly store: EventStatusStore,
    private readonly transit?: TransitSide,
    private readonly nodes?: NodeOutcomeLookup,
  ) {}

  async find(caller: Caller, eventId: string): Promise<EventStatus> {
    if (!EVENT_ID.test(eventId)) throw new ValidationError([{ path: 'eventId', problem: 'must be the UUID that POST /v1/events answered' }]);
    const id = eventId.toLowerCase();
    const row = await this.store.acceptedEvent(id);
    if (!row || !publishedBy(caller, row)) throw new NotFoundError(`event ${id} not found`, 'GATEWAY.EVENT_NOT_FOUND');
    const outbox = await this.store.outboxSummary(id);
    // Retention deletes only sent rows: an accepted event with no row left has been sent.
    const pending = Number(outbox?.pending ?? 0);
    const sentAt = pending > 0 || !outbox?.last_sent_at ? null : iso(outbox.last_sent_at);
    const to = crossesTo(this.transit?.province, row.target_region);
    let transit: Transit | null | undefined;
    if (to) {
      const { receipts, error } = await this.receipts(caller, pending > 0 ? [] : [row.event_id]);
      transit = transitOf({ to, sent: pending === 0, sentAt, receipt: receipts.get(row.event_id), receiptsError: error });
    }
    const nodes = this.nodes ? await this.nodeOutcomes(caller, row.event_id, outbox?.topics ?? null, pending > 0) : undefined;
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
      sentAt,
      ...(to ? { transit } : {}),
      ...(nodes ? { nodes } : {}),
    };
  }

  /**
   * The copies' nodes this gateway can ask (its own province), from the outbox rows' topics; once retention has
   * purged the sent rows the nodes are no longer known and the list is empty.
   */
  private async nodeOutcomes(caller: Caller, eventId: string, topicList: string | null, unsent: boolean): Promise<NodeOutcome[]> {
    const nodes = [
      ...new Set(
        (topicList ?? '')
          .split(',')
          .map((t) => topics.parse(t)?.node)
          .filter((n): n is string => !!n),
      ),
    ].sort();
    const mine = nodes.filter((n) => this.nodes!.reaches(n));
    if (unsent) return mine.map((node) => ({ node, outcome: 'pending', reason: null, at: null }));
    return Promise.all(mine.map((node) => this.nodes!.find(caller, eventId, node)));
  }

  /**
   * The caller's events of a case that cross to the other province, oldest first, each with its transit;
   * undefined for a gateway that serves every province. Events of another side are left out.
   */
  async crossingsOf(caller: Caller, caseId: string): Promise<CaseCrossing[] | undefined> {
    if (!this.transit) return undefined;
    const rows = await this.store.acceptedEventsOfCase(caseId);
    const mine = rows.filter((r) => publishedBy(caller, r) && crossesTo(this.transit!.province, r.target_region));
    if (mine.length === 0) return [];
    const outbox = await this.store.outboxSummaries(mine.map((r) => r.event_id));
    const byId = new Map(outbox.map((o) => [o.event_id, o]));
    const sent = mine.filter((r) => Number(byId.get(r.event_id)?.pending ?? 0) === 0);
    const { receipts, error } = await this.receipts(
      caller,
      sent.map((r) => r.event_id),
    );
    return mine.map((r): CaseCrossing => {
      const o = byId.get(r.event_id);
      const isSent = Number(o?.pending ?? 0) === 0;
      const to = crossesTo(this.transit!.province, r.target_region)!;
      const t = transitOf({
        to,
        sent: isSent,
        sentAt: isSent && o?.last_sent_at ? iso(o.last_sent_at) : null,
        receipt: receipts.get(r.event_id),
        receiptsError: error,
      });
      // Still in the outbox here: not on its way yet.
      return {
        eventId: r.event_id,
        eventType: r.event_type,
        acceptedAt: iso(r.accepted_at),
        ...(t ?? { province: to, status: 'accepted', since: null, at: null, node: null }),
      };
    });
  }

  /** Receipts of sent crossing events; an ops that does not answer makes them unknown, never fails the read. */
  private async receipts(caller: Caller, eventIds: string[]): Promise<{ receipts: Map<string, Receipt>; error?: string }> {
    if (eventIds.length === 0 || !this.transit) return { receipts: new Map() };
    try {
      return { receipts: await this.transit.receipts.find(caller, eventIds) };
    } catch (e) {
      return { receipts: new Map(), error: `the receipts could not be read: ${(e as Error).message}` };
    }
  }
}
