import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ValidationError } from '@tongban/errors';
import { CASE_QUERIES } from '../casework/infrastructure/cases-query.controller';
import type { CaseQueryRepository } from '../casework/infrastructure/case-query.repository';

export const ARRIVALS_INBOX = Symbol('ARRIVALS_INBOX');

/** One event of the other province this node recorded: its outcome and when. */
export interface Arrival {
  eventId: string;
  caseId: string;
  /** applied, rejected or noted, as the case's history says. */
  outcome: string;
  /** When the node recorded it (case_events.received_at). */
  at: string;
}

const PROVINCE = /^\d{2}0000$/;
const MAX_LIMIT = 1000;

/**
 * The events from another province that this node recorded from its inbox, in the order it recorded them,
 * for the receiving province's ops service, which sends their receipts back to the province that accepted
 * them. Read only; the apply path knows nothing of it. Internal (service token) like every route here.
 *
 * `GET /internal/arrivals?from=<province>&since=<ISO instant>&afterEventId=<id>&limit=<n>`: rows recorded at
 * or after `since` (and, at `since` itself, after `afterEventId`), keyset-paged by (received_at, event_id).
 */
@Controller('internal/arrivals')
export class ArrivalsController {
  constructor(
    @Inject(CASE_QUERIES) private readonly cases: CaseQueryRepository,
    @Inject(ARRIVALS_INBOX) private readonly inbox: string,
  ) {}

  @Get()
  async list(
    @Query('from') from?: string,
    @Query('since') since?: string,
    @Query('afterEventId') afterEventId?: string,
    @Query('limit') limit?: string,
  ): Promise<{ arrivals: Arrival[] }> {
    const problems = [];
    if (typeof from !== 'string' || !PROVINCE.test(from)) problems.push({ path: 'from', problem: 'must be a province division code such as 510000' });
    const sinceAt = typeof since === 'string' && since !== '' ? new Date(since) : new Date(0);
    if (Number.isNaN(sinceAt.getTime())) problems.push({ path: 'since', problem: 'must be an ISO-8601 instant' });
    if (afterEventId !== undefined && (typeof afterEventId !== 'string' || !/^[0-9a-f-]{0,36}$/i.test(afterEventId))) {
      problems.push({ path: 'afterEventId', problem: 'must be an event id' });
    }
    const n = limit === undefined ? 500 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) problems.push({ path: 'limit', problem: `must be a whole number from 1 to ${MAX_LIMIT}` });
    if (problems.length) throw new ValidationError(problems);
    const after = typeof afterEventId === 'string' ? afterEventId.toLowerCase() : '';
    // From the inbox and its retry topics only: the region's own copies and carried-over history are no arrivals.
    const rows = await this.cases.arrivals({ fromProvince: from!, inbox: this.inbox, since: sinceAt, afterEventId: after, limit: n });
    return {
      arrivals: rows.map((r) => ({
        eventId: r.event_id,
        caseId: r.case_id,
        outcome: r.outcome,
        at: (r.received_at instanceof Date ? r.received_at : new Date(`${r.received_at}Z`)).toISOString(),
      })),
    };
  }
}
