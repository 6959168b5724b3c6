import { createHash } from 'node:crypto';

/**
 * The transactional outbox: a service stores the message it wants to publish in the same database
 * transaction as the fact it decided, and the relay moves it to Kafka afterwards. Rows are spread
 * over lanes by case id; one relay at a time owns a lane, so one case's messages leave in order.
 * The stores are the persistence side's (`@tongban/persistence`, kafka-stores); this lib holds the ports.
 */
export const DEFAULT_LANES = 16;

export interface OutboxMessage {
  eventId: string;
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export function laneOf(key: string, lanes = DEFAULT_LANES): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % lanes;
}

/**
 * Writes messages to the outbox inside the caller's transaction `tx` (whatever the store's transaction is). A
 * message whose event id is already queued for the same topic is the same message again: not queued twice.
 */
export interface OutboxWriter<Tx = unknown> {
  enqueue(tx: Tx, messages: OutboxMessage[], lanes: number): Promise<void>;
}
