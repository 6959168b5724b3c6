import { Kafka } from 'kafkajs';
import { HEADERS, headerText } from '@tongban/kafka';

/**
 * Reads a topic from the beginning up to its current end and counts the messages per event id (from
 * the `tongban-event-id` header): how a test proves that something was delivered exactly once.
 */
export async function eventIdCounts(kafka: Kafka, topic: string, timeoutMs = 30000): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const counts = new Map<string, number>();
  if (remaining.size === 0) return counts;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reading ${topic} took longer than ${timeoutMs} ms`)), timeoutMs);
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const id = headerText(message.headers, HEADERS.eventId) ?? '?';
          counts.set(id, (counts.get(id) ?? 0) + 1);
          if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return counts;
}
