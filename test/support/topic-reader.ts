import { Kafka } from 'kafkajs';
import { HEADERS } from '@tongban/kafka';
import { readTopic } from '../../tools/stack/topic-reader';

export { readTopic, type TopicMessage } from '../../tools/stack/topic-reader';

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
