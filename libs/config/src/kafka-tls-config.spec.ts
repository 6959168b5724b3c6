import { ConfigError } from './env-reader';
import { kafkaTlsConfig } from './kafka-tls-config';

describe('kafkaTlsConfig', () => {
  it.each([
    [{}, { enabled: false }],
    [{ TONGBAN_KAFKA_SSL: 'true' }, { enabled: true }],
    [{ TONGBAN_KAFKA_SSL: 'false' }, { enabled: false }],
    [
      { TONGBAN_KAFKA_SSL: 'true', TONGBAN_KAFKA_SSL_CA_FILE: '/secrets/ca.pem' },
      { enabled: true, caFile: '/secrets/ca.pem' },
    ],
    [{ TONGBAN_KAFKA_SSL_CA_FILE: '/secrets/ca.pem' }, { enabled: true, caFile: '/secrets/ca.pem' }],
  ])('reads %j as %j', (env, expected) => {
    expect(kafkaTlsConfig(env)).toEqual(expected);
  });

  it('names the variable when TONGBAN_KAFKA_SSL is not a boolean', () => {
    expect(() => kafkaTlsConfig({ TONGBAN_KAFKA_SSL: 'tls' })).toThrow(/TONGBAN_KAFKA_SSL must be true or false, got "tls"/);
  });

  it('refuses a CA file when TLS is switched off explicitly', () => {
    expect(() => kafkaTlsConfig({ TONGBAN_KAFKA_SSL: 'false', TONGBAN_KAFKA_SSL_CA_FILE: '/x/ca.pem' })).toThrow(ConfigError);
  });
});
