import { Consumer, Kafka } from 'kafkajs';
import { ConsumerSupervisor, whileTopicsSettle } from '@tongban/kafka';
import { JsonLogger } from '@tongban/observability';
import { IngestDeadLetterService } from '../application/ingest-dead-letter.service';

/**
 * Reads every node's dead-letter topic with the ops service's own consumer group and stores each
 * message. Storing is idempotent by position, so offsets are committed after the row is written and
 * a redelivery after a crash stores nothing twice.
 */
export class DlqConsumer {
  private consumer?: Consumer;
  private supervisor?: ConsumerSupervisor;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topics: string[],
    private readonly ingest: IngestDeadLetterService,
    private readonly logger: JsonLogger,
    private readonly membership: { sessionTimeoutMs: number; heartbeatIntervalMs: number } = { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 },
  ) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.membership.sessionTimeoutMs,
      heartbeatInterval: this.membership.heartbeatIntervalMs,
    });
    await this.consumer.connect();
    const consumer = this.consumer;
    await whileTopicsSettle(() => consumer.subscribe({ topics: this.topics, fromBeginning: true }));
    const run = () =>
      consumer.run({
        autoCommit: true,
        eachMessage: async ({ topic, partition, message }) => {
          // A failure here (database down) throws: kafkajs retries the message and the offset does not move.
          await this.ingest.ingest({
            topic,
            partition,
            offset: message.offset,
            timestamp: message.timestamp,
            key: message.key,
            value: message.value,
            headers: message.headers,
          });
        },
      });
    // A crash kafkajs does not restart from (after a broker restart, say) would leave the dead letters unread.
    this.supervisor = new ConsumerSupervisor(consumer, run, `consumer group ${this.groupId}`, this.logger);
    await run();
    this.logger.event('info', 'reading dead-letter topics', { topics: this.topics, group: this.groupId });
  }

  async stop(): Promise<void> {
    this.supervisor?.stop();
    await this.consumer?.disconnect();
  }
}
