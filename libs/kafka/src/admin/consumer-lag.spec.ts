import { Registry } from 'prom-client';
import type { Kafka } from 'kafkajs';
import { consumerLag, registerConsumerLagMetrics } from './consumer-lag';

describe('consumer lag', () => {
  const ends = [
    { topic: 'ns.500111.inbox', partition: 0, low: 0, high: 120 },
    { topic: 'ns.500111.inbox', partition: 1, low: 50, high: 80 },
    { topic: 'ns.500111.inbox.retry.1', partition: 0, low: 0, high: 0 },
  ];

  it.each([
    ['caught up', [{ topic: 'ns.500111.inbox', partition: 0, offset: 120 }], 0, 0],
    ['behind by what is not committed', [{ topic: 'ns.500111.inbox', partition: 0, offset: 100 }], 0, 20],
    ['nothing committed: everything still kept', [], 1, 30],
    ['committed -1 is nothing committed', [{ topic: 'ns.500111.inbox', partition: 1, offset: -1 }], 1, 30],
    ['committed below the start (deleted by retention) counts from the start', [{ topic: 'ns.500111.inbox', partition: 1, offset: 10 }], 1, 30],
  ])('%s', (_name, committed, index, lag) => {
    expect(consumerLag(ends, committed)[index]).toEqual({ topic: ends[index].topic, partition: ends[index].partition, lag });
  });

  it('an empty partition has no lag', () => {
    expect(consumerLag(ends, [])[2].lag).toBe(0);
  });

  it('exposes the lag per partition at a scrape, and says when the broker does not answer', async () => {
    let fail = false;
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicOffsets: async () => {
        if (fail) throw new Error('broker down');
        return [{ partition: 0, offset: '40', high: '40', low: '0' }];
      },
      fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '25', metadata: null }] }],
    };
    const registry = new Registry();
    const close = registerConsumerLagMetrics(registry, { kafka: { admin: () => admin } as unknown as Kafka, groupId: 'g', topics: () => ['t'] });
    let text = await registry.metrics();
    expect(text).toContain('tongban_consumer_lag_messages{group="g",topic="t",partition="0"} 15');
    expect(text).toContain('tongban_consumer_lag_up{group="g"} 1');
    fail = true;
    await new Promise((r) => setTimeout(r, 1100));
    text = await registry.metrics();
    expect(text).not.toContain('tongban_consumer_lag_messages{');
    expect(text).toContain('tongban_consumer_lag_up{group="g"} 0');
    await close();
  });
});
