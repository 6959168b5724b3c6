import type { DataSource } from 'typeorm';
import { AuditLog, DisclosureInput, recordDisclosure } from '@tongban/audit';

type Row = Record<string, unknown>;

/** What a case search filters on; the person by the keyed hash of the ID number, never the number. */
export interface CaseSearch {
  workflow?: string;
  state?: string;
  personHash?: string;
  /** Only cases updated at or after this time. */
  updatedSince?: Date;
  /** Only cases after this one in the search's order (newest first, then by id): the next page. */
  after?: { updatedAt: Date; caseId: string };
}

/** An open deadline as the reconciler reads it. */
export interface OpenDeadline {
  caseId: string;
  name: string;
  dueAt: Date;
  ownerDivision: string;
}

/** The most recent cases a search reads before the viewer's parties are picked from them. */
export const CASE_SEARCH_CAP = 2000;

/**
 * The reads behind the case queries (`cases`, `case_timers`, `case_events`), as rows for the controller to shape,
 * and the record of a read in the node's disclosures chain.
 */
export class CaseQueryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The most recently updated cases matching the filters, newest first. */
  search(filters: CaseSearch, cap = CASE_SEARCH_CAP): Promise<Row[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filters.workflow) {
      where.push('c.workflow = ?');
      params.push(filters.workflow);
    }
    if (filters.state) {
      where.push('c.state = ?');
      params.push(filters.state);
    }
    if (filters.personHash) {
      where.push('c.case_id IN (SELECT case_id FROM case_persons WHERE person_hash = ?)');
      params.push(filters.personHash);
    }
    if (filters.updatedSince) {
      where.push('c.updated_at >= ?');
      params.push(filters.updatedSince);
    }
    if (filters.after) {
      where.push('(c.updated_at < ? OR (c.updated_at = ? AND c.case_id < ?))');
      params.push(filters.after.updatedAt, filters.after.updatedAt, filters.after.caseId);
    }
    return this.dataSource.query(
      `SELECT c.* FROM cases c ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.updated_at DESC, c.case_id DESC LIMIT ${Number(cap)}`,
      params,
    );
  }

  /**
   * Events of another province this node recorded from its inbox (or the inbox's retry topics), in the order it recorded
   * them: at or after `since`, and at `since` itself after `afterEventId` (keyset by received_at, event_id).
   */
  arrivals(q: {
    fromProvince: string;
    inbox: string;
    since: Date;
    afterEventId: string;
    limit: number;
  }): Promise<Array<{ event_id: string; case_id: string; outcome: string; received_at: Date | string }>> {
    return this.dataSource.query(
      `SELECT event_id, case_id, outcome, received_at FROM case_events
       WHERE received_at >= ? AND NOT (received_at = ? AND event_id <= ?)
         AND source_region LIKE ? AND (kafka_topic = ? OR kafka_topic LIKE ?)
       ORDER BY received_at, event_id LIMIT ?`,
      [q.since, q.since, q.afterEventId, `${q.fromProvince.slice(0, 2)}%`, q.inbox, `${q.inbox}.retry.%`, q.limit],
    );
  }

  async caseRow(caseId: string): Promise<Row | undefined> {
    const [row]: Row[] = await this.dataSource.query('SELECT * FROM cases WHERE case_id = ?', [caseId]);
    return row;
  }

  /** The case's open deadlines, the soonest first. */
  deadlines(caseId: string): Promise<Row[]> {
    return this.dataSource.query('SELECT name, started_at, due_at, must_act_division FROM case_timers WHERE case_id = ? ORDER BY due_at', [caseId]);
  }

  /** The case's history in order, as the parties' views need it. */
  history(caseId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT event_id, seq, event_type, source_region, target_region, occurred_at, received_at, outcome, outcome_reason, state_after, payload, kafka_topic
       FROM case_events WHERE case_id = ? ORDER BY seq`,
      [caseId],
    );
  }

  /** The events this node keeps of a case it does not hold, in order, with their offices. */
  participationEvents(caseId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT event_id, seq, event_type, source_region, target_region, source_office, occurred_at, received_at, payload FROM case_events WHERE case_id = ? ORDER BY seq`,
      [caseId],
    );
  }

  /** The node's record of an event it applied itself (an entry carried over with a hand-over was applied elsewhere). */
  async appliedEvent(eventId: string, carriedOverTopic: string): Promise<Row | undefined> {
    const [row]: Row[] = await this.dataSource.query(
      'SELECT case_id, event_type, outcome, outcome_reason, received_at FROM case_events WHERE event_id = ? AND kafka_topic <> ?',
      [eventId, carriedOverTopic],
    );
    return row;
  }

  /** One page of every open deadline of the node's database, in key order after `after` (for the reconciler). */
  openDeadlines(after: { caseId: string; name: string } | undefined, limit: number): Promise<OpenDeadline[]> {
    return this.dataSource.query(
      `SELECT case_id AS caseId, name, due_at AS dueAt, owner_division AS ownerDivision FROM case_timers
       ${after ? 'WHERE (case_id, name) > (?, ?)' : ''} ORDER BY case_id, name LIMIT ${Number(limit)}`,
      after ? [after.caseId, after.name] : [],
    );
  }

  /** Records a read that answered with personal data in the node's disclosures chain. */
  async recordRead(audit: AuditLog, input: DisclosureInput): Promise<void> {
    await recordDisclosure(audit, this.dataSource, input);
  }
}
