import { Kafka, Producer, IHeaders } from 'kafkajs';
import { TongbanError } from '@tongban/errors';
import { topics } from '@tongban/regions';

/** Failure facts that travel with a dead letter, as Kafka headers. */
export const FAILURE_HEADERS = {
  originalTopic: 'tongban-original-topic',
  originalPartition: 'tongban-original-partition',
  originalOffset: 'tongban-original-offset',
  originalKey: 'tongban-original-key',
  errorClass: 'tongban-error-class',
  errorCode: 'tongban-error-code',
  errorMessage: 'tongban-error-message',
  attempts: 'tongban-attempts',
  firstFailureAt: 'tongban-first-failure-at',
  lastFailureAt: 'tongban-last-failure-at',
  consumerGroup: 'tongban-consumer-group',
} as const;

export interface FailedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/**
 * Parks a message that cannot be processed on `<topic>.dlq`, with the original bytes untouched and
 * the reason in headers, so an operator can find, inspect and replay it. Nothing is dropped.
 */
export class DeadLetterPublisher {
  private producer?: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly consumerGroup: string,
  ) {}

  async connect(): Promise<void> {
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer?.disconnect();
  }

  async publish(message: FailedMessage, error: unknown, attempts: number, firstFailureAt: Date): Promise<string> {
    const dlq = topics.dlq(message.topic);
    const err = error as Error;
    const headers: IHeaders = {
      ...(message.headers ?? {}),
      [FAILURE_HEADERS.originalTopic]: message.topic,
      [FAILURE_HEADERS.originalPartition]: String(message.partition),
      [FAILURE_HEADERS.originalOffset]: message.offset,
      [FAILURE_HEADERS.originalKey]: message.key?.toString('utf8') ?? '',
      [FAILURE_HEADERS.errorClass]: err?.name ?? 'Error',
      [FAILURE_HEADERS.errorCode]: error instanceof TongbanError ? error.code : 'UNEXPECTED',
      [FAILURE_HEADERS.errorMessage]: (err?.message ?? String(error)).slice(0, 2000),
      [FAILURE_HEADERS.attempts]: String(attempts),
      [FAILURE_HEADERS.firstFailureAt]: firstFailureAt.toISOString(),
      [FAILURE_HEADERS.lastFailureAt]: new Date().toISOString(),
      [FAILURE_HEADERS.consumerGroup]: this.consumerGroup,
    };
    await this.producer!.send({ topic: dlq, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
    return dlq;
  }
}
