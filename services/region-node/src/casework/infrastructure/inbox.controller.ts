import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InboxBatchItem, InboxContext } from '@tongban/kafka';
import type { Counter } from 'prom-client';
import { JsonLogger, traceHeadersOf } from '@tongban/observability';
import { ApplyEventService, ApplyOutcome, IncomingEvent } from '../application/apply-event.service';

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
    noteOutcome(this.logger, this.applied, event, outcome, partition, offset);
  }
}

/**
 * The transport's batch path (`ServerTongbanKafka` option `applyBatch`): a run of inbox messages of one partition
 * applied in one transaction, each outcome counted and logged as `InboxController` does for one message.
 */
export function inboxBatchHandler(
  apply: Pick<ApplyEventService<never>, 'applyBatch'>,
  logger: JsonLogger,
  applied: Counter,
): (items: InboxBatchItem[]) => Promise<ApplyOutcome[]> {
  return async (items) => {
    const outcomes = await apply.applyBatch(
      items.map(({ value, meta: { topic, partition, offset, schemaId, headers } }) => ({
        event: value as IncomingEvent,
        delivery: { topic, partition, offset, schemaId, traceHeaders: traceHeadersOf(headers) },
      })),
    );
    outcomes.forEach((outcome, i) => noteOutcome(logger, applied, items[i].value as IncomingEvent, outcome, items[i].meta.partition, items[i].meta.offset));
    return outcomes;
  };
}

function noteOutcome(logger: JsonLogger, applied: Counter, event: IncomingEvent, outcome: ApplyOutcome, partition: number, offset: string): void {
  applied.inc({ event_type: event.envelope.eventType, outcome });
  logger.event(outcome === 'duplicate' ? 'debug' : 'info', outcome === 'duplicate' ? 'event seen before, skipped' : 'event applied', {
    eventType: event.envelope.eventType,
    sourceRegion: event.envelope.sourceRegion,
    targetRegion: event.envelope.targetRegion,
    partition,
    offset,
  });
}
