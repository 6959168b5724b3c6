import { PipelineService } from './pipeline.service';

const threshold = { outboxPending: 10, outboxOldestSeconds: 60, consumerLag: 10 };
const at = () => new Date('2026-11-30T10:00:00Z');
const never = () => new Promise<never>(() => undefined);

describe('PipelineService', () => {
  it('reads the outboxes and the lag together', async () => {
    const s = await new PipelineService(
      { read: async () => [{ database: 'tongban_gateway', pending: 12, oldestSeconds: 3 }] },
      { read: async () => [{ group: 'tongban.delivery', members: 1, partitions: [{ topic: 'tongban.510000.inbox', partition: 0, lag: 2 }] }] },
      threshold,
      1000,
      at,
    ).status();
    expect(s.outbox).toEqual([{ database: 'tongban_gateway', pending: 12, oldestSeconds: 3, behind: '12 rows not sent (limit 10)' }]);
    expect(s.consumers.map((c) => [c.group, c.lag])).toEqual([['tongban.delivery', 2]]);
    expect(s.alerts).toBe(1);
  });

  it('answers in time when the broker does not, saying so, with the outboxes it could read', async () => {
    const s = await new PipelineService(
      { read: async () => [{ database: 'tongban_gateway', pending: 0, oldestSeconds: 0 }] },
      { read: never },
      threshold,
      50,
      at,
    ).status();
    expect(s.consumersError).toBe('no answer from the broker in 50 ms');
    expect(s.outbox).toHaveLength(1);
  });

  it('gives a failed database read as one unreadable row', async () => {
    const s = await new PipelineService(
      { read: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:3306')) },
      { read: async () => [] },
      threshold,
      1000,
      at,
    ).status();
    expect(s.outbox).toEqual([{ database: '*', behind: null, error: 'ECONNREFUSED 127.0.0.1:3306' }]);
  });
});
