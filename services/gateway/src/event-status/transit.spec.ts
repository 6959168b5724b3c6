import { crossesTo, Receipt, transitOf } from './transit';

const receipt = (outcome: Receipt['outcome']): Receipt => ({ eventId: 'e', province: '500000', node: '500000', outcome, at: '2026-11-30T03:00:05.000Z' });
const SENT = '2026-11-30T03:00:01.000Z';

describe('where an event is headed', () => {
  it.each([
    ['510000', '500111', '500000'],
    ['500000', '510104', '510000'],
    ['510000', '510104', undefined],
    ['510000', '512021', undefined],
    [undefined, '500111', undefined],
  ])('a gateway of %j sees an event for %j cross to %j', (own, target, to) => expect(crossesTo(own, target)).toBe(to));
});

describe('the transit of an event crossing to the other province', () => {
  it.each([
    ['still in the outbox', { sent: false, sentAt: null }, null],
    ['sent, no receipt', { sent: true, sentAt: SENT }, { status: 'in-transit', since: SENT, at: null, node: null }],
    ['sent, rows purged, no receipt', { sent: true, sentAt: null }, { status: 'in-transit', since: null, at: null, node: null }],
    [
      'applied there',
      { sent: true, sentAt: SENT, receipt: receipt('APPLIED') },
      { status: 'applied', since: SENT, at: '2026-11-30T03:00:05.000Z', node: '500000' },
    ],
    ['rejected there', { sent: true, sentAt: SENT, receipt: receipt('REJECTED') }, { status: 'rejected', at: '2026-11-30T03:00:05.000Z' }],
    ['parked there as a dead letter', { sent: true, sentAt: SENT, receipt: receipt('ARRIVED') }, { status: 'arrived', at: '2026-11-30T03:00:05.000Z' }],
    ['receipts unreadable', { sent: true, sentAt: SENT, receiptsError: 'ops answered 503' }, { status: 'unknown', since: SENT, error: 'ops answered 503' }],
    ['a receipt, while the sent rows say otherwise', { sent: false, sentAt: null, receipt: receipt('APPLIED') }, { status: 'applied' }],
  ])('%s', (_what, p, expected) => {
    const t = transitOf({ to: '500000', ...p });
    if (expected === null) expect(t).toBeNull();
    else expect(t).toMatchObject({ province: '500000', ...expected });
  });
});
