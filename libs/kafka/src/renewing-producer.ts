import type { Kafka, Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import { sequenceLost } from './producer-sequence';

/**
 * An idempotent kafkajs producer that is replaced when the broker no longer accepts its sequence numbers (see
 * `sequenceLost`): the send that met the refusal goes once more with the new producer. Should the first copy have
 * arrived after all, the record is there twice; every consumer of the project's topics drops a second copy by event id.
 * Any other refusal is thrown as it is. Sends that meet the refusal at the same time share one renewal.
 */
export class RenewingProducer {
  /** Producers replaced because the broker no longer accepted their sequence numbers. */
  renewed = 0;
  private current?: Producer;
  private renewal?: Promise<Producer>;

  constructor(
    private readonly kafka: Pick<Kafka, 'producer'>,
    private readonly config: ProducerConfig = { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false },
    private readonly onRenewed?: (refusal: string) => void,
  ) {}

  async connect(): Promise<void> {
    const producer = this.kafka.producer(this.config);
    await producer.connect();
    this.current = producer;
  }

  async disconnect(): Promise<void> {
    await this.renewal?.catch(() => undefined);
    await this.current?.disconnect();
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const producer = this.current;
    if (!producer) throw new Error('RenewingProducer is not connected');
    try {
      return await producer.send(record);
    } catch (e) {
      const refusal = sequenceLost(e);
      if (!refusal) throw e;
      const fresh = await this.renew(producer, refusal);
      return fresh.send(record);
    }
  }

  /** A new producer in place of `stale`, unless another send has replaced it already. */
  private renew(stale: Producer, refusal: string): Promise<Producer> {
    if (this.current !== stale) return Promise.resolve(this.current as Producer);
    if (!this.renewal) {
      const renewal = (async () => {
        const fresh = this.kafka.producer(this.config);
        await fresh.connect();
        this.current = fresh;
        this.renewed++;
        this.onRenewed?.(refusal);
        await stale.disconnect().catch(() => undefined);
        return fresh;
      })();
      const done = () => {
        if (this.renewal === renewal) this.renewal = undefined;
      };
      renewal.then(done, done);
      this.renewal = renewal;
    }
    return this.renewal;
  }
}
