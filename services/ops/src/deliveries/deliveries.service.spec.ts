import type { AuditInput, AuditLog } from '@tongban/audit';
import { JsonLogger } from '@tongban/observability';
import type { Operator } from '../operators/operator-registry';
import { DeliveriesService } from './deliveries.service';
import type { DeliveryAnswer, DeliveryClient } from './delivery-client';

const olga: Operator = { name: 'olga', role: 'operator', permissions: ['delivery.redeliver'] };

function setUp(answer: DeliveryAnswer | Error) {
  const calls: string[] = [];
  const recorded: AuditInput[] = [];
  const reply = async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const client = {
    url: 'http://127.0.0.1:3400',
    list: (q: URLSearchParams) => (calls.push(`GET ?${q}`), reply()),
    redeliver: (id: string) => (calls.push(`POST ${id}`), reply()),
  } as unknown as DeliveryClient;
  const audit = { record: async (e: AuditInput) => void recorded.push(e) } as unknown as AuditLog;
  return { service: new DeliveriesService(client, audit, new JsonLogger('ops', undefined, 'error')), calls, recorded };
}

describe('DeliveriesService', () => {
  it('asks the delivery service for the filtered list and gives each row with its partner', async () => {
    const { service, calls } = setUp({
      status: 200,
      body: { deliveries: [{ deliveryId: '4', systemName: 'dazu', state: 'parked', attempts: 3, caseId: 'FUN-1' }] },
    });
    const r = await service.list({ state: 'parked', limit: 50 });
    expect(calls).toEqual(['GET ?state=parked&limit=50']);
    expect(r.deliveries).toEqual([expect.objectContaining({ deliveryId: '4', partner: 'dazu', state: 'parked', attempts: 3, caseId: 'FUN-1' })]);
  });

  it('records a redelivery in the audit chain under the operator, with its case and event', async () => {
    const { service, calls, recorded } = setUp({
      status: 202,
      body: { deliveryId: '4', state: 'queued', eventId: 'e-4', eventType: 'DeathRegistered', caseId: 'FUN-1', subscriptionId: 's-1' },
    });
    expect(await service.redeliver('4', olga, 'the partner fixed its certificate')).toEqual({
      deliveryId: '4',
      state: 'queued',
      eventId: 'e-4',
      eventType: 'DeathRegistered',
      caseId: 'FUN-1',
    });
    expect(calls).toEqual(['POST 4']);
    expect(recorded).toEqual([
      {
        actor: 'olga',
        action: 'delivery.redeliver',
        subject: { cases: ['FUN-1'], messages: ['e-4'] },
        details: { deliveryId: '4', eventType: 'DeathRegistered', subscriptionId: 's-1', reason: 'the partner fixed its certificate' },
      },
    ]);
  });

  it('passes a refusal on and records nothing', async () => {
    const { service, recorded } = setUp({
      status: 409,
      body: { code: 'DELIVERY.NOT_PARKED', detail: 'delivery 4 is queued; only a parked delivery is redelivered' },
    });
    await expect(service.redeliver('4', olga)).rejects.toMatchObject({ code: 'DELIVERY.NOT_PARKED', message: expect.stringContaining('delivery 4 is queued') });
    expect(recorded).toEqual([]);
  });

  it('answers a delivery service that does not answer as unavailable, naming where it was asked', async () => {
    const { service } = setUp(new Error('connect ECONNREFUSED 127.0.0.1:3400'));
    await expect(service.list({ limit: 10 })).rejects.toMatchObject({
      code: 'DEPENDENCY.UNAVAILABLE',
      message: expect.stringContaining('http://127.0.0.1:3400 did not answer'),
    });
  });

  it('says so when no delivery service is configured', async () => {
    const service = new DeliveriesService(undefined, {} as AuditLog, new JsonLogger('ops', undefined, 'error'));
    await expect(service.list({ limit: 10 })).rejects.toMatchObject({ code: 'REQUEST.CONFLICT', message: expect.stringContaining('TONGBAN_OPS_DELIVERY_URL') });
  });
});
