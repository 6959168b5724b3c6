import type { Problem } from '@tongban/errors';
import { deliveryRow, parseDeliveryQuery } from './delivery-view';

describe('deliveryRow', () => {
  it('takes the fields the console shows, the partner from the subscription, and nothing else', () => {
    const row = deliveryRow({
      deliveryId: '12',
      subscriptionId: 's-1',
      systemName: 'dazu-civil-affairs',
      eventId: 'e-1',
      eventType: 'DeathRegistered',
      caseId: 'FUN-1',
      targetRegion: '500111',
      state: 'parked',
      attempts: 9,
      lastStatus: 503,
      lastError: 'HTTP 503',
      createdAt: '2026-11-30T01:00:00.000Z',
      firstAttemptAt: '2026-11-30T01:00:00.000Z',
      deliveredAt: null,
      parkedAt: '2026-11-30T02:00:00.000Z',
      body: '{"payload":{"idNumber":"x"}}',
    });
    expect(row).toEqual({
      deliveryId: '12',
      partner: 'dazu-civil-affairs',
      subscriptionId: 's-1',
      eventId: 'e-1',
      eventType: 'DeathRegistered',
      caseId: 'FUN-1',
      targetRegion: '500111',
      state: 'parked',
      attempts: 9,
      lastStatus: 503,
      lastError: 'HTTP 503',
      createdAt: '2026-11-30T01:00:00.000Z',
      parkedAt: '2026-11-30T02:00:00.000Z',
    });
  });

  it('gives nulls where the delivery service had none (a receiver that never answered, a deleted subscription)', () => {
    expect(deliveryRow({ deliveryId: 3, attempts: 'many' })).toMatchObject({
      deliveryId: '3',
      partner: null,
      attempts: 0,
      lastStatus: null,
      lastError: null,
      parkedAt: null,
    });
  });
});

describe('parseDeliveryQuery', () => {
  it.each([
    [{}, { limit: 100 }, []],
    [{ state: 'parked', caseId: ' FUN-1 ', limit: '20' }, { state: 'parked', caseId: 'FUN-1', limit: 20 }, []],
    [{ state: 'lost' }, { limit: 100 }, ['state']],
    [{ limit: '0' }, { limit: 100 }, ['limit']],
    [{ limit: '1001' }, { limit: 100 }, ['limit']],
    [{ limit: '2.5' }, { limit: 100 }, ['limit']],
    [{ caseId: 'C'.repeat(101), state: 'x', limit: 'all' }, { limit: 100 }, ['state', 'caseId', 'limit']],
  ])('reads %j', (input, query, paths) => {
    const problems: Problem[] = [];
    expect(parseDeliveryQuery(input, problems)).toEqual(query);
    expect(problems.map((p) => p.path)).toEqual(paths);
  });
});
