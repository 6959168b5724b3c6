import { topicRequests } from './topics';

describe('topicRequests', () => {
  it('creates topics for one broker by default', () => {
    expect(topicRequests([{ topic: 'a' }])).toEqual([{ topic: 'a', numPartitions: 6, replicationFactor: 1, configEntries: undefined }]);
  });

  it('applies the configured partitions, replication factor and min.insync.replicas', () => {
    expect(topicRequests([{ topic: 'a' }, { topic: 'a.dlq', numPartitions: 1 }], { partitions: 12, replicationFactor: 3, minInsyncReplicas: 2 })).toEqual([
      { topic: 'a', numPartitions: 12, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      { topic: 'a.dlq', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
    ]);
  });

  it('keeps a topic’s own min.insync.replicas', () => {
    const [r] = topicRequests([{ topic: 'a', configEntries: [{ name: 'min.insync.replicas', value: '1' }] }], { minInsyncReplicas: 2 });
    expect(r.configEntries).toEqual([{ name: 'min.insync.replicas', value: '1' }]);
  });
});
