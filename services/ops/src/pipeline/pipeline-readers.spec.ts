import { InboxLagReader, LagAdmin } from './pipeline-readers';

/** A broker's answers: partition ends per topic, and the offsets each group committed. */
function broker(
  ends: Record<string, Array<[number, number, number]>>,
  committed: Record<string, Record<string, number[]>>,
  members: Record<string, number> = {},
): LagAdmin & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetchTopicOffsets: async (topic: string) =>
      (ends[topic] ?? []).map(([partition, low, high]) => ({ partition, low: String(low), high: String(high), offset: String(high) })),
    listGroups: async () => ({ groups: Object.keys(committed).map((groupId) => ({ groupId, protocolType: 'consumer' })) }),
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics?: string[] }) => {
      asked.push(groupId);
      return (topics ?? []).map((topic) => ({
        topic,
        partitions: (ends[topic] ?? []).map(([partition]) => ({ partition, offset: String(committed[groupId]?.[topic]?.[partition] ?? -1), metadata: null })),
      }));
    },
    describeGroups: async (ids: string[]) => ({
      groups: ids.map((groupId) => ({
        groupId,
        state: members[groupId] ? 'Stable' : 'Empty',
        members: Array.from({ length: members[groupId] ?? 0 }),
        protocol: '',
        protocolType: 'consumer',
        errorCode: 0,
      })),
    }),
  } as unknown as LagAdmin & { asked: string[] };
}

describe('InboxLagReader', () => {
  const inbox = 'tongban.500000.inbox';
  const local = 'tongban.500000.local';

  it('reads the lag of the namespace’s groups on the topics they committed on, with their state and members', async () => {
    const admin = broker(
      {
        [inbox]: [
          [0, 0, 10],
          [1, 4, 8],
        ],
        [local]: [[0, 0, 2]],
      },
      {
        'tongban.region-node.500000': { [inbox]: [10, 5], [local]: [2] },
        'tongban.delivery': { [inbox]: [7, -1] },
        'tongban.ops': {},
        'partner.500000.dazu': { [inbox]: [0, 0] },
      },
      { 'tongban.region-node.500000': 1 },
    );
    const groups = await new InboxLagReader(admin, 'tongban.', [inbox, local]).read();
    expect(groups).toEqual([
      // A partition without a commit counts from the first record kept (4), as the gauges count it.
      {
        group: 'tongban.delivery',
        state: 'Empty',
        members: 0,
        partitions: [
          { topic: inbox, partition: 0, lag: 3 },
          { topic: inbox, partition: 1, lag: 4 },
        ],
      },
      {
        group: 'tongban.region-node.500000',
        state: 'Stable',
        members: 1,
        partitions: [
          { topic: inbox, partition: 0, lag: 0 },
          { topic: inbox, partition: 1, lag: 3 },
          { topic: local, partition: 0, lag: 0 },
        ],
      },
    ]);
    // Another namespace's or a partner's groups are not asked about.
    expect(admin.asked).toEqual(['tongban.delivery', 'tongban.ops', 'tongban.region-node.500000']);
  });

  it('answers no groups when none committed on the topics', async () => {
    expect(await new InboxLagReader(broker({ [inbox]: [[0, 0, 3]] }, { 'tongban.ops': {} }), 'tongban.', [inbox]).read()).toEqual([]);
  });
});
