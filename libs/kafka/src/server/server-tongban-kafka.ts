import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { AvroCodec, DecodeFailure } from '@tongban/avro';
import { isRetriable, TongbanError } from '@tongban/errors';
import { JsonLogger, withLogContext } from '@tongban/observability';
import { DeadLetterPublisher } from '../failures/dead-letter';
import { headerText } from '../kafka-client';
import { InboxContext, InboxMessageMeta } from './inbox.context';

export interface ServerTongbanKafkaOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  codec: AvroCodec;
  logger: JsonLogger;
  /** Tries in place for a retriable failure before the message is dead-lettered. */
  maxAttempts?: number;
  retryBackoffMs?: number;
  partitionsConsumedConcurrently?: number;
  onProcessed?: (outcome: 'applied' | 'dead-lettered', meta: Partial<InboxMessageMeta>) => void;
}

export class NoHandlerError extends TongbanError {
  constructor(eventType: string) {
    super('NO_HANDLER', `this node has no handler for ${eventType}`);
  }
}

/** The pattern of a handler that takes every event type without one of its own. */
const CATCH_ALL = '*';

/**
 * A Nest transport for tongban inboxes: Avro in the wire format, handlers picked by event type
 * (`@EventPattern('SubsidyApplicationSubmitted')`, or `'*'` for any), offsets committed only after
 * the handler's effect is stored, and a message that cannot be processed parked on `<topic>.dlq`
 * so the partition moves on.
 */
export class ServerTongbanKafka extends Server implements CustomTransportStrategy {
  private consumer?: Consumer;
  private readonly deadLetters: DeadLetterPublisher;

  constructor(private readonly options: ServerTongbanKafkaOptions) {
    super();
    this.deadLetters = new DeadLetterPublisher(options.kafka, options.groupId);
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.deadLetters.connect();
      this.consumer = this.options.kafka.consumer({
        groupId: this.options.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 30000,
        heartbeatInterval: 3000,
      });
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      callback();
    } catch (e) {
      callback(e);
    }
  }

  async close(): Promise<void> {
    // kafkajs finishes the batch in flight before it leaves the group.
    await this.consumer?.disconnect();
    await this.deadLetters.disconnect().catch(() => undefined);
  }

  on(): never {
    throw new Error('ServerTongbanKafka does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      await this.process(batch.topic, batch.partition, message);
      resolveOffset(message.offset);
      last = message.offset;
      await heartbeat();
    }
    if (last !== undefined) {
      await this.consumer!.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
    }
  }

  private async process(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of Object.keys(message.headers ?? {})) headers[name] = headerText(message.headers, name) ?? '';
    const meta: Partial<InboxMessageMeta> = { topic, partition, offset: message.offset, key: message.key?.toString() ?? '', headers };
    const maxAttempts = this.options.maxAttempts ?? 5;
    const firstFailureAt = new Date();
    for (let attempt = 1; ; attempt++) {
      try {
        const decoded = await this.options.codec.decode(message.value, { topic, partition, offset: message.offset });
        const envelope = (decoded.value as { envelope?: { eventId?: string; correlationId?: string; caseId?: string } }).envelope ?? {};
        Object.assign(meta, { schemaId: decoded.schemaId, eventType: decoded.eventType });
        await withLogContext({ correlationId: envelope.correlationId, eventId: envelope.eventId, caseId: envelope.caseId }, () =>
          this.dispatch(decoded.eventType, decoded.value, new InboxContext([meta as InboxMessageMeta])),
        );
        this.options.onProcessed?.('applied', meta);
        return;
      } catch (error) {
        const retriable = !(error instanceof DecodeFailure) && isRetriable(error);
        if (retriable && attempt < maxAttempts) {
          this.options.logger.event('warn', 'event failed, retrying in place', {
            topic, partition, offset: message.offset, attempt, error: (error as Error).message,
          });
          await new Promise((r) => setTimeout(r, (this.options.retryBackoffMs ?? 200) * 2 ** (attempt - 1)));
          continue;
        }
        await this.deadLetter(topic, partition, message, error, attempt, firstFailureAt);
        this.options.onProcessed?.('dead-lettered', meta);
        return;
      }
    }
  }

  private async dispatch(eventType: string, value: unknown, context: InboxContext): Promise<void> {
    const handler = this.getHandlerByPattern(eventType) ?? this.getHandlerByPattern(CATCH_ALL);
    if (!handler) throw new NoHandlerError(eventType);
    const result = await handler(value, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number, firstFailureAt: Date) {
    // Publishing the dead letter must succeed before the offset moves on; retry until it does.
    for (let tries = 1; ; tries++) {
      try {
        const dlq = await this.deadLetters.publish(
          { topic, partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers },
          error,
          attempts,
          firstFailureAt,
        );
        this.options.logger.event('error', 'event dead-lettered', {
          topic, partition, offset: message.offset, dlq, attempts,
          errorCode: error instanceof TongbanError ? error.code : 'UNEXPECTED',
          error: (error as Error)?.message,
        });
        return;
      } catch (e) {
        this.options.logger.event('error', 'dead-letter publish failed, retrying', { error: (e as Error).message, tries });
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * tries)));
      }
    }
  }
}
