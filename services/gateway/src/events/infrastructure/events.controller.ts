import { Body, Controller, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { withLogContext, JsonLogger } from '@tongban/observability';
import { AcceptEventService } from '../application/accept-event.service';
import type { GatewayAuth } from '../../auth/gateway-auth';

export const API_KEYS = Symbol('API_KEYS');
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');

@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly accept: AcceptEventService,
    @Inject(API_KEYS) private readonly keys: GatewayAuth,
    @Inject(GATEWAY_LOGGER) private readonly logger: JsonLogger,
  ) {}

  @Post()
  @HttpCode(202)
  async publish(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-correlation-id') correlationHeader: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ eventId: string; caseId: string; correlationId: string }> {
    const caller = await this.keys.caller(authorization, res);
    const accepted = await this.accept.accept(caller, body, idempotencyKey, correlationHeader);
    withLogContext({ correlationId: accepted.correlationId, eventId: accepted.eventId, caseId: accepted.caseId }, () =>
      this.logger.event('info', accepted.replayed ? 'event request replayed' : 'event accepted', {
        eventType: (body as { eventType?: string }).eventType,
        caller: caller.keyId,
      }),
    );
    res.setHeader('x-correlation-id', accepted.correlationId);
    if (accepted.replayed) res.setHeader('idempotent-replayed', 'true');
    return { eventId: accepted.eventId, caseId: accepted.caseId, correlationId: accepted.correlationId };
  }
}
