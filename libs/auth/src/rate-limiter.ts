import { TongbanError } from '@tongban/errors';

export class RateLimitedError extends TongbanError {
  constructor(readonly retryAfterSeconds: number) {
    super('AUTH.RATE_LIMITED', `rate limit of this API key exceeded; retry after ${retryAfterSeconds} s`);
  }
}

/** What the limiter needs of a Redis client (ioredis fits). */
export interface RedisEval {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

// Token bucket in one Lua call, so every gateway replica shares the bucket and the check is atomic.
// The clock is Redis's own (TIME), so replicas with skewed clocks still agree.
const TOKEN_BUCKET = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
`;

export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

/** A token bucket per API key in Redis: `ratePerSecond` refill, `burst` capacity. */
export class TokenBucketLimiter {
  /** Buckets of this process alone, used while Redis does not answer. */
  private readonly local = new Map<string, { tokens: number; ts: number }>();
  private degraded = false;
  /** While degraded, Redis is asked again only from this time on, so an outage costs requests no waiting. */
  private retryRedisAt = 0;

  /**
   * `onError` hears of the first Redis failure of an outage (not of every request), `onRecovered` of its end.
   */
  constructor(
    private readonly redis: RedisEval,
    private readonly keyPrefix: string,
    private readonly onError: (e: unknown) => void = () => undefined,
    private readonly onRecovered: () => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long the limit stays per process after a Redis failure before Redis is asked again. */
  static readonly REDIS_RETRY_MS = 2000;

  /** Whether the limit is kept per process because Redis failed. */
  get perProcess(): boolean {
    return this.degraded;
  }

  /** Resolves when allowed; throws RateLimitedError otherwise. While Redis fails, each process keeps the limit itself. */
  async take(bucket: string, limit: RateLimit): Promise<void> {
    if (limit.ratePerSecond <= 0) return;
    let answer: [number, number];
    if (this.degraded && this.now() < this.retryRedisAt) {
      answer = this.takeLocally(bucket, limit);
      if (Number(answer[0]) !== 1) throw new RateLimitedError(Math.max(1, Math.ceil(Number(answer[1]) / 1000)));
      return;
    }
    try {
      answer = (await this.redis.eval(TOKEN_BUCKET, 1, `${this.keyPrefix}:ratelimit:${bucket}`, limit.ratePerSecond, Math.max(1, limit.burst))) as [
        number,
        number,
      ];
      if (this.degraded) {
        this.degraded = false;
        this.local.clear();
        this.onRecovered();
      }
    } catch (e) {
      // Availability first: a Redis outage must not stop every municipal system from publishing, nor lift
      // the limit; each gateway keeps it on its own until Redis answers again.
      this.retryRedisAt = this.now() + TokenBucketLimiter.REDIS_RETRY_MS;
      if (!this.degraded) {
        this.degraded = true;
        this.local.clear();
        this.onError(e);
      }
      answer = this.takeLocally(bucket, limit);
    }
    if (Number(answer[0]) !== 1) throw new RateLimitedError(Math.max(1, Math.ceil(Number(answer[1]) / 1000)));
  }

  private takeLocally(bucket: string, limit: RateLimit): [number, number] {
    const now = this.now();
    const burst = Math.max(1, limit.burst);
    const state = this.local.get(bucket) ?? { tokens: burst, ts: now };
    state.tokens = Math.min(burst, state.tokens + (Math.max(0, now - state.ts) * limit.ratePerSecond) / 1000);
    state.ts = now;
    if (this.local.size >= 10_000 && !this.local.has(bucket)) this.local.clear();
    this.local.set(bucket, state);
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return [1, 0];
    }
    return [0, Math.ceil(((1 - state.tokens) * 1000) / limit.ratePerSecond)];
  }
}
