import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InboxContext } from '@tongban/kafka';
import type { Counter } from 'prom-client';
import { JsonLogger } from '@tongban/observability';
import { ApplyEventService, IncomingEvent } from '../application/apply-event.service';

export const NODE_LOGGER = Symbol('NODE_LOGGER');
export const APPLIED_COUNTER = Symbol('APPLIED_COUNTER');

/** Every event of the node's inbox goes to its case. */
@Controller()
export class InboxController {
  constructor(
    private readonly apply: ApplyEventService,
    @Inject(NODE_LOGGER) private readonly logger: JsonLogger,
    @Inject(APPLIED_COUNTER) private readonly applied: Counter,
  ) {}

  @EventPattern('*')
  async onEvent(@Payload() event: IncomingEvent, @Ctx() ctx: InboxContext): Promise<void> {
    const { topic, partition, offset, schemaId } = ctx.meta;
    const outcome = await this.apply.apply(event, { topic, partition, offset, schemaId });
    this.applied.inc({ event_type: event.envelope.eventType, outcome });
    this.logger.event(outcome === 'duplicate' ? 'debug' : 'info', outcome === 'duplicate' ? 'event seen before, skipped' : 'event applied', {
      eventType: event.envelope.eventType,
      sourceRegion: event.envelope.sourceRegion,
      targetRegion: event.envelope.targetRegion,
      partition,
      offset,
    });
  }
}
