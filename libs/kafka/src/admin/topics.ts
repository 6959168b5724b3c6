import { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  configEntries?: Array<{ name: string; value: string }>;
}

/** Creates the topics that are missing; existing ones are left as they are. */
export async function ensureTopics(
  kafka: Kafka,
  specs: TopicSpec[],
  options: { partitions?: number; replicationFactor?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions ?? options.partitions ?? 6,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries: s.configEntries,
        })),
      });
    } catch (e) {
      // A busy broker may answer the leader check of a topic it has just created with "does not host
      // this topic-partition", which kafkajs does not retry: wait for the metadata ourselves.
      const err = e as { type?: string; cause?: { type?: string } };
      if (err.type !== 'UNKNOWN_TOPIC_OR_PARTITION' && err.cause?.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw e;
      await untilLeadersKnown(admin, missing.map((s) => s.topic));
    }
  } finally {
    await admin.disconnect();
  }
}

async function untilLeadersKnown(admin: ReturnType<Kafka['admin']>, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
