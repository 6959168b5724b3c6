import type { Kafka } from 'kafkajs';

/**
 * For specs: a Kafka whose producers answer each send as `answer(call, producer)` says (calls and producers counted
 * from 1): stored, or refused with that broker error type, wrapped as kafkajs wraps it. Connecting takes
 * `connectDelayMs`.
 */
export function refusingKafka(answer: (call: number, producer: number) => 'ok' | string, connectDelayMs = 0) {
  const stored: Array<{ producer: number; topic: string }> = [];
  const disconnected: number[] = [];
  let producers = 0;
  let calls = 0;
  const kafka = {
    producer: () => {
      const producer = ++producers;
      return {
        connect: () => new Promise((r) => setTimeout(r, connectDelayMs)),
        disconnect: async () => void disconnected.push(producer),
        send: async ({ topic }: { topic: string }) => {
          const a = answer(++calls, producer);
          if (a !== 'ok') throw Object.assign(new Error('send failed'), { cause: Object.assign(new Error(a), { type: a }) });
          stored.push({ producer, topic });
          return [{ topicName: topic, partition: 0, errorCode: 0 }];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, stored, disconnected, producers: () => producers };
}
