import { EnvReader } from './env-reader';
import { readInfraConfig, redisConnection } from './common-config';

describe('readInfraConfig: topic settings and the stop deadline', () => {
  it('fits one local broker by default', () => {
    const c = readInfraConfig(new EnvReader({}), 'x');
    expect(c.topics).toEqual({ partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    expect(c.shutdownTimeoutMs).toBe(10_000);
  });

  it('takes a production cluster’s values', () => {
    const env = {
      TONGBAN_TOPIC_PARTITIONS: '12',
      TONGBAN_TOPIC_REPLICATION_FACTOR: '3',
      TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '2',
      TONGBAN_SHUTDOWN_TIMEOUT_MS: '30000',
    };
    const c = readInfraConfig(new EnvReader(env), 'x');
    expect(c.topics).toEqual({ partitions: 12, replicationFactor: 3, minInsyncReplicas: 2 });
    expect(c.shutdownTimeoutMs).toBe(30_000);
  });

  it('refuses min.insync.replicas above the replication factor', () => {
    const r = new EnvReader({ TONGBAN_TOPIC_REPLICATION_FACTOR: '1', TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '2' });
    readInfraConfig(r, 'x');
    expect(() => r.done()).toThrow(/TONGBAN_TOPIC_MIN_INSYNC_REPLICAS must be at most TONGBAN_TOPIC_REPLICATION_FACTOR \(1\), got 2/);
  });
});

describe('readInfraConfig: bounds while a dependency is slow or gone', () => {
  it('bounds the MySQL pools and Redis calls by default', () => {
    const c = readInfraConfig(new EnvReader({}), 'x');
    expect(c.mysqlPool).toEqual({ queueLimit: 200, acquireTimeoutMs: 5000, connectTimeoutMs: 5000 });
    expect(c.redis.commandTimeoutMs).toBe(2000);
  });

  it('takes the bounds from TONGBAN_MYSQL_POOL_QUEUE_LIMIT, _ACQUIRE_TIMEOUT_MS, _CONNECT_TIMEOUT_MS and TONGBAN_REDIS_COMMAND_TIMEOUT_MS', () => {
    const c = readInfraConfig(
      new EnvReader({
        TONGBAN_MYSQL_POOL_QUEUE_LIMIT: '50',
        TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS: '2000',
        TONGBAN_MYSQL_CONNECT_TIMEOUT_MS: '3000',
        TONGBAN_REDIS_COMMAND_TIMEOUT_MS: '250',
      }),
      'x',
    );
    expect(c.mysqlPool).toEqual({ queueLimit: 50, acquireTimeoutMs: 2000, connectTimeoutMs: 3000 });
    expect(c.redis.commandTimeoutMs).toBe(250);
  });

  it('refuses an unbounded or nonsensical value, naming the variable', () => {
    const r = new EnvReader({ TONGBAN_MYSQL_POOL_QUEUE_LIMIT: '0', TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS: 'soon', TONGBAN_REDIS_COMMAND_TIMEOUT_MS: '-1' });
    readInfraConfig(r, 'x');
    expect(() => r.done()).toThrow(/TONGBAN_MYSQL_POOL_QUEUE_LIMIT must be a whole number from 1 to 100000, got "0"/);
    expect(() => r.done()).toThrow(/TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS must be a whole number/);
    expect(() => r.done()).toThrow(/TONGBAN_REDIS_COMMAND_TIMEOUT_MS must be a whole number/);
  });
});

describe('readInfraConfig: consumer group membership', () => {
  it('keeps Kafka’s 30 s session by default and heartbeats within a third of a shorter one', () => {
    expect(readInfraConfig(new EnvReader({}), 'x').consumerGroup).toEqual({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 });
    expect(readInfraConfig(new EnvReader({ TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '10000' }), 'x').consumerGroup).toEqual({
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 3_000,
    });
    expect(readInfraConfig(new EnvReader({ TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '6000' }), 'x').consumerGroup).toEqual({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 2_000,
    });
  });

  it('refuses a session shorter than the broker accepts', () => {
    const r = new EnvReader({ TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '1000' });
    readInfraConfig(r, 'x');
    expect(() => r.done()).toThrow(/TONGBAN_KAFKA_SESSION_TIMEOUT_MS/);
  });
});

describe('readInfraConfig: the Redis identity', () => {
  const dev = { TONGBAN_PROFILE: 'development' };
  const read = (env: Record<string, string>, needs = {}) => {
    const r = new EnvReader(env);
    const c = readInfraConfig(r, 'x', { kafka: false, registry: false, ...needs });
    return { redis: c.redis, done: () => r.done() };
  };

  it.each([
    ['development, nothing set: no AUTH', dev, { host: '127.0.0.1', port: 6379 }],
    ['a password alone: the default user', { ...dev, TONGBAN_REDIS_PASSWORD: 'pw' }, { host: '127.0.0.1', port: 6379, password: 'pw' }],
    [
      'an ACL user',
      { TONGBAN_REDIS_HOST: 'redis.sc', TONGBAN_REDIS_USERNAME: 'tongban-sc', TONGBAN_REDIS_PASSWORD: 'pw', TONGBAN_MYSQL_PASSWORD: '' },
      { host: 'redis.sc', port: 6379, username: 'tongban-sc', password: 'pw' },
    ],
  ])('%s', (_case, env, connection) => {
    const c = read(env);
    c.done();
    expect(redisConnection(c.redis)).toEqual(connection);
  });

  it.each([
    ['production without a password', { TONGBAN_MYSQL_PASSWORD: '' }, /TONGBAN_REDIS_PASSWORD is required: the production profile/],
    ['an empty password', { ...dev, TONGBAN_REDIS_PASSWORD: '' }, /TONGBAN_REDIS_PASSWORD is set but empty/],
    ['a user without a password', { ...dev, TONGBAN_REDIS_USERNAME: 'tongban-sc' }, /TONGBAN_REDIS_USERNAME is set without TONGBAN_REDIS_PASSWORD/],
    ['a user name with a space', { ...dev, TONGBAN_REDIS_USERNAME: 'a b', TONGBAN_REDIS_PASSWORD: 'pw' }, /TONGBAN_REDIS_USERNAME must not contain spaces/],
  ])('refuses %s', (_case, env, problem) => {
    expect(() => read(env as Record<string, string>).done()).toThrow(problem);
  });

  it('reads no Redis identity for a process that uses no Redis (relay, registry, ops)', () => {
    const c = read({ TONGBAN_MYSQL_PASSWORD: '', TONGBAN_REDIS_PASSWORD: 'pw' }, { redis: false });
    c.done();
    expect(redisConnection(c.redis)).toEqual({ host: '127.0.0.1', port: 6379 });
  });
});
