import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Issued keys carry their id, so the gateway finds the row without trying every hash: `tbk_<id>_<secret>`. */
const ISSUED = /^tbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  keyId: string;
  /** Shown once to the operator who issued it; only its salted hash is stored. */
  key: string;
}

export function generateApiKey(): NewApiKey {
  const keyId = randomBytes(8).toString('hex');
  return { keyId, key: `tbk_${keyId}_${randomBytes(32).toString('base64url')}` };
}

/** Whether a key is one the gateway issued (its id is random and travels inside it). */
export function isIssuedKey(key: string): boolean {
  return ISSUED.test(key);
}

/**
 * The id of the row a presented key must match. Issued keys name it (random); a key from
 * TONGBAN_API_KEYS gets a keyed HMAC (TONGBAN_API_KEY_ID_KEY), so the id that travels in every
 * envelope's `producer` says nothing about the key to anyone without that secret.
 */
export function keyIdOf(key: string, idKey: string): string {
  const m = ISSUED.exec(key);
  return m ? m[1] : `c${createHmac('sha256', idKey).update(key, 'utf8').digest('hex').slice(0, 23)}`;
}

/**
 * The id a key from TONGBAN_API_KEYS had before ids were keyed: the first 12 hex digits of its plain
 * SHA-256, which anyone can compute from a guess. Only used to move such rows to their keyed id.
 */
export function legacyKeyIdOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

/** Salted SHA-256: keys are long random strings, so a slow hash would add latency and no strength. */
export function hashApiKey(key: string, salt: string): string {
  return createHash('sha256').update(Buffer.from(salt, 'hex')).update(key, 'utf8').digest('hex');
}

export function apiKeyMatches(key: string, salt: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashApiKey(key, salt), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Constant-time comparison of two secrets of any length. */
export function secretEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return m ? m[1] : undefined;
}
