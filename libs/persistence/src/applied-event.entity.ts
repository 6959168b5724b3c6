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
  const result = await manager.query(
    'INSERT IGNORE INTO applied_events (event_id, consumer, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))',
    [eventId, consumer],
  );
  return (result as { affectedRows: number }).affectedRows === 1;
}

/** Two transactions claimed the same event id at once: which of a batch's claims are this one's is unknown. */
export class ClaimRaceError extends Error {
  readonly retriable = true;

  constructor(claimed: number, expected: number) {
    super(`claimed ${claimed} of ${expected} event ids: another transaction claimed some of them meanwhile`);
    this.name = 'ClaimRaceError';
  }
}

/**
 * Claims several event ids for `consumer` inside the caller's transaction and returns the ones that were not
 * applied before (an id given twice counts once). One id takes one statement, as `claimEvent`; more take two: the
 * ids applied before, then one insert of the others. When another transaction claims one of those between the two
 * statements, the insert claims fewer than it should and this throws `ClaimRaceError`: the caller rolls back and
 * claims them one at a time.
 */
export async function claimEvents(manager: EntityManager, consumer: string, eventIds: string[]): Promise<Set<string>> {
  const ids = [...new Set(eventIds)];
  if (ids.length === 0) return new Set();
  if (ids.length === 1) return (await claimEvent(manager, consumer, ids[0])) ? new Set(ids) : new Set();
  const before: Array<{ event_id: string }> = await manager.query('SELECT event_id FROM applied_events WHERE consumer = ? AND event_id IN (?)', [consumer, ids]);
  const applied = new Set(before.map((r) => r.event_id));
  const fresh = ids.filter((id) => !applied.has(id));
  if (fresh.length === 0) return new Set();
  const now = { toSqlString: () => 'UTC_TIMESTAMP(3)' };
  const result = await manager.query('INSERT IGNORE INTO applied_events (event_id, consumer, applied_at) VALUES ?', [fresh.map((id) => [id, consumer, now])]);
  const claimed = (result as { affectedRows: number }).affectedRows;
  if (claimed !== fresh.length) throw new ClaimRaceError(claimed, fresh.length);
  return new Set(fresh);
}

/** DDL for the table, for a service's first migration. */
export const APPLIED_EVENTS_DDL = `CREATE TABLE IF NOT EXISTS applied_events (
  event_id CHAR(36) NOT NULL,
  consumer VARCHAR(100) NOT NULL,
  applied_at DATETIME(3) NOT NULL,
  PRIMARY KEY (event_id, consumer)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
