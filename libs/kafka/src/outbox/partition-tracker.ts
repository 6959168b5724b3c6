import { ICustomPartitioner, Partitioners, RecordMetadata } from 'kafkajs';

/**
 * Which partitions the producer's partitioner chose for the messages of one send, so the send's answer can be
 * checked for every one of them. kafkajs 2.2.4 can resolve a `sendBatch` without having sent some partitions: when
 * a leader dies mid-send, its retry skips the brokers that already answered, even those that have just become the
 * leaders of the dead broker's partitions. A send whose answer lacks a chosen partition is therefore not sent.
 * The partitioner itself is kafkajs's default (Java-compatible murmur2), so messages land where they always did.
 * One send at a time: `begin()` before it, `unanswered()` after it.
 */
export class PartitionTracker {
  private readonly chosen = new Set<string>();

  readonly createPartitioner: ICustomPartitioner = () => {
    const partitioner = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = partitioner(args);
      this.chosen.add(`${args.topic}/${partition}`);
      return partition;
    };
  };

  begin(): void {
    this.chosen.clear();
  }

  /** The chosen `topic/partition`s that the send's answer does not acknowledge. */
  unanswered(answer: RecordMetadata[] | undefined): string[] {
    const acknowledged = new Set((answer ?? []).filter((r) => r.errorCode === 0).map((r) => `${r.topicName}/${r.partition}`));
    return [...this.chosen].filter((p) => !acknowledged.has(p)).sort();
  }
}
