import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/**
 * The transactional outbox: a service stores the message it wants to publish in the same MySQL
 * transaction as the fact it decided, and the relay moves it to Kafka afterwards. Rows are spread
 * over lanes by case id; one relay at a time owns a lane, so one case's messages leave in order.
 */
export const OUTBOX_DDL = `CREATE TABLE IF NOT EXISTS outbox_events (
  id BIGINT NOT NULL AUTO_INCREMENT,
  event_id CHAR(36) NOT NULL,
  lane SMALLINT NOT NULL,
  topic VARCHAR(249) NOT NULL,
  message_key VARCHAR(200) NOT NULL,
  value LONGBLOB NOT NULL,
  headers TEXT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  sent_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_outbox_event_topic (event_id, topic),
  KEY idx_outbox_pending (lane, sent_at, id),
  KEY idx_outbox_sent (sent_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

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
 * Adds messages to the outbox inside the caller's transaction. A message whose event id is already
 * queued for the same topic is the same message again (a re-run reaction): it is not queued twice.
 */
export async function enqueue(manager: EntityManager, messages: OutboxMessage[], lanes = DEFAULT_LANES): Promise<void> {
  if (messages.length === 0) return;
  const placeholders = messages.map(() => '(?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ');
  const params = messages.flatMap((m) => [
    m.eventId,
    laneOf(m.key, lanes),
    m.topic,
    m.key,
    m.value,
    JSON.stringify(m.headers),
  ]);
  await manager.query(
    `INSERT IGNORE INTO outbox_events (event_id, lane, topic, message_key, value, headers, created_at) VALUES ${placeholders}`,
    params,
  );
}
