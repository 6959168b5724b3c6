import { hashApiKey, keyIdOf, legacyKeyIdOf, newSalt } from './api-key-credentials';
import { ApiKeyService } from './api-key.service';
import { ApiKeyRecord, ApiKeyStore } from './api-key.store';
import { RateLimitedError, TokenBucketLimiter } from './rate-limiter';

class MemoryStore implements ApiKeyStore {
  readonly rows = new Map<string, ApiKeyRecord>();
  async find(keyId: string) {
    return this.rows.get(keyId) ? { ...this.rows.get(keyId)! } : undefined;
  }
  async insert(r: ApiKeyRecord, o: { ignoreExisting?: boolean } = {}) {
    if (this.rows.has(r.keyId)) {
      if (o.ignoreExisting) return false;
      throw new Error('duplicate');
    }
    this.rows.set(r.keyId, { ...r });
    return true;
  }
  async expireBy(keyId: string, at: Date) {
    const r = this.rows.get(keyId)!;
    if (!r.expiresAt || r.expiresAt > at) r.expiresAt = at;
  }
  async revoke(keyId: string, at: Date) {
    const r = this.rows.get(keyId)!;
    if (r.revokedAt) return false;
    r.revokedAt = at;
    return true;
  }
  async list(f: { systemName?: string } = {}) {
    return [...this.rows.values()].filter((r) => !f.systemName || r.systemName === f.systemName);
  }
}

const ID_KEY = 'key-id-key-0123456789';
const legacyRow = (key: string, binding: string, revokedAt: Date | null = null): ApiKeyRecord => {
  const salt = newSalt();
  return {
    keyId: legacyKeyIdOf(key),
    salt,
    keyHash: hashApiKey(key, salt),
    division: binding,
    officeId: null,
    systemName: `bootstrap:${binding}`,
    origin: 'bootstrap',
    rotatedFrom: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: null,
    revokedAt,
    ratePerSecond: null,
    burst: null,
  };
};

describe('API keys', () => {
  it('gives configured keys keyed ids, and moves a key stored under its former id to it', async () => {
    const store = new MemoryStore();
    await store.insert(legacyRow('dev-chengdu', '510100'));
    const keys = new ApiKeyService({ store, defaultLimit: { ratePerSecond: 0, burst: 1 }, limitBootstrapKeys: true, keyIdKey: ID_KEY, cacheMs: 0 });
    await keys.seedBootstrap([{ key: 'dev-chengdu', binding: '510100' }]);
    const caller = await keys.authenticate('Bearer dev-chengdu');
    expect(caller.keyId).toBe(keyIdOf('dev-chengdu', ID_KEY));
    expect(caller.keyId).not.toBe(legacyKeyIdOf('dev-chengdu'));
    // The former row no longer authenticates, but what was made with it follows the carried-over key.
    expect((await store.find(legacyKeyIdOf('dev-chengdu')))?.revokedAt).not.toBeNull();
    expect((await store.find(caller.keyId))?.rotatedFrom).toBe(legacyKeyIdOf('dev-chengdu'));
    expect(await keys.isLive(legacyKeyIdOf('dev-chengdu'))).toBe(true);
    // A second start changes nothing.
    await keys.seedBootstrap([{ key: 'dev-chengdu', binding: '510100' }]);
    expect(store.rows.size).toBe(2);
  });

  it('keeps a revoked configured key revoked when it moves to its keyed id', async () => {
    const store = new MemoryStore();
    await store.insert(legacyRow('dev-dazu-key', '500111', new Date('2026-02-01T00:00:00Z')));
    const keys = new ApiKeyService({ store, defaultLimit: { ratePerSecond: 0, burst: 1 }, limitBootstrapKeys: true, keyIdKey: ID_KEY, cacheMs: 0 });
    await keys.seedBootstrap([{ key: 'dev-dazu-key', binding: '500111' }]);
    await expect(keys.authenticate('Bearer dev-dazu-key')).rejects.toThrow('API key revoked');
    expect(await keys.isLive(keyIdOf('dev-dazu-key', ID_KEY))).toBe(false);
  });

  it('stops what a revoked key made, but not what a rotated key made', async () => {
    const store = new MemoryStore();
    const keys = new ApiKeyService({ store, defaultLimit: { ratePerSecond: 0, burst: 1 }, limitBootstrapKeys: true, keyIdKey: ID_KEY, cacheMs: 0 });
    const a = await keys.issue({ systemName: 'dazu-partner', binding: '500111' });
    const rotated = await keys.rotate(a.view.keyId, 0);
    expect(await keys.isLive(a.view.keyId)).toBe(true);
    await keys.revoke(rotated.view.keyId);
    expect(await keys.isLive(a.view.keyId)).toBe(false);
    expect(await keys.isLive('no-such-key')).toBe(false);
  });

  it('rate limits configured keys like issued ones', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const limiter = new TokenBucketLimiter({ eval: async (_s, _n, bucket) => (calls.push(String(bucket)), calls.length > 2 ? [0, 1500] : [1, 0]) }, 'tb');
    const keys = new ApiKeyService({ store, limiter, defaultLimit: { ratePerSecond: 1, burst: 2 }, limitBootstrapKeys: true, keyIdKey: ID_KEY, cacheMs: 0 });
    await keys.seedBootstrap([{ key: 'dev-chengdu', binding: '510100' }]);
    await keys.authenticate('Bearer dev-chengdu');
    await keys.authenticate('Bearer dev-chengdu');
    await expect(keys.authenticate('Bearer dev-chengdu')).rejects.toBeInstanceOf(RateLimitedError);
    expect(calls[0]).toBe(`tb:ratelimit:${keyIdOf('dev-chengdu', ID_KEY)}`);
  });
});
