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
    expect(readRelayConfig({ TONGBAN_MYSQL_PASSWORD: '', TONGBAN_KAFKA_USERNAME: 'relay', TONGBAN_KAFKA_PASSWORD: 'pw' }).infra.kafkaCredentials?.username).toBe('relay');
  });
});
