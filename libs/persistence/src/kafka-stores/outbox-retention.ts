import { deleteOlder, PurgeRule } from '../retention';

/** Sent outbox rows are copies of what Kafka now holds: deleted once older than `keepMs` (kind `outbox`). */
export function sentOutboxRule(keepMs: number): PurgeRule {
  return deleteOlder('outbox', keepMs, 'outbox_events', 'sent_at IS NOT NULL AND sent_at < ?');
}
