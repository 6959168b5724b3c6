import type { EntityManager } from 'typeorm';
import { DEFAULT_LANES, laneOf, OutboxMessage, OutboxWriter } from '@tongban/kafka';

/**
 * The transactional outbox in MySQL: a service stores the message it wants to publish in the same
 * transaction as the fact it decided, and the relay moves it to Kafka afterwards (see `MysqlOutboxStore`).
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

/**
 * Adds messages to the outbox inside the caller's transaction. A message whose event id is already
 * queued for the same topic is the same message again (a re-run reaction): it is not queued twice.
 */
export async function enqueue(manager: EntityManager, messages: OutboxMessage[], lanes = DEFAULT_LANES): Promise<void> {
  if (messages.length === 0) return;
  const placeholders = messages.map(() => '(?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ');
  const params = messages.flatMap((m) => [m.eventId, laneOf(m.key, lanes), m.topic, m.key, m.value, JSON.stringify(m.headers)]);
  await manager.query(`INSERT IGNORE INTO outbox_events (event_id, lane, topic, message_key, value, headers, created_at) VALUES ${placeholders}`, params);
}

/** The outbox writer `EventPublisher` is given: rows in `outbox_events`, in the transaction of an `EntityManager`. */
export const mysqlOutbox: OutboxWriter<EntityManager> = { enqueue };
