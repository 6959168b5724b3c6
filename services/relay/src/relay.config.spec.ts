import { ConfigError } from '@tongban/config';
import { readRelayConfig } from './relay.config';

describe('relay configuration', () => {
  it('needs the database and Kafka secrets outside development, and no registry credentials', () => {
    try {
      readRelayConfig({});
      throw new Error('started without secrets');
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual(['TONGBAN_MYSQL_PASSWORD', 'TONGBAN_KAFKA_USERNAME', 'TONGBAN_KAFKA_PASSWORD']);
    }
    expect(
      readRelayConfig({ TONGBAN_MYSQL_PASSWORD: '', TONGBAN_KAFKA_USERNAME: 'relay', TONGBAN_KAFKA_PASSWORD: 'pw' }).infra.kafkaCredentials?.username,
    ).toBe('relay');
  });
});

describe('relay batches', () => {
  const base = { TONGBAN_PROFILE: 'development' };
  it('reads a large batch per pass by default, capped in bytes below the broker limit', () => {
    const config = readRelayConfig(base);
    expect(config.batchSize).toBe(2000);
    expect(config.batchBytes).toBeLessThan(1_048_576);
    expect(readRelayConfig({ ...base, TONGBAN_RELAY_BATCH: '500', TONGBAN_RELAY_BATCH_BYTES: '4000000' })).toMatchObject({
      batchSize: 500,
      batchBytes: 4_000_000,
    });
  });
});
