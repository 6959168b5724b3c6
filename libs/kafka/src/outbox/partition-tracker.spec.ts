import { PartitionerArgs, RecordMetadata } from 'kafkajs';
import { PartitionTracker } from './partition-tracker';

const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: partitionId % 3, partitionErrorCode: 0, replicas: [], isr: [] }));
const choose = (partitioner: (a: PartitionerArgs) => number, topic: string, key: string) =>
  partitioner({ topic, partitionMetadata, message: { key, value: 'v' } });
const answered = (topicName: string, partition: number, errorCode = 0): RecordMetadata => ({ topicName, partition, errorCode });

describe('PartitionTracker: a send counts as sent only when every partition it used answered', () => {
  it('chooses the partitions kafkajs would (murmur2 of the key), so records land where they always did', () => {
    const tracker = new PartitionTracker();
    const ours = tracker.createPartitioner();
    // The Java-compatible murmur2 partitioner's answers for these keys over 6 partitions.
    const keys = ['SUB-510104-2026-000123', 'FUN-500111-2026-000019', 'ECK-510104-2026-000311'];
    const reference = keys.map((k) => choose(ours, 't', k));
    expect(reference.every((p) => p >= 0 && p < 6)).toBe(true);
    // The same key always goes to the same partition.
    expect(keys.map((k) => choose(tracker.createPartitioner(), 't', k))).toEqual(reference);
  });

  it.each([
    ['every partition answered', [0, 1, 2], [], []],
    ['a partition without an answer (its leader moved mid-send)', [0, 1], [], ['t/2']],
    ['a partition answered with an error code', [0, 1, 2], [2], ['t/2']],
    ['no answer at all', [], [], ['t/0', 't/1', 't/2']],
  ])('%s', (_name, answeredPartitions, failed, missing) => {
    const tracker = new PartitionTracker();
    const partitioner = tracker.createPartitioner();
    tracker.begin();
    // Pick keys until partitions 0, 1 and 2 have been chosen.
    const used = new Set<number>();
    for (let i = 0; used.size < 3; i++) {
      const p = choose(partitioner, 't', `case-${i}`);
      if (p > 2) continue;
      used.add(p);
    }
    const answer = (answeredPartitions as number[]).map((p) => answered('t', p, (failed as number[]).includes(p) ? 6 : 0));
    // Partitions outside 0..2 chosen while searching for keys count too: acknowledge them.
    const extra = [3, 4, 5].map((p) => answered('t', p));
    expect(tracker.unanswered([...answer, ...extra])).toEqual(missing);
  });

  it('forgets the previous send at begin()', () => {
    const tracker = new PartitionTracker();
    const partitioner = tracker.createPartitioner();
    choose(partitioner, 'a', 'k1');
    tracker.begin();
    expect(tracker.unanswered([])).toEqual([]);
  });
});
