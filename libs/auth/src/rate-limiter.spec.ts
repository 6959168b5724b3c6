import { RateLimitedError, RedisEval, TokenBucketLimiter } from './rate-limiter';

/** A Redis that can be switched off; while on it allows everything (the shared bucket is not under test here). */
class SwitchableRedis implements RedisEval {
  up = true;
  async eval(): Promise<unknown> {
    if (!this.up) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    return [1, 0];
  }
}

describe('TokenBucketLimiter while Redis is down', () => {
  const limit = { ratePerSecond: 1, burst: 2 };

  it('keeps the limit per process, tells of the outage once and of its end once', async () => {
    const redis = new SwitchableRedis();
    let clock = 1_000_000;
    const errors: unknown[] = [];
    let recovered = 0;
    const limiter = new TokenBucketLimiter(
      redis,
      'p',
      (e) => errors.push(e),
      () => recovered++,
      () => clock,
    );
    redis.up = false;
    await limiter.take('k', limit);
    await limiter.take('k', limit);
    await expect(limiter.take('k', limit)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(limiter.take('k', limit)).rejects.toMatchObject({ retryAfterSeconds: 1 });
    expect(limiter.perProcess).toBe(true);
    // Other keys have buckets of their own.
    await limiter.take('other', limit);
    clock += 1000;
    await limiter.take('k', limit);
    expect(errors).toHaveLength(1);
    redis.up = true;
    // Redis is asked again only after a pause, so an outage costs requests no waiting.
    await expect(limiter.take('k', limit)).rejects.toBeInstanceOf(RateLimitedError);
    expect(limiter.perProcess).toBe(true);
    clock += TokenBucketLimiter.REDIS_RETRY_MS;
    for (let i = 0; i < 5; i++) await limiter.take('k', limit);
    expect(limiter.perProcess).toBe(false);
    expect(recovered).toBe(1);
    redis.up = false;
    clock += 5000;
    await limiter.take('k', limit);
    expect(errors).toHaveLength(2);
  });
});
