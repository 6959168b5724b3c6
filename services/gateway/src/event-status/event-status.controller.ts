import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { API_KEYS } from '../events/infrastructure/events.controller';
import type { GatewayAuth } from '../auth/gateway-auth';
import { EventStatus, EventStatusReader } from './event-status';

export const EVENT_STATUS = Symbol('EVENT_STATUS');

/** `GET /v1/events/:eventId`: what became of an event the caller published. */
@Controller('v1/events')
export class EventStatusController {
  constructor(
    @Inject(API_KEYS) private readonly keys: GatewayAuth,
    @Inject(EVENT_STATUS) private readonly reader: EventStatusReader,
  ) {}

  @Get(':eventId')
  async one(
    @Param('eventId') eventId: string,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EventStatus> {
    const caller = await this.keys.caller(authorization, res);
    return this.reader.find(caller, eventId);
  }
}
