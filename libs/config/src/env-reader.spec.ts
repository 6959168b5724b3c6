import { ConfigError, EnvReader } from './env-reader';
import { readInfraConfig } from './common-config';

describe('configuration from the environment', () => {
  it('uses the documented defaults on a developer machine', () => {
    const r = new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_KAFKA_SECURITY: 'plaintext' });
    const infra = readInfraConfig(r, 'test');
    r.done();
    expect(infra).toMatchObject({ kafkaBrokers: ['127.0.0.1:9092'], topicNamespace: 'tongban', mysql: { host: '127.0.0.1', port: 3306, user: 'root' } });
  });

  it('names every bad variable and what was expected, all at once', () => {
    const r = new EnvReader({ TONGBAN_MYSQL_PORT: 'abc', TONGBAN_KAFKA_BROKERS: 'localhost', TONGBAN_SCHEMA_REGISTRY_URL: 'registry' });
    readInfraConfig(r, 'test', { kafka: false, registry: false, redis: false });
    expect(() => r.done()).toThrow(ConfigError);
    try {
      r.done();
    } catch (e) {
      const problems = (e as ConfigError).problems;
      expect(problems).toEqual([
        'TONGBAN_KAFKA_BROKERS must list host:port, got "localhost"',
        'TONGBAN_SCHEMA_REGISTRY_URL must be an http(s) URL, got "registry"',
        'TONGBAN_MYSQL_PORT must be a whole number from 0 to 65535, got "abc"',
        expect.stringMatching(/^TONGBAN_MYSQL_PASSWORD is required: the production profile/),
      ]);
    }
  });

  it.each([
    ['bool', (r: EnvReader) => r.bool('X', false), { X: 'maybe' }, 'X must be true or false, got "maybe"'],
    ['oneOf', (r: EnvReader) => r.oneOf('X', ['a', 'b'] as const, 'a'), { X: 'c' }, 'X must be one of a, b, got "c"'],
    ['pairs', (r: EnvReader) => r.pairs('X', '', () => ({ value: 1 })), { X: 'novalue' }, 'X must be comma-separated key=value pairs, got "novalue"'],
    ['str', (r: EnvReader) => r.str('X'), {}, 'X is required'],
  ])('refuses a bad %s value', (_kind, read, env, problem) => {
    const r = new EnvReader(env as Record<string, string>);
    read(r);
    expect(() => r.done()).toThrow(problem);
  });

  describe('profile', () => {
    it('treats an unset or unknown profile as production', () => {
      expect(new EnvReader({}).development).toBe(false);
      expect(new EnvReader({}).profile).toBe('production');
      expect(new EnvReader({ TONGBAN_PROFILE: 'staging' }).development).toBe(false);
      expect(new EnvReader({ TONGBAN_PROFILE: 'development' }).development).toBe(true);
    });

    it('takes the documented development value only in the development profile', () => {
      const dev = new EnvReader({ TONGBAN_PROFILE: 'development' });
      expect(dev.secret('X_TOKEN', 'dev-value')).toBe('dev-value');
      dev.done();
      const prod = new EnvReader({});
      expect(prod.secret('X_TOKEN', 'dev-value')).toBe('');
      expect(() => prod.done()).toThrow(/X_TOKEN is required: the production profile takes no development secret/);
    });

    it('takes a set value in every profile, and an empty one stays empty', () => {
      expect(new EnvReader({ X_TOKEN: 'from-the-store' }).secret('X_TOKEN', 'dev-value')).toBe('from-the-store');
      const empty = new EnvReader({ TONGBAN_PROFILE: 'development', X_TOKEN: '' });
      expect(empty.secret('X_TOKEN', 'dev-value')).toBe('');
      expect(() => empty.done()).toThrow('X_TOKEN is set but empty');
      const allowed = new EnvReader({ TONGBAN_PROFILE: 'development', X_PASSWORD: '' });
      expect(allowed.secret('X_PASSWORD', 'dev', { allowEmpty: true })).toBe('');
      allowed.done();
    });

    it('names every missing secret of the shared settings at once outside development', () => {
      const r = new EnvReader({});
      readInfraConfig(r, 'test');
      expect(() => r.done()).toThrow(ConfigError);
      try {
        r.done();
      } catch (e) {
        const missing = (e as ConfigError).problems.map((p) => p.split(' ')[0]);
        expect(missing).toEqual([
          'TONGBAN_MYSQL_PASSWORD',
          'TONGBAN_REDIS_PASSWORD',
          'TONGBAN_SCHEMA_REGISTRY_USERNAME',
          'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
          'TONGBAN_KAFKA_USERNAME',
          'TONGBAN_KAFKA_PASSWORD',
        ]);
      }
    });

    it('passes the Kafka identity on when it is set, and none for an explicitly plaintext broker', () => {
      const set = new EnvReader({ TONGBAN_KAFKA_USERNAME: 'gateway', TONGBAN_KAFKA_PASSWORD: 'pw', TONGBAN_KAFKA_SASL_MECHANISM: 'scram-sha-256' });
      expect(readInfraConfig(set, 'test', { registry: false }).kafkaCredentials).toEqual({ username: 'gateway', password: 'pw', mechanism: 'scram-sha-256' });
      const plain = new EnvReader({ TONGBAN_KAFKA_SECURITY: 'plaintext' });
      expect(readInfraConfig(plain, 'test', { registry: false }).kafkaCredentials).toBeUndefined();
    });
  });
});
