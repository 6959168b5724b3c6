import { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  configEntries?: Array<{ name: string; value: string }>;
}

/**
 * How new topics are created (TONGBAN_TOPIC_PARTITIONS, TONGBAN_TOPIC_REPLICATION_FACTOR,
 * TONGBAN_TOPIC_MIN_INSYNC_REPLICAS): one broker locally; a province's 3-broker cluster uses
 * replication factor 3 and min.insync.replicas 2, so an acks=all write survives one broker's loss.
 */
export interface TopicSettings {
  partitions?: number;
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The topic creation requests for `missing`, with the settings applied (a spec's own entries win). */
export function topicRequests(missing: TopicSpec[], settings: TopicSettings = {}) {
  return missing.map((s) => {
    const entries = [...(s.configEntries ?? [])];
    if (settings.minInsyncReplicas !== undefined && !entries.some((e) => e.name === 'min.insync.replicas')) {
      entries.push({ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) });
    }
    return {
      topic: s.topic,
      numPartitions: s.numPartitions ?? settings.partitions ?? 6,
      replicationFactor: settings.replicationFactor ?? 1,
      configEntries: entries.length ? entries : undefined,
    };
  });
}

/**
 * Creates the topics that are missing; existing ones are left as they are. A broker that has just
 * created a topic (here or in another service starting at the same time) may not host it yet: a
 * retriable answer is asked again a few times.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], settings: TopicSettings = {}): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let tries = 1; ; tries++) {
      let missing: TopicSpec[] = [];
      try {
        const existing = new Set(await admin.listTopics());
        missing = specs.filter((s) => !existing.has(s.topic));
        if (missing.length === 0) return;
        await admin.createTopics({ waitForLeaders: true, topics: topicRequests(missing, settings) });
        return;
      } catch (e) {
        // A busy broker may answer the leader check of a topic it has just created with "does not host
        // this topic-partition", which kafkajs does not retry: wait for the metadata ourselves.
        const err = e as { retriable?: boolean };
        if (isUnhostedTopic(e)) {
          await untilLeadersKnown(
            admin,
            missing.map((s) => s.topic),
          );
          return;
        }
        if (tries >= 10 || err.retriable === false) throw e;
        await sleep(300 * tries);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * True for Kafka's "this server does not host this topic-partition" (UNKNOWN_TOPIC_OR_PARTITION), also as the cause
 * of a kafkajs error: a broker whose metadata has not caught up yet with a topic created a moment ago.
 */
export function isUnhostedTopic(e: unknown): boolean {
  const err = e as { type?: string; cause?: { type?: string } } | undefined;
  return err?.type === 'UNKNOWN_TOPIC_OR_PARTITION' || err?.cause?.type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

/**
 * Runs `fn` again while a broker answers that a topic is not hosted there (see isUnhostedTopic), for up to
 * `timeoutMs`: on a cluster of several nodes, a consumer that subscribes right after its topics were created may ask
 * a broker that does not know them yet, and kafkajs gives up at once. Any other error is thrown as it is.
 */
export async function whileTopicsSettle<T>(fn: () => Promise<T>, timeoutMs = 30_000, pauseMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!isUnhostedTopic(e) || Date.now() >= deadline) throw e;
      await sleep(pauseMs);
    }
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
