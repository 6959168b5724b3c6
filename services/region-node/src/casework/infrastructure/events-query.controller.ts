import { Controller, Get, Inject, Param } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@tongban/http';
import { CARRIED_OVER_TOPIC } from '../domain';
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
    // The history row is the node's record of an event it applied; an entry carried over with a hand-over was applied elsewhere.
    const [history] = await this.dataSource.query('SELECT case_id, event_type, outcome, outcome_reason, received_at FROM case_events WHERE event_id = ? AND kafka_topic <> ?', [
      eventId, CARRIED_OVER_TOPIC,
    ]);
    if (!history) throw new NotFoundError(`event ${eventId} has not been applied here`, 'CASE.EVENT_NOT_APPLIED');
    return {
      eventId,
      appliedAt: new Date(history.received_at).toISOString(),
      caseId: history?.case_id ?? null,
      eventType: history?.event_type ?? null,
      outcome: history?.outcome ?? null,
      reason: history?.outcome_reason ?? null,
    };
  }
}
