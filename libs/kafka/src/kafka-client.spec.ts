import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaSecurityOptions, KafkaTlsCaUnreadableError, kafkaTlsOptions } from './kafka-client';

const scram = { username: 'relay', password: 'secret', mechanism: 'scram-sha-512' as const };

describe('kafkaSecurityOptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-client-spec-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it.each([
    ['SASL_PLAINTEXT', scram, { enabled: false }, { ssl: false, sasl: true }],
    ['SASL_SSL with the system CAs', scram, { enabled: true }, { ssl: true, sasl: true }],
    ['PLAINTEXT', undefined, { enabled: false }, { ssl: undefined, sasl: false }],
    ['SSL without SASL', undefined, { enabled: true }, { ssl: true, sasl: false }],
  ])('gives %s', (_name, credentials, tls, expected) => {
    const options = kafkaSecurityOptions(credentials, tls);
    expect(options.ssl).toBe(expected.ssl);
    expect(options.sasl !== undefined).toBe(expected.sasl);
  });

  it('trusts only the configured CA, read from its file', () => {
    const options = kafkaSecurityOptions(scram, { enabled: true, caFile });
    expect(options.ssl).toEqual({ ca: [expect.stringContaining('BEGIN CERTIFICATE')] });
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'relay', password: 'secret' });
  });

  it('never switches host name or certificate checks off', () => {
    const ssl = kafkaTlsOptions({ enabled: true, caFile });
    expect(ssl).not.toHaveProperty('rejectUnauthorized');
    expect(ssl).not.toHaveProperty('checkServerIdentity');
  });

  it('names the CA file it cannot read, with a stable code', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => kafkaTlsOptions({ enabled: true, caFile: missing })).toThrow(KafkaTlsCaUnreadableError);
    expect(() => kafkaTlsOptions({ enabled: true, caFile: missing })).toThrow(expect.objectContaining({ code: 'KAFKA.TLS_CA_UNREADABLE' }));
    expect(() => kafkaTlsOptions({ enabled: true, caFile: missing })).toThrow(/missing\.pem.*TONGBAN_KAFKA_SSL_CA_FILE/);
  });
});
