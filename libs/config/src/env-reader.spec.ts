import { ConfigError, EnvReader } from './env-reader';
import { readInfraConfig } from './common-config';

describe('configuration from the environment', () => {
  it('uses the documented defaults on a developer machine', () => {
    const r = new EnvReader({});
    const infra = readInfraConfig(r, 'test');
    r.done();
    expect(infra).toMatchObject({ kafkaBrokers: ['127.0.0.1:9092'], topicNamespace: 'tongban', mysql: { host: '127.0.0.1', port: 3306, user: 'root' } });
  });

  it('names every bad variable and what was expected, all at once', () => {
    const r = new EnvReader({ TONGBAN_MYSQL_PORT: 'abc', TONGBAN_KAFKA_BROKERS: 'localhost', TONGBAN_SCHEMA_REGISTRY_URL: 'registry' });
    readInfraConfig(r, 'test');
    expect(() => r.done()).toThrow(ConfigError);
    try {
      r.done();
    } catch (e) {
      const problems = (e as ConfigError).problems;
      expect(problems).toEqual([
        'TONGBAN_KAFKA_BROKERS must list host:port, got "localhost"',
        'TONGBAN_SCHEMA_REGISTRY_URL must be an http(s) URL, got "registry"',
        'TONGBAN_MYSQL_PORT must be a whole number from 0 to 65535, got "abc"',
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
});
