import { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { AvroCodec, DecodeFailure, Envelope } from '@tongban/avro';
import { isDependencyFailure } from '@tongban/errors';
import { ConsumerSupervisor, DeadLetterPublisher, headerText, whileTopicsSettle } from '@tongban/kafka';
import { Minimiser } from '@tongban/masking';
import { extractTraceContext, injectTraceContext, inSpan, JsonLogger, SpanKind } from '@tongban/observability';
import { RoutingTable } from '@tongban/regions';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { DeliveryStore } from './delivery.store';
import { DeliveryWorker } from './delivery.worker';

type Json = Record<string, unknown>;

/**
 * Reads the inboxes of the configured nodes and turns each event addressed to a subscriber's region
 * into a delivery, minimised for the webhook role. Only the copy in the addressed node's inbox counts
 * (the publisher's own copy of an event is not the addressee's). The offset is committed after the
 * deliveries are stored.
 */
export class InboxConsumer {
  private consumer?: Consumer;
  private supervisor?: ConsumerSupervisor;

  constructor(
    private readonly o: {
      kafka: Kafka;
      groupId: string;
      /** Session timeout and heartbeat interval of the group membership. */
      consumerGroup?: { sessionTimeoutMs: number; heartbeatIntervalMs: number };
      topics: Map<string, string>;
      codec: AvroCodec;
      minimiser: Minimiser;
      routing: RoutingTable;
      subscriptions: SubscriptionRepository;
      store: DeliveryStore;
      worker: DeliveryWorker;
      /** Where a message that cannot be turned into deliveries is parked, with its reason (ops stores it). */
      deadLetters: DeadLetterPublisher;
      logger: JsonLogger;
      /** Tries of a message that fails for a reason of its own before it is parked. */
      attempts?: number;
    },
  ) {}

  async start(): Promise<void> {
    await this.o.deadLetters.connect();
    this.consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.consumerGroup?.sessionTimeoutMs,
      heartbeatInterval: this.o.consumerGroup?.heartbeatIntervalMs,
    });
    await this.consumer.connect();
    const consumer = this.consumer;
    await whileTopicsSettle(() => consumer.subscribe({ topics: [...this.o.topics.keys()], fromBeginning: true }));
    const run = () =>
      consumer.run({
        partitionsConsumedConcurrently: 4,
        eachMessage: async ({ topic, partition, message }) => {
          let decoded;
          try {
            decoded = await this.o.codec.decode(message.value, { topic, partition, offset: message.offset });
          } catch (e) {
            // A registry that did not answer is worth waiting for: throwing makes kafkajs retry the message
            // without committing it, so no delivery is lost. Bytes that can never decode are dead-lettered
            // (with their reason) by the region node reading the same inbox; delivery passes over them.
            if (!(e instanceof DecodeFailure)) throw e;
            this.o.logger.event('warn', 'inbox message not delivered: it does not decode (the node dead-letters it)', {
              topic,
              partition,
              offset: message.offset,
              error: (e as Error).message,
            });
            return;
          }
          const headers: Record<string, string> = {};
          for (const name of ['traceparent', 'tracestate']) {
            const value = headerText(message.headers, name);
            if (value) headers[name] = value;
          }
          // A child of the relay's send, like the node's apply: the deliveries made here keep this span's context.
          await inSpan(
            `deliveries for ${decoded.eventType}`,
            {
              kind: SpanKind.CONSUMER,
              parent: extractTraceContext(headers),
              attributes: {
                'messaging.system': 'kafka',
                'messaging.operation.type': 'process',
                'messaging.destination.name': topic,
                'messaging.destination.partition.id': String(partition),
                'messaging.kafka.offset': Number(message.offset),
                'messaging.consumer.group.name': this.o.groupId,
                'tongban.event_type': decoded.eventType,
              },
            },
            () => this.handleOrPark(topic, partition, message, decoded.eventType, decoded.value),
          );
        },
      });
    // A crash kafkajs does not restart from (after a broker restart, say) would leave the inboxes unread.
    this.supervisor = new ConsumerSupervisor(consumer, run, `consumer group ${this.o.groupId}`, this.o.logger);
    await run();
  }

  /**
   * A database or registry that does not answer is waited for (the message is read again, its offset not
   * committed). Any other failure is the message's own: after a few tries it is parked on `<inbox>.dlq`
   * with its reason, where the ops service shows it, and the partition moves on.
   */
  private async handleOrPark(topic: string, partition: number, message: KafkaMessage, eventType: string, record: Json): Promise<void> {
    const attempts = this.o.attempts ?? 3;
    const firstFailureAt = new Date();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handle(this.o.topics.get(topic) as string, eventType, record);
        return;
      } catch (e) {
        if (isDependencyFailure(e)) throw e;
        if (attempt < attempts) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        const headers: Record<string, string> = {};
        for (const name of Object.keys(message.headers ?? {})) headers[name] = headerText(message.headers, name) ?? '';
        const dlq = await this.o.deadLetters.publish(
          { topic, partition, offset: message.offset, key: message.key, value: message.value, headers },
          e,
          attempt,
          firstFailureAt,
        );
        this.o.logger.event('error', 'inbox message parked: no delivery could be made of it', {
          topic,
          partition,
          offset: message.offset,
          dlq,
          eventType,
          error: (e as Error).message,
        });
        return;
      }
    }
  }

  async handle(node: string, eventType: string, record: Json): Promise<void> {
    // Every event record carries the common envelope: the codec decoded it with the event's schema.
    const envelope = record.envelope as Envelope;
    const targetRegion = envelope.targetRegion;
    if (this.o.routing.nodeFor(targetRegion) !== node) return;
    const subscriptions = await this.o.subscriptions.matching(targetRegion, eventType);
    if (subscriptions.length === 0) return;
    const { value } = this.o.minimiser.minimise(eventType, 'webhook', record);
    const { envelope: _e, ...payload } = value;
    const body = JSON.stringify({
      eventId: envelope.eventId,
      eventType,
      caseId: envelope.caseId,
      sourceRegion: envelope.sourceRegion,
      targetRegion,
      sourceOffice: envelope.sourceOffice ?? null,
      occurredAt: envelope.occurredAt,
      correlationId: envelope.correlationId,
      causationId: envelope.causationId ?? null,
      schemaVersion: envelope.schemaVersion,
      payload,
    });
    const trace = injectTraceContext({});
    for (const s of subscriptions) {
      await this.o.store.add({ subscriptionId: s.subscriptionId, eventId: envelope.eventId, eventType, caseId: envelope.caseId, targetRegion, body, trace });
      await this.o.worker.enqueue(await this.o.store.advance(s.subscriptionId, envelope.caseId));
    }
  }

  async close(): Promise<void> {
    this.supervisor?.stop();
    await this.consumer?.disconnect();
    await this.o.deadLetters.disconnect().catch(() => undefined);
  }
}
