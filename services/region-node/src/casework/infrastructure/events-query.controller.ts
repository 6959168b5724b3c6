import { Controller, Get, Inject, Param } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@tongban/http';
import { NODE_DATA_SOURCE } from './cases-query.controller';

/**
 * Whether this node has applied an event (by id), for the ops service: a replay of an applied event
 * is a no-op, and the operator is told so. Internal only.
 */
@Controller('internal/events')
export class EventsQueryController {
  constructor(@Inject(NODE_DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get(':eventId')
  async one(@Param('eventId') eventId: string): Promise<unknown> {
    const [applied] = await this.dataSource.query('SELECT applied_at FROM applied_events WHERE event_id = ? LIMIT 1', [eventId]);
    if (!applied) throw new NotFoundError(`event ${eventId} has not been applied here`, 'CASE.EVENT_NOT_APPLIED');
    const [history] = await this.dataSource.query('SELECT case_id, event_type, outcome, outcome_reason FROM case_events WHERE event_id = ?', [eventId]);
    return {
      eventId,
      appliedAt: new Date(applied.applied_at).toISOString(),
      caseId: history?.case_id ?? null,
      eventType: history?.event_type ?? null,
      outcome: history?.outcome ?? null,
      reason: history?.outcome_reason ?? null,
    };
  }
}
