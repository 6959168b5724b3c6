import { isUnhostedTopic, topicRequests, whileTopicsSettle } from './topics';

describe('whileTopicsSettle', () => {
  const unhosted = () => Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });

  it('asks again while a broker does not host the topic yet, then gives the answer', async () => {
    let calls = 0;
    const answer = await whileTopicsSettle(
      async () => {
        calls++;
        if (calls < 3) throw calls === 1 ? unhosted() : { name: 'KafkaJSNumberOfRetriesExceeded', cause: unhosted() };
        return 'subscribed';
      },
      5_000,
      1,
    );
    expect([answer, calls]).toEqual(['subscribed', 3]);
  });

  it('throws any other error at once, and the unhosted one after its time', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('Not authorized to access topics'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    await expect(
      whileTopicsSettle(
        async () => {
          calls++;
          throw denied;
        },
        5_000,
        1,
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
    const started = Date.now();
    await expect(
      whileTopicsSettle(
        async () => {
          throw unhosted();
        },
        50,
        5,
      ),
    ).rejects.toThrow(/does not host/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('knows the unhosted answer by its type or its cause, and nothing else', () => {
    expect([isUnhostedTopic(unhosted()), isUnhostedTopic({ cause: unhosted() }), isUnhostedTopic(new Error('x')), isUnhostedTopic(undefined)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

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
