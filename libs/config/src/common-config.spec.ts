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
