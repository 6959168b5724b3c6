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
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions ?? options.partitions ?? 6,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: s.configEntries,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}
