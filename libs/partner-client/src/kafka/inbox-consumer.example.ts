import { join } from 'node:path';
import { Consumer, Kafka, logLevel, SASLOptions } from 'kafkajs';
import { AvroCodec, DecodeFailure, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';

export interface PartnerInboxOptions {
  brokers: string[];
  /** The region's principal, e.g. `partner-500000`, and its password (from the region's secret store). */
  username: string;
  password: string;
  mechanism?: 'scram-sha-512' | 'scram-sha-256';
  /** The node whose inbox the region reads, e.g. 500000; the topic is `<namespace>.<node>.inbox`. */
  node: string;
  namespace?: string;
  /** Must start with `partner.<node>.`: the ACLs allow the region only its own groups. */
  groupId: string;
  schemaRegistryUrl: string;
  /** The region's registry reader (HTTP basic), issued with its Kafka credentials. */
  schemaRegistryAuth?: { username: string; password: string };
  /** Apply the event; resolve only once the effect is stored (the offset is committed after it). */
  onEvent: (event: { eventType: string; value: Record<string, unknown>; topic: string; partition: number; offset: string }) => Promise<void>;
  /** A message that is not a tongban event (or written with a schema unknown here): noted, then skipped. */
  onUndecodable?: (failure: DecodeFailure) => Promise<void> | void;
}

/**
 * How a partner region reads its own inbox directly: SASL/SCRAM credentials, Avro in the Confluent
 * wire format decoded through the schema registry (AvroCodec here; any Confluent client works, e.g.
 * @kafkajs/confluent-schema-registry or confluent-kafka with its Avro deserialiser), and the offset
 * committed by hand after each event's effect, so a crash re-reads rather than loses.
 */
export async function startPartnerInboxConsumer(o: PartnerInboxOptions): Promise<Consumer> {
  const sasl = { mechanism: o.mechanism ?? 'scram-sha-512', username: o.username, password: o.password } as SASLOptions;
  const kafka = new Kafka({ clientId: o.username, brokers: o.brokers, sasl, ssl: false, logLevel: logLevel.WARN });
  const codec = new AvroCodec(
    new SchemaCatalogue(join(contractsDir(), 'avro')),
    new SchemaRegistryClient(o.schemaRegistryUrl, { auth: o.schemaRegistryAuth }),
    false,
  );
  const consumer = kafka.consumer({ groupId: o.groupId });
  const topic = `${o.namespace ?? 'tongban'}.${o.node}.inbox`;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic: t, partition, message }) => {
      let decoded;
      try {
        decoded = await codec.decode(message.value, { topic: t, partition, offset: message.offset });
      } catch (e) {
        // Poison must not block the partition; a registry outage (not a DecodeFailure) is retried.
        if (!(e instanceof DecodeFailure)) throw e;
        await o.onUndecodable?.(e);
      }
      if (decoded) await o.onEvent({ eventType: decoded.eventType, value: decoded.value, topic: t, partition, offset: message.offset });
      await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  return consumer;
}
