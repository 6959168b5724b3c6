import { FailedAttemptLimiter } from './failed-attempts';

describe('failed authentication attempts per address', () => {
  it('lets an address fail N times a minute, then tells it how long to wait', () => {
    let now = 1_000_000;
    const limiter = new FailedAttemptLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('203.0.113.7')).toBe(0);
      limiter.fail('203.0.113.7');
    }
    expect(limiter.retryAfter('203.0.113.7')).toBe(60);
    expect(limiter.retryAfter('198.51.100.1')).toBe(0);
    now += 45_000;
    expect(limiter.retryAfter('203.0.113.7')).toBe(15);
    now += 15_000;
    expect(limiter.retryAfter('203.0.113.7')).toBe(0);
  });
});
