import { isDependencyFailure, TongbanError, UnavailableError } from '@tongban/errors';
import { isWellFormedDivision, SERVICE_OFFICES } from '@tongban/regions';
import { Caller, UnauthenticatedError } from './api-keys';
import { apiKeyMatches, bearerToken, generateApiKey, hashApiKey, keyIdOf, legacyKeyIdOf, newSalt } from './api-key-credentials';
import { ApiKeyRecord, ApiKeyStore } from './api-key.store';
import { RateLimit, TokenBucketLimiter } from './rate-limiter';

export class ApiKeyNotFoundError extends TongbanError {
  constructor(keyId: string) {
    super('AUTH.API_KEY_NOT_FOUND', `no API key ${keyId}`);
  }
}

export interface ApiKeyServiceOptions {
  store: ApiKeyStore;
  limiter?: TokenBucketLimiter;
  defaultLimit: RateLimit;
  /** HMAC key of the ids of configured keys (TONGBAN_API_KEY_ID_KEY): equal on every gateway and delivery replica. */
  keyIdKey: string;
  /** Whether keys from TONGBAN_API_KEYS are rate limited like issued ones (on unless turned off). */
  limitBootstrapKeys: boolean;
  /** How long an authenticated key is trusted without reading its row again (revocation on this replica is immediate). */
  cacheMs?: number;
  /** While the key store is unreachable, a key authenticated within this time is still trusted (default 15 min). */
  staleMs?: number;
  now?: () => Date;
}

/** A key as operators see it: everything but the salt and hash. */
export interface ApiKeyView {
  keyId: string;
  systemName: string;
  division: string;
  officeId: string | null;
  origin: string;
  rotatedFrom: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  state: 'active' | 'expired' | 'revoked';
  ratePerSecond: number | null;
  burst: number | null;
}

export interface IssueRequest {
  systemName: string;
  /** A division code, or a service office id such as CQ-HTZ. */
  binding: string;
  expiresAt?: Date | null;
  ratePerSecond?: number | null;
  burst?: number | null;
}

/**
 * API keys of municipal systems and partners, stored hashed: issue, rotate with an overlap,
 * revoke, authenticate, and a shared per-key rate limit.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, { record: ApiKeyRecord; until: number; at: number }>();
  private readonly now: () => Date;

  constructor(private readonly o: ApiKeyServiceOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /**
   * Seeds keys of TONGBAN_API_KEYS; a key already present (even revoked) is left as it is. A key stored
   * under its former, unkeyed id is carried over: its keyed row takes the former row's state and names
   * it in `rotatedFrom`, and the former row is revoked, so it no longer authenticates while what was
   * made with it (webhook subscriptions) follows the rotation.
   */
  async seedBootstrap(keys: Array<{ key: string; binding: string }>): Promise<void> {
    for (const { key, binding } of keys) {
      const salt = newSalt();
      const { division, officeId } = bindingOf(binding);
      const keyId = keyIdOf(key, this.o.keyIdKey);
      const former = await this.o.store.find(legacyKeyIdOf(key));
      const carried = former && former.origin === 'bootstrap' && apiKeyMatches(key, former.salt, former.keyHash) ? former : undefined;
      if (carried && (await this.o.store.find(keyId))) {
        if (!carried.revokedAt) await this.o.store.revoke(carried.keyId, this.now());
        continue;
      }
      await this.o.store.insert(
        {
          keyId,
          salt,
          keyHash: hashApiKey(key, salt),
          division,
          officeId,
          systemName: carried?.systemName ?? `bootstrap:${binding}`,
          origin: 'bootstrap',
          rotatedFrom: carried?.keyId ?? null,
          createdAt: carried?.createdAt ?? this.now(),
          expiresAt: carried?.expiresAt ?? null,
          revokedAt: carried?.revokedAt ?? null,
          ratePerSecond: carried?.ratePerSecond ?? null,
          burst: carried?.burst ?? null,
        },
        { ignoreExisting: true },
      );
      if (carried && !carried.revokedAt) await this.o.store.revoke(carried.keyId, this.now());
    }
  }

  /** The caller behind `Authorization: Bearer <key>`, after the rate limit; 401 or 429 otherwise. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (!authorization) throw new UnauthenticatedError('missing Authorization: Bearer <api key>');
    const key = bearerToken(authorization);
    if (!key) throw new UnauthenticatedError('Authorization must be "Bearer <api key>"');
    const record = await this.lookup(key);
    if (!record) throw new UnauthenticatedError('unknown API key');
    const now = this.now();
    if (record.revokedAt && record.revokedAt <= now) throw new UnauthenticatedError('API key revoked');
    if (record.expiresAt && record.expiresAt <= now) throw new UnauthenticatedError('API key expired');
    if (this.o.limiter && (record.origin === 'issued' || this.o.limitBootstrapKeys)) {
      await this.o.limiter.take(record.keyId, {
        ratePerSecond: record.ratePerSecond ?? this.o.defaultLimit.ratePerSecond,
        burst: record.burst ?? this.o.defaultLimit.burst,
      });
    }
    return callerOf(record);
  }

  async issue(request: IssueRequest, rotatedFrom: string | null = null): Promise<{ key: string; view: ApiKeyView }> {
    const { division, officeId } = bindingOf(request.binding);
    const { keyId, key } = generateApiKey();
    const salt = newSalt();
    const record: ApiKeyRecord = {
      keyId,
      salt,
      keyHash: hashApiKey(key, salt),
      division,
      officeId,
      systemName: request.systemName,
      origin: 'issued',
      rotatedFrom,
      createdAt: this.now(),
      expiresAt: request.expiresAt ?? null,
      revokedAt: null,
      ratePerSecond: request.ratePerSecond ?? null,
      burst: request.burst ?? null,
    };
    await this.o.store.insert(record);
    return { key, view: viewOf(record, this.now()) };
  }

  /** A new key for the same system and division; the old one keeps working for `overlapMs`, then expires. */
  async rotate(keyId: string, overlapMs: number): Promise<{ key: string; view: ApiKeyView; previous: ApiKeyView }> {
    const old = await this.o.store.find(keyId);
    if (!old) throw new ApiKeyNotFoundError(keyId);
    if (old.revokedAt) throw new TongbanError('AUTH.API_KEY_REVOKED', `API key ${keyId} is revoked; issue a new key instead`);
    const issued = await this.issue(
      { systemName: old.systemName, binding: old.officeId ?? old.division, ratePerSecond: old.ratePerSecond, burst: old.burst },
      keyId,
    );
    await this.o.store.expireBy(keyId, new Date(this.now().getTime() + overlapMs));
    this.forget(keyId);
    const previous = (await this.o.store.find(keyId)) as ApiKeyRecord;
    return { ...issued, previous: viewOf(previous, this.now()) };
  }

  async revoke(keyId: string): Promise<ApiKeyView> {
    const found = await this.o.store.find(keyId);
    if (!found) throw new ApiKeyNotFoundError(keyId);
    await this.o.store.revoke(keyId, this.now());
    this.forget(keyId);
    return viewOf((await this.o.store.find(keyId)) as ApiKeyRecord, this.now());
  }

  /**
   * Whether what a key made (a webhook subscription) may still act: the key is neither revoked nor
   * expired, or it was rotated into a key that is (a rotation keeps a partner's subscriptions).
   * Read from the store every time, so a revocation on any replica counts at once.
   */
  async isLive(keyId: string, depth = 0): Promise<boolean> {
    const record = await this.o.store.find(keyId);
    if (!record) return false;
    const now = this.now();
    const active = !(record.revokedAt && record.revokedAt <= now) && !(record.expiresAt && record.expiresAt <= now);
    if (active) return true;
    if (depth >= 16) return false;
    const successors = (await this.o.store.list({ systemName: record.systemName })).filter((r) => r.rotatedFrom === keyId);
    for (const s of successors) if (await this.isLive(s.keyId, depth + 1)) return true;
    return false;
  }

  async list(filter: { systemName?: string } = {}): Promise<ApiKeyView[]> {
    const now = this.now();
    return (await this.o.store.list(filter)).map((r) => viewOf(r, now));
  }

  private forget(keyId: string): void {
    for (const [k, v] of this.cache) if (v.record.keyId === keyId) this.cache.delete(k);
  }

  private async lookup(key: string): Promise<ApiKeyRecord | undefined> {
    const cacheMs = this.o.cacheMs ?? 1000;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.record;
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.o.store.find(keyIdOf(key, this.o.keyIdKey));
    } catch (e) {
      if (!isDependencyFailure(e)) throw e;
      // The database is down: a key seen lately still gets its 400s and 429s; the request then fails with 503
      // where it needs the database. A key not seen lately cannot be told from an unknown one: 503, not 401.
      if (hit && Date.now() - hit.at < (this.o.staleMs ?? 15 * 60_000)) return hit.record;
      throw new UnavailableError('the API key store', { cause: e });
    }
    if (!record || !apiKeyMatches(key, record.salt, record.keyHash)) return undefined;
    if (cacheMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { record, until: Date.now() + cacheMs, at: Date.now() });
    }
    return record;
  }
}

function bindingOf(binding: string): { division: string; officeId: string | null } {
  const office = SERVICE_OFFICES.find((o) => o.id === binding);
  if (office) return { division: office.division, officeId: office.id };
  if (!isWellFormedDivision(binding)) {
    throw new TongbanError('AUTH.BINDING_INVALID', `"${binding}" is neither a 6-digit division code nor a known service office`);
  }
  return { division: binding, officeId: null };
}

export function callerOf(record: ApiKeyRecord): Caller {
  const office = record.officeId ? SERVICE_OFFICES.find((o) => o.id === record.officeId) : undefined;
  return { keyId: record.keyId, division: record.division, office, system: record.systemName };
}

function viewOf(r: ApiKeyRecord, now: Date): ApiKeyView {
  const state = r.revokedAt && r.revokedAt <= now ? 'revoked' : r.expiresAt && r.expiresAt <= now ? 'expired' : 'active';
  return {
    keyId: r.keyId,
    systemName: r.systemName,
    division: r.division,
    officeId: r.officeId,
    origin: r.origin,
    rotatedFrom: r.rotatedFrom,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    state,
    ratePerSecond: r.ratePerSecond,
    burst: r.burst,
  };
}
