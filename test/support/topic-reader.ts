import { Kafka } from 'kafkajs';
import { HEADERS, headerText } from '@tongban/kafka';

export interface TopicMessage {
  partition: number;
  offset: string;
  key: string;
  value: Buffer | null;
  /** Every header as text. */
  headers: Record<string, string>;
  /** The record's timestamp (ms since the epoch). */
  timestamp: number;
}

/** Every message of a topic from the beginning up to its current end, read by a plain kafkajs consumer. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const out: TopicMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} took longer than ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const name of Object.keys(message.headers ?? {})) headers[name] = headerText(message.headers, name) ?? '';
            out.push({ partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value, headers, timestamp: Number(message.timestamp) });
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Counts the messages of a topic per event id (the `tongban-event-id` header): how a test proves that
 * something was delivered exactly once.
 */
export async function eventIdCounts(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const m of await readTopic(kafka, topic, timeoutMs)) {
    const id = m.headers[HEADERS.eventId] ?? '?';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
