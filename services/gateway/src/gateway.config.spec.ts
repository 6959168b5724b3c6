import { ConfigError } from '@tongban/config';
import { DEV_API_KEYS, readGatewayConfig } from './gateway.config';

const problems = (env: Record<string, string>): string[] => {
  try {
    readGatewayConfig(env);
  } catch (e) {
    return (e as ConfigError).problems;
  }
  return [];
};

describe('gateway configuration', () => {
  it('serves one province when TONGBAN_GATEWAY_PROVINCE names it, and every division when unset', () => {
    expect(readGatewayConfig({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_PROVINCE: '500000' }).province).toBe('500000');
    expect(readGatewayConfig({ TONGBAN_PROFILE: 'development' }).province).toBeUndefined();
  });

  it.each(['500111', '5000', 'CQ', '990000'])('refuses %s as the province: it must be a province division code', (code) => {
    expect(problems({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_PROVINCE: code }).join('\n')).toContain(
      `TONGBAN_GATEWAY_PROVINCE must be a province's division code`,
    );
  });

  it('bounds batch uploads: 8 MiB and 4 at once unless configured, within 1–64 MiB', () => {
    expect(readGatewayConfig({ TONGBAN_PROFILE: 'development' }).batch).toEqual({ maxBytes: 8 * 1024 * 1024, maxInFlight: 4 });
    expect(
      readGatewayConfig({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_BATCH_MAX_BYTES: '2097152', TONGBAN_GATEWAY_BATCH_MAX_IN_FLIGHT: '1' }).batch,
    ).toEqual({
      maxBytes: 2097152,
      maxInFlight: 1,
    });
    expect(problems({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_BATCH_MAX_BYTES: String(65 * 1024 * 1024) }).join('\n')).toContain(
      'TONGBAN_GATEWAY_BATCH_MAX_BYTES',
    );
    expect(problems({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_BATCH_MAX_IN_FLIGHT: '0' }).join('\n')).toContain('TONGBAN_GATEWAY_BATCH_MAX_IN_FLIGHT');
  });

  it('takes the documented keys and generated secrets in the development profile', () => {
    const c = readGatewayConfig({ TONGBAN_PROFILE: 'development' });
    expect(c.apiKeys.map((k) => `${k.key}=${k.binding}`).join(',')).toBe(DEV_API_KEYS);
    expect(c.adminToken.length).toBeGreaterThanOrEqual(16);
    expect(c.keyIdKey.length).toBeGreaterThanOrEqual(16);
    expect(c.rateLimit.bootstrapKeys).toBe(true);
  });

  it('refuses to start in any other profile, naming every missing secret at once', () => {
    const missing = problems({})
      .filter((p) => p.includes('is required'))
      .map((p) => p.split(' ')[0]);
    expect(missing).toEqual(
      expect.arrayContaining([
        'TONGBAN_ADMIN_TOKEN',
        'TONGBAN_API_KEY_ID_KEY',
        'TONGBAN_AUDIT_PERSON_KEY',
        'TONGBAN_MYSQL_PASSWORD',
        'TONGBAN_REDIS_PASSWORD',
        'TONGBAN_KAFKA_USERNAME',
        'TONGBAN_KAFKA_PASSWORD',
        'TONGBAN_SCHEMA_REGISTRY_USERNAME',
        'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
        'TONGBAN_NODE_SERVICE_TOKEN',
      ]),
    );
  });

  it('never takes the development keys outside development: unset means none, keys come from the admin API', () => {
    const c = readGatewayConfig({
      TONGBAN_ADMIN_TOKEN: 'admin-token-from-the-store',
      TONGBAN_API_KEY_ID_KEY: 'key-id-key-from-the-store',
      TONGBAN_AUDIT_PERSON_KEY: 'audit-key-from-the-store',
      TONGBAN_NODE_SERVICE_TOKEN: 'node-service-token-from-the-store-0001',
      TONGBAN_MYSQL_PASSWORD: 'pw',
      TONGBAN_REDIS_PASSWORD: 'pw',
      TONGBAN_KAFKA_USERNAME: 'gateway',
      TONGBAN_KAFKA_PASSWORD: 'pw',
      TONGBAN_SCHEMA_REGISTRY_USERNAME: 'gateway',
      TONGBAN_SCHEMA_REGISTRY_PASSWORD: 'pw',
    });
    expect(c.apiKeys).toEqual([]);
    expect(c.infra.kafkaCredentials).toEqual({ username: 'gateway', password: 'pw', mechanism: 'scram-sha-512' });
  });

  it('reads an empty key list as empty in development too, and an empty admin token as a fault', () => {
    expect(readGatewayConfig({ TONGBAN_PROFILE: 'development', TONGBAN_API_KEYS: '' }).apiKeys).toEqual([]);
    expect(problems({ TONGBAN_PROFILE: 'development', TONGBAN_ADMIN_TOKEN: '' })).toContain('TONGBAN_ADMIN_TOKEN is set but empty');
  });

  it('bounds the requests worked on at once: 256 by default, TONGBAN_GATEWAY_MAX_IN_FLIGHT otherwise', () => {
    expect(readGatewayConfig({ TONGBAN_PROFILE: 'development' }).maxInFlight).toBe(256);
    expect(readGatewayConfig({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_MAX_IN_FLIGHT: '32' }).maxInFlight).toBe(32);
    expect(problems({ TONGBAN_PROFILE: 'development', TONGBAN_GATEWAY_MAX_IN_FLIGHT: '0' })).toEqual([
      'TONGBAN_GATEWAY_MAX_IN_FLIGHT must be a whole number from 1 to 100000, got "0"',
    ]);
  });
});
