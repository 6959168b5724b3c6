import { Column, Entity, EntityManager, PrimaryColumn } from 'typeorm';

/**
 * Ids of the events a consumer has applied, written in the same transaction as the effect, so a
 * redelivery or an operator's replay of the same event changes nothing.
 */
@Entity({ name: 'applied_events' })
export class AppliedEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'char', length: 36 })
  eventId!: string;

  @PrimaryColumn({ name: 'consumer', type: 'varchar', length: 100 })
  consumer!: string;

  @Column({ name: 'applied_at', type: 'datetime', precision: 3 })
  appliedAt!: Date;
}

/**
 * Claims `eventId` for `consumer` inside the caller's transaction. Returns false when it was applied
 * before: the caller then skips the effect and commits nothing new.
 */
export async function claimEvent(manager: EntityManager, consumer: string, eventId: string): Promise<boolean> {
  const result = await manager.query('INSERT IGNORE INTO applied_events (event_id, consumer, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))', [eventId, consumer]);
  return (result as { affectedRows: number }).affectedRows === 1;
}

/** DDL for the table, for a service's first migration. */
export const APPLIED_EVENTS_DDL = `CREATE TABLE IF NOT EXISTS applied_events (
  event_id CHAR(36) NOT NULL,
  consumer VARCHAR(100) NOT NULL,
  applied_at DATETIME(3) NOT NULL,
  PRIMARY KEY (event_id, consumer)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
