import { Kafka, KafkaMessage } from 'kafkajs';
import { headerText, HEADERS } from '@tongban/kafka';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';

/** Reads a topic from the beginning until `count` messages with event id `eventId` arrived; returns their raw messages. */
export async function readRaw(kafka: Kafka, topic: string, eventId: string, count = 1, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `test-read-${uniqueId()}` });
  const found: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (headerText(message.headers as Record<string, unknown>, HEADERS.eventId) === eventId) found.push(message);
      },
    });
    await waitFor(async () => (found.length >= count ? true : undefined), `${count} message(s) of ${eventId} on ${topic}`, timeoutMs);
    return found;
  } finally {
    await consumer.disconnect();
  }
}
