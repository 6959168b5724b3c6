import { ConfigError } from '@tongban/config';
import { readDeliveryConfig } from './delivery.config';

const problems = (env: Record<string, string>): string[] => {
  try {
    readDeliveryConfig(env);
  } catch (e) {
    return (e as ConfigError).problems;
  }
  return [];
};

describe('delivery configuration', () => {
  it('allows loopback receivers only in development and only when enabled', () => {
    expect(readDeliveryConfig({ TONGBAN_PROFILE: 'development' })).toMatchObject({ allowLoopback: false, development: true, maxSubscriptionsPerKey: 20 });
    expect(readDeliveryConfig({ TONGBAN_PROFILE: 'development', TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'true' }).allowLoopback).toBe(true);
    expect(problems({ TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'true' })).toContain('TONGBAN_DELIVERY_ALLOW_LOOPBACK=true is refused in the production profile');
    expect(problems({ TONGBAN_DELIVERY_ALLOW_HTTP: 'true' })).toContain(
      'TONGBAN_DELIVERY_ALLOW_HTTP=true is refused in the production profile: webhooks go over https',
    );
  });

  it('names every missing secret at once outside development', () => {
    const missing = problems({})
      .filter((p) => p.includes('is required'))
      .map((p) => p.split(' ')[0]);
    expect(missing).toEqual(
      expect.arrayContaining([
        'TONGBAN_ADMIN_TOKEN',
        'TONGBAN_API_KEY_ID_KEY',
        'TONGBAN_DELIVERY_SECRET_KEY',
        'TONGBAN_MYSQL_PASSWORD',
        'TONGBAN_KAFKA_USERNAME',
        'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
      ]),
    );
  });
});
