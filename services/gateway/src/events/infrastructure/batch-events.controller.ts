import { Body, Controller, Headers, HttpCode, Inject, PayloadTooLargeException, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ValidationError } from '@tongban/errors';
import { JsonLogger } from '@tongban/observability';
import { AcceptEventService } from '../application/accept-event.service';
import { BatchResult, batchResults, splitBatch } from '../domain/event-batch';
import type { GatewayAuth } from '../../auth/gateway-auth';
import { errorAnswerOf } from './error-answer';
import { API_KEYS, GATEWAY_LOGGER } from './events.controller';

/**
 * `POST /v1/events:batch`: up to 500 events in one request (a municipal system's nightly upload). Each item
 * is judged exactly as `POST /v1/events` judges one request; the valid ones are stored in one transaction,
 * and the answer is 207 with one result per item, in order. A batch that cannot be read as a whole (not an
 * array, empty, too many items, no valid key) is refused as a whole; so is every item when a dependency is
 * down (503 with Retry-After, nothing stored).
 */
@Controller()
export class BatchEventsController {
  constructor(
    private readonly accept: AcceptEventService,
    @Inject(API_KEYS) private readonly keys: GatewayAuth,
    @Inject(GATEWAY_LOGGER) private readonly logger: JsonLogger,
  ) {}

  @Post('v1/events\\:batch')
  @HttpCode(207)
  async upload(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ results: BatchResult[] }> {
    const caller = await this.keys.caller(authorization, res);
    const split = splitBatch(body);
    if (!split.ok) {
      if (split.tooMany) throw new PayloadTooLargeException(split.problem.problem);
      throw new ValidationError([split.problem]);
    }
    const outcomes = await this.accept.acceptBatch(caller, split.items);
    const results = batchResults(outcomes, errorAnswerOf);
    // An item no single request would be refused with a 4xx: the request is answered as that request would be.
    const failed = results.findIndex((r) => r.status >= 500);
    if (failed >= 0) throw (outcomes[failed] as PromiseRejectedResult).reason;
    const accepted = results.filter((r) => r.status === 202);
    this.logger.event('info', 'event batch accepted', {
      caller: caller.keyId,
      items: results.length,
      accepted: accepted.length,
      replayed: accepted.filter((r) => r.replayed).length,
      refused: results.length - accepted.length,
    });
    return { results };
  }
}
