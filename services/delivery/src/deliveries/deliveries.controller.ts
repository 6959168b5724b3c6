import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiKeyService, bearerToken, secretEquals } from '@tongban/auth';
import { TongbanError, ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { DELIVERY_KEYS } from '../subscriptions/subscriptions.controller';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { DeliveryStore } from './delivery.store';
import { DeliveryWorker } from './delivery.worker';

export const DELIVERY_ADMIN_TOKEN = Symbol('DELIVERY_ADMIN_TOKEN');
/** The states a delivery passes through (GET /v1/deliveries?state=). */
export const DELIVERY_STATES = ['waiting', 'queued', 'delivered', 'parked'];

/**
 * Deliveries for operators (admin token: every subscription; the ops service calls these) and for a
 * partner (its API key: its own subscriptions). Parked deliveries are redelivered on request.
 */
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(
    @Inject(DELIVERY_KEYS) private readonly keys: ApiKeyService,
    @Inject(DELIVERY_ADMIN_TOKEN) private readonly adminToken: string,
    private readonly store: DeliveryStore,
    private readonly subscriptions: SubscriptionRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  @Get()
  async list(
    @Headers('authorization') authorization: string | undefined,
    @Query('state') state?: string,
    @Query('caseId') caseId?: string,
    @Query('limit') limit?: string,
  ) {
    if (state !== undefined && !DELIVERY_STATES.includes(state))
      throw new ValidationError([{ path: 'state', problem: `must be one of ${DELIVERY_STATES.join(', ')}` }]);
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ValidationError([{ path: 'limit', problem: 'must be 1–1000' }]);
    const scope = await this.scope(authorization);
    return { deliveries: await this.store.list({ state, caseId, limit: n, subscriptionIds: scope }) };
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  async redeliver(@Headers('authorization') authorization: string | undefined, @Param('id') id: string) {
    const scope = await this.scope(authorization);
    const row = /^\d{1,18}$/.test(id) ? await this.store.get(id) : undefined;
    if (!row || (scope && !scope.includes(row.subscription_id))) throw new NotFoundError(`no delivery ${id}`, 'DELIVERY.NOT_FOUND');
    const ready = await this.store.redeliver(id);
    if (!ready) throw new TongbanError('DELIVERY.NOT_PARKED', `delivery ${id} is ${row.state}; only a parked delivery is redelivered`);
    await this.worker.enqueue(ready);
    // What was queued, so a caller acting for an operator (ops) can record which case and event it was.
    return { deliveryId: id, state: 'queued', eventId: row.event_id, eventType: row.event_type, caseId: row.case_id, subscriptionId: row.subscription_id };
  }

  /** undefined: everything (admin); otherwise the caller's own subscriptions. */
  private async scope(authorization: string | undefined): Promise<string[] | undefined> {
    const token = bearerToken(authorization);
    if (token && secretEquals(token, this.adminToken)) return undefined;
    const caller = await this.keys.authenticate(authorization);
    return (await this.subscriptions.listBySystem(caller.system ?? caller.keyId)).map((s) => s.subscriptionId);
  }
}
