import { Kafka } from 'kafkajs';
import { headerText } from '@tongban/kafka';

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

/**
 * Hands `each` every message of a topic from the beginning up to its end as it is now, read by a plain kafkajs
 * consumer in a group of its own; rejects when that takes longer than `timeoutMs`.
 */
export async function eachTopicMessage(kafka: Kafka, topic: string, each: (m: TopicMessage) => unknown, timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  if (remaining.size === 0) return;
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
            each({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? '',
              value: message.value,
              headers,
              timestamp: Number(message.timestamp),
            });
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
}

/** Every message of a topic from the beginning up to its end as it is now (see eachTopicMessage). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<TopicMessage[]> {
  const out: TopicMessage[] = [];
  await eachTopicMessage(kafka, topic, (m) => out.push(m), timeoutMs);
  return out;
}
