import { Kafka } from 'kafkajs';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { topics } from '@tongban/regions';
import { RenewingProducer } from '../renewing-producer';
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
  // kafkajs does not recover from a broker that no longer accepts its sequence numbers (see the relay): a new
  // producer sends the copy again. Should the first have arrived after all, the copy is there twice: a retry is
  // applied once (by event id), a dead letter is stored once by ops (by the digest of the copy, `copy_hash`).
  private readonly producer: RenewingProducer;

  constructor(kafka: Kafka) {
    this.producer = new RenewingProducer(kafka);
  }

  /** Producers replaced because the broker no longer accepted their sequence numbers. */
  get renewed(): number {
    return this.producer.renewed;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async send(topic: string, key: Buffer | string | null, value: Buffer | null, headers: Record<string, string>): Promise<void> {
    // A copy keeps the original's traceparent (its retry or replay is applied within the original trace): the kafkajs
    // instrumentation, which would write the consumer's own context over it, does not trace this send.
    await context.with(suppressTracing(context.active()), () => this.producer.send({ topic, acks: -1, messages: [{ key, value, headers }] }));
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
