import { Gauge, Registry } from 'prom-client';
import type { Admin, Kafka } from 'kafkajs';

/** A partition's end (next offset to be written) and start (first offset still kept). */
export interface PartitionEnds {
  topic: string;
  partition: number;
  low: number;
  high: number;
}

/** What a group has committed on a partition; -1 when it has committed nothing there. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface PartitionConsumerLag {
  topic: string;
  partition: number;
  /** Records written and not yet consumed (committed) by the group. */
  lag: number;
}

/**
 * Lag per partition from numbers alone: a group that committed nothing on a partition is behind by everything the
 * partition still keeps (the group reads from the beginning); a committed offset below the start (records deleted
 * by retention) counts from the start.
 */
export function consumerLag(ends: PartitionEnds[], committed: CommittedOffset[]): PartitionConsumerLag[] {
  const at = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  return ends.map((e) => {
    const offset = at.get(`${e.topic}\u0000${e.partition}`) ?? -1;
    const from = offset < 0 ? e.low : Math.max(offset, e.low);
    return { topic: e.topic, partition: e.partition, lag: Math.max(0, e.high - from) };
  });
}

/** Reads a group's lag on its topics with an admin client of the group's own principal. */
export async function readConsumerLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionConsumerLag[]> {
  const ends: PartitionEnds[] = [];
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
  }
  const committed = (await admin.fetchOffsets({ groupId, topics })).flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })),
  );
  return consumerLag(ends, committed);
}

export interface ConsumerLagMetricsOptions {
  kafka: Kafka;
  groupId: string;
  /** The topics the group reads (inboxes and their retry topics). */
  topics: () => string[];
  /** A scrape waits at most this long for the broker; then the gauges say the lag could not be read. */
  timeoutMs?: number;
}

/**
 * Registers `tongban_consumer_lag_messages` (labels `group`, `topic`, `partition`) and `tongban_consumer_lag_up`,
 * read from the broker at each scrape (concurrent scrapes share one read): a consumer that is stuck shows a
 * growing lag even though it processes nothing. Returns a function that closes the admin client.
 */
export function registerConsumerLagMetrics(registry: Registry, o: ConsumerLagMetricsOptions): () => Promise<void> {
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  // One read serves every gauge of a scrape (and scrapes a moment apart).
  let reading: { at: number; lag: Promise<PartitionConsumerLag[]> } | undefined;
  const read = async () => {
    admin ??= o.kafka.admin();
    connected ??= admin.connect().catch((e) => {
      connected = undefined;
      throw e;
    });
    await connected;
    return readConsumerLag(admin, o.groupId, o.topics());
  };
  const timeoutMs = o.timeoutMs ?? 3000;
  const once = () => {
    if (!reading || Date.now() - reading.at > 1000) {
      const lag = Promise.race([
        read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer from the broker in ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      lag.catch(() => undefined);
      reading = { at: Date.now(), lag };
    }
    return reading.lag;
  };
  new Gauge({
    name: 'tongban_consumer_lag_messages',
    help: 'Records written to a partition and not yet committed by the consumer group',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const lag = await once().catch(() => []);
      for (const p of lag) this.set({ group: o.groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
    },
  });
  new Gauge({
    name: 'tongban_consumer_lag_up',
    help: '1 when the consumer lag could be read from the broker, 0 when not',
    labelNames: ['group'],
    registers: [registry],
    async collect() {
      this.set(
        { group: o.groupId },
        await once().then(
          () => 1,
          () => 0,
        ),
      );
    },
  });
  return async () => {
    if (admin && connected) await admin.disconnect().catch(() => undefined);
  };
}
