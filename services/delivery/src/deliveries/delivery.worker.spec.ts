import { backoffDelay, deliveryQueuePrefix } from './delivery.worker';

describe('delivery backoff', () => {
  const p = { backoffInitialMs: 1000, backoffMaxMs: 60_000 };

  it('doubles from the initial delay, jittered over the upper half', () => {
    expect(backoffDelay(1, p, Infinity, () => 0)).toBe(500);
    expect(backoffDelay(1, p, Infinity, () => 1)).toBe(1000);
    expect(backoffDelay(4, p, Infinity, () => 1)).toBe(8000);
  });

  it('is capped by the maximum and never waits past the retry window', () => {
    expect(backoffDelay(30, p, Infinity, () => 1)).toBe(60_000);
    expect(backoffDelay(30, p, 2500, () => 1)).toBe(2500);
    expect(backoffDelay(3, p, -10, () => 1)).toBe(0);
  });
});

describe('delivery queue prefix', () => {
  it('is scoped by the database, so deliveries with different databases on one Redis never share a queue', () => {
    expect(deliveryQueuePrefix('tongban', 'tongban_delivery')).toBe('tongban:delivery:tongban_delivery');
    expect(deliveryQueuePrefix('t-1', 'a')).not.toBe(deliveryQueuePrefix('t-1', 'b'));
  });
});
