import { createHash } from 'node:crypto';
import { apiKeyMatches, generateApiKey, hashApiKey, keyIdOf, legacyKeyIdOf, newSalt, secretEquals } from './api-key-credentials';

describe('API key credentials', () => {
  it('finds an issued key by the id it carries', () => {
    const { keyId, key } = generateApiKey();
    expect(keyIdOf(key, 'id-key-0123456789abcdef')).toBe(keyId);
  });

  it('gives a configured key an id that cannot be computed from the key alone', () => {
    const id = keyIdOf('dev-chengdu', 'id-key-0123456789abcdef');
    expect(id).toMatch(/^c[0-9a-f]{23}$/);
    expect(id).toBe(keyIdOf('dev-chengdu', 'id-key-0123456789abcdef'));
    expect(id).not.toContain(createHash('sha256').update('dev-chengdu').digest('hex').slice(0, 12));
    expect(keyIdOf('dev-chengdu', 'another-id-key-0123456789')).not.toBe(id);
    expect(legacyKeyIdOf('dev-chengdu')).toBe(createHash('sha256').update('dev-chengdu').digest('hex').slice(0, 12));
  });

  it('matches only the key that was hashed, with its own salt', () => {
    const salt = newSalt();
    const hash = hashApiKey('secret-key-1', salt);
    expect(apiKeyMatches('secret-key-1', salt, hash)).toBe(true);
    expect(apiKeyMatches('secret-key-2', salt, hash)).toBe(false);
    expect(apiKeyMatches('secret-key-1', newSalt(), hash)).toBe(false);
  });

  it('compares secrets of different lengths without throwing', () => {
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals('abcd', 'abcd')).toBe(true);
  });
});
