import { EnvReader } from './env-reader';
import { readInfraConfig } from './common-config';

describe('readInfraConfig: topic settings and the stop deadline', () => {
  it('fits one local broker by default', () => {
    const c = readInfraConfig(new EnvReader({}), 'x');
    expect(c.topics).toEqual({ partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    expect(c.shutdownTimeoutMs).toBe(10_000);
  });

  it('takes a production cluster’s values', () => {
    const env = { TONGBAN_TOPIC_PARTITIONS: '12', TONGBAN_TOPIC_REPLICATION_FACTOR: '3', TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '2', TONGBAN_SHUTDOWN_TIMEOUT_MS: '30000' };
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
    expect(readInfraConfig(new EnvReader({ TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '10000' }), 'x').consumerGroup).toEqual({ sessionTimeoutMs: 10_000, heartbeatIntervalMs: 3_000 });
    expect(readInfraConfig(new EnvReader({ TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '6000' }), 'x').consumerGroup).toEqual({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 2_000 });
  });

  it('refuses a session shorter than the broker accepts', () => {
    const r = new EnvReader({ TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '1000' });
    readInfraConfig(r, 'x');
    expect(() => r.done()).toThrow(/TONGBAN_KAFKA_SESSION_TIMEOUT_MS/);
  });
});
