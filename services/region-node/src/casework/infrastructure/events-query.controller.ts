import { Controller, Get, Inject, Param } from '@nestjs/common';
import { NotFoundError } from '@tongban/http';
import { CARRIED_OVER_TOPIC } from '../domain';
import { CASE_QUERIES } from './cases-query.controller';
import { CaseQueryRepository } from './case-query.repository';

/**
 * Whether this node has applied an event (by id), for the ops service: a replay of an applied event
 * is a no-op, and the operator is told so. Internal only.
 */
@Controller('internal/events')
export class EventsQueryController {
  constructor(@Inject(CASE_QUERIES) private readonly cases: CaseQueryRepository) {}

  @Get(':eventId')
  async one(@Param('eventId') eventId: string): Promise<unknown> {
    const history = await this.cases.appliedEvent(eventId, CARRIED_OVER_TOPIC);
    if (!history) throw new NotFoundError(`event ${eventId} has not been applied here`, 'CASE.EVENT_NOT_APPLIED');
    return {
      eventId,
      appliedAt: new Date(history.received_at as string).toISOString(),
      caseId: history.case_id ?? null,
      eventType: history.event_type ?? null,
      outcome: history.outcome ?? null,
      reason: history.outcome_reason ?? null,
    };
  }
}
