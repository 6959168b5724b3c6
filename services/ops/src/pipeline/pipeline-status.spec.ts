import { pipelineStatus, PipelineThreshold } from './pipeline-status';

const threshold: PipelineThreshold = { outboxPending: 100, outboxOldestSeconds: 60, consumerLag: 10 };
const at = new Date('2026-11-30T10:00:00Z');

describe('pipelineStatus', () => {
  it.each([
    ['an empty outbox', { pending: 0, oldestSeconds: 0 }, null],
    ['a backlog under both limits', { pending: 100, oldestSeconds: 60 }, null],
    ['too many rows', { pending: 101, oldestSeconds: 2 }, '101 rows not sent (limit 100)'],
    ['a row waiting too long', { pending: 1, oldestSeconds: 61.4 }, 'oldest waiting 61 s (limit 60 s)'],
    ['both', { pending: 500, oldestSeconds: 600 }, '500 rows not sent (limit 100), oldest waiting 600 s (limit 60 s)'],
  ])('marks an outbox with %s', (_name, reading, behind) => {
    const [o] = pipelineStatus([{ database: 'tongban_gateway', ...reading }], [], threshold, at).outbox;
    expect(o).toMatchObject({ database: 'tongban_gateway', pending: reading.pending, behind });
  });

  it('keeps an unreadable outbox apart, with its error, and counts it as an alert', () => {
    const s = pipelineStatus(
      [
        { database: 'tongban_node_500000', error: "Table 'outbox_events' doesn't exist" },
        { database: 'tongban_gateway', pending: 0, oldestSeconds: 0 },
      ],
      [],
      threshold,
      at,
    );
    expect(s.outbox.map((o) => [o.database, o.error ?? null])).toEqual([
      ['tongban_gateway', null],
      ['tongban_node_500000', "Table 'outbox_events' doesn't exist"],
    ]);
    expect(s.alerts).toBe(1);
  });

  it('gives one row per group and topic, its partitions in order, and marks the partitions over the limit', () => {
    const s = pipelineStatus(
      [],
      [
        {
          group: 'tongban.region-node.500000',
          state: 'Stable',
          members: 1,
          partitions: [
            { topic: 'tongban.500000.inbox', partition: 1, lag: 11 },
            { topic: 'tongban.500000.inbox', partition: 0, lag: 3 },
            { topic: 'tongban.500000.local', partition: 0, lag: 0 },
          ],
        },
        { group: 'tongban.delivery', state: 'Stable', members: 1, partitions: [{ topic: 'tongban.500000.inbox', partition: 0, lag: 10 }] },
      ],
      threshold,
      at,
    );
    expect(s.consumers.map((c) => [c.group, c.topic, c.lag, c.behind])).toEqual([
      ['tongban.delivery', 'tongban.500000.inbox', 10, null],
      ['tongban.region-node.500000', 'tongban.500000.inbox', 14, 'partition 1: 11 records waiting (limit 10)'],
      ['tongban.region-node.500000', 'tongban.500000.local', 0, null],
    ]);
    expect(s.consumers[1].partitions).toEqual([
      { partition: 0, lag: 3, behind: false },
      { partition: 1, lag: 11, behind: true },
    ]);
    expect(s.alerts).toBe(1);
  });

  it('marks records waiting for a group nobody is in, however few', () => {
    const [c] = pipelineStatus(
      [],
      [{ group: 'tongban.delivery', state: 'Empty', members: 0, partitions: [{ topic: 'tongban.510000.inbox', partition: 2, lag: 1 }] }],
      threshold,
      at,
    ).consumers;
    expect(c).toMatchObject({ state: 'Empty', members: 0, behind: 'no consumer in the group and 1 records waiting' });
    const [idle] = pipelineStatus(
      [],
      [{ group: 'tongban.delivery', state: 'Empty', members: 0, partitions: [{ topic: 'tongban.510000.inbox', partition: 2, lag: 0 }] }],
      threshold,
      at,
    ).consumers;
    expect(idle.behind).toBeNull();
  });

  it('says why the consumer lag is missing when the broker could not be asked', () => {
    const s = pipelineStatus([], { error: 'no answer from the broker in 5000 ms' }, threshold, at);
    expect(s).toMatchObject({
      readAt: '2026-11-30T10:00:00.000Z',
      consumers: [],
      consumersError: 'no answer from the broker in 5000 ms',
      alerts: 1,
      threshold,
    });
  });
});
