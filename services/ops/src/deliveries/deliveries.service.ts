import { AuditLog } from '@tongban/audit';
import { TongbanError } from '@tongban/errors';
import { JsonLogger } from '@tongban/observability';
import type { Operator } from '../operators/operator-registry';
import { dependencyRefusal } from '../dependency-refusal';
import { DeliveryAnswer, DeliveryClient } from './delivery-client';
import { DeliveryQuery, deliveryRow, DeliveryRow } from './delivery-view';

const CREDENTIAL = 'TONGBAN_OPS_DELIVERY_TOKEN';

/**
 * Webhook deliveries of this province's delivery service, for operators: listed and redelivered there by ops,
 * with the delivery's admin token ops holds, and every redelivery recorded in ops' audit chain.
 */
export class DeliveriesService {
  constructor(
    /** Undefined when no delivery service is configured (TONGBAN_OPS_DELIVERY_URL). */
    private readonly client: DeliveryClient | undefined,
    private readonly audit: AuditLog,
    private readonly logger: JsonLogger,
  ) {}

  async list(q: DeliveryQuery): Promise<{ deliveries: DeliveryRow[] }> {
    const query = new URLSearchParams({ ...(q.state ? { state: q.state } : {}), ...(q.caseId ? { caseId: q.caseId } : {}), limit: String(q.limit) });
    const answer = await this.ask('list deliveries', (c) => c.list(query));
    if (answer.status !== 200 || !Array.isArray(answer.body.deliveries)) throw dependencyRefusal('delivery service', answer, CREDENTIAL);
    return { deliveries: (answer.body.deliveries as Array<Record<string, unknown>>).map(deliveryRow) };
  }

  async redeliver(id: string, operator: Operator, reason?: string): Promise<Record<string, unknown>> {
    const answer = await this.ask(`redeliver ${id}`, (c) => c.redeliver(id));
    if (answer.status !== 202) throw dependencyRefusal('delivery service', answer, CREDENTIAL);
    const b = answer.body;
    const caseId = typeof b.caseId === 'string' ? b.caseId : undefined;
    await this.audit.record({
      actor: operator.name,
      action: 'delivery.redeliver',
      subject: { cases: caseId ? [caseId] : [], messages: typeof b.eventId === 'string' ? [b.eventId] : [] },
      details: { deliveryId: id, eventType: b.eventType ?? null, subscriptionId: b.subscriptionId ?? null, ...(reason ? { reason } : {}) },
    });
    this.logger.event('info', 'delivery redelivered by an operator', { deliveryId: id, caseId, operator: operator.name });
    return { deliveryId: id, state: b.state, eventId: b.eventId ?? null, eventType: b.eventType ?? null, caseId: caseId ?? null };
  }

  private async ask(what: string, call: (c: DeliveryClient) => Promise<DeliveryAnswer>): Promise<DeliveryAnswer> {
    if (!this.client) throw new TongbanError('REQUEST.CONFLICT', 'this ops has no delivery service to ask (TONGBAN_OPS_DELIVERY_URL)');
    try {
      return await call(this.client);
    } catch (e) {
      throw new TongbanError('DEPENDENCY.UNAVAILABLE', `the delivery service at ${this.client.url} did not answer (${what}): ${(e as Error).message}`, true);
    }
  }
}
