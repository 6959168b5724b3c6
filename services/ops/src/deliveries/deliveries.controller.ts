import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Problem } from '@tongban/errors';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS, operatorOf } from '../operators/operator-request';
import { failOn } from '../dead-letters/infrastructure/dlq-filter';
import { DeliveriesService } from './deliveries.service';
import { DELIVERY_ID, parseDeliveryQuery } from './delivery-view';

/**
 * The province's webhook deliveries, asked of the delivery service by ops (the browser holds only the operator's token):
 *
 * - `GET  /v1/deliveries?state=parked&caseId=…&limit=100` (viewer) — oldest first, each with its partner system
 * - `POST /v1/deliveries/:id/redeliver` `{"reason"?}` (operator) — queues a parked delivery again; audited
 */
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveriesService,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Get()
  list(@Req() req: Request, @Query('state') state?: string, @Query('caseId') caseId?: string, @Query('limit') limit?: string): Promise<unknown> {
    operatorOf(this.operators, req, 'delivery.read');
    const problems: Problem[] = [];
    const query = parseDeliveryQuery({ state, caseId, limit }, problems);
    failOn(problems);
    return this.deliveries.list(query);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  redeliver(@Req() req: Request, @Param('id') id: string, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'delivery.redeliver');
    const problems: Problem[] = [];
    if (!DELIVERY_ID.test(id)) problems.push({ path: 'id', problem: 'must be a delivery id (a number)' });
    if (body?.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 2000))
      problems.push({ path: 'reason', problem: 'must be a string of at most 2000 characters' });
    failOn(problems);
    const reason = typeof body?.reason === 'string' && body.reason.trim() ? body.reason.trim() : undefined;
    return this.deliveries.redeliver(id, operator, reason);
  }
}
