import { Kafka, Producer } from 'kafkajs';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { topics } from '@tongban/regions';
import { sequenceLost } from '../producer-sequence';
import { FailureFacts, failureHeaders, nextStep } from './failure-headers';

export { FAILURE_HEADERS } from './failure-headers';

export interface FailedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

/** Where the copies of failed messages are written (a `FailurePublisher`, or a fake in unit specs). */
export type FailureSink = Pick<FailurePublisher, 'send'>;

/**
 * Writes the copies of failed messages: to a retry topic, to the dead-letter topic, or back to the
 * original topic for a replay. Idempotent producer with acks=all: a copy is stored before the
 * consumer's offset moves on, so nothing is dropped. The original bytes are never touched.
 */
export class FailurePublisher {
  private producer?: Producer;

  constructor(private readonly kafka: Kafka) {}

  /** Producers replaced because the broker no longer accepted their sequence numbers. */
  renewed = 0;

  async connect(): Promise<void> {
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer?.disconnect();
  }

  async send(topic: string, key: Buffer | string | null, value: Buffer | null, headers: Record<string, string>): Promise<void> {
    if (!this.producer) throw new Error('FailurePublisher is not connected');
    // A copy keeps the original's traceparent (its retry or replay is applied within the original trace): the kafkajs
    // instrumentation, which would write the consumer's own context over it, does not trace this send.
    const sendWith = (producer: Producer) =>
      context.with(suppressTracing(context.active()), () => producer.send({ topic, acks: -1, messages: [{ key, value, headers }] }));
    try {
      await sendWith(this.producer);
    } catch (e) {
      // kafkajs does not recover from a broker that no longer accepts its sequence numbers (see the relay): a new
      // producer sends the copy again. Should the first have arrived after all, the copy is there twice: a retry is
      // applied once (by event id), a dead letter is listed twice (replaying both applies it once).
      if (!sequenceLost(e)) throw e;
      const stale = this.producer;
      await this.connect();
      this.renewed++;
      await stale.disconnect().catch(() => undefined);
      await sendWith(this.producer as Producer);
    }
  }
}

/**
 * Parks a message that cannot be processed on `<topic>.dlq`, with the original bytes untouched and
 * the reason in headers, so an operator can find, inspect and replay it.
 */
export class DeadLetterPublisher {
  private readonly publisher: FailurePublisher;

  constructor(
    kafka: Kafka,
    private readonly consumerGroup: string,
  ) {
    this.publisher = new FailurePublisher(kafka);
  }

  connect(): Promise<void> {
    return this.publisher.connect();
  }

  disconnect(): Promise<void> {
    return this.publisher.disconnect();
  }

  async publish(message: FailedMessage, error: unknown, attempts: number, firstFailureAt: Date): Promise<string> {
    const dlq = topics.dlq(message.topic);
    const now = new Date();
    const facts: FailureFacts = {
      origin: { topic: message.topic, partition: message.partition, offset: message.offset },
      key: message.key?.toString('utf8') ?? '',
      error,
      retriable: false,
      attempts,
      firstFailureAt,
      lastFailureAt: now,
      consumerGroup: this.consumerGroup,
      failedTopic: message.topic,
      step: nextStep({ delaysMs: [] }, message.topic, 0, false, now),
    };
    await this.publisher.send(dlq, message.key, message.value, failureHeaders(message.headers ?? {}, facts));
    return dlq;
  }
}
