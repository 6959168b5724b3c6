import type { DataSource, EntityManager } from 'typeorm';
import type { Blocker, HeldMessage, Hold, HoldResolution, HoldStatus, HoldStore, NewHeldMessage } from '@tongban/kafka';

type Row = Record<string, unknown>;

function affected(result: unknown): number {
  // TypeORM hands back the driver's OkPacket for writes (or [rows, OkPacket] on some paths).
  const r = Array.isArray(result) ? (result[1] ?? result[0]) : result;
  return Number((r as { affectedRows?: number })?.affectedRows ?? 0);
}

function toHold(r: Row): Hold {
  return {
    caseKey: String(r.case_key),
    status: r.status as HoldStatus,
    blockerRef: String(r.blocker_ref),
    blockerEventId: (r.blocker_event_id as string | null) ?? null,
    errorCode: String(r.error_code),
    errorMessage: (r.error_message as string | null) ?? null,
    forwardTopic: String(r.forward_topic),
    resolution: (r.resolution as HoldResolution | null) ?? null,
    heldCount: Number(r.held_count ?? 0),
    openedAt: new Date(r.opened_at as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

function toHeld(r: Row): HeldMessage {
  const topic = String(r.topic);
  const partition = Number(r.partition_no);
  const offset = String(r.offset_no);
  return {
    id: String(r.id),
    caseKey: String(r.case_key),
    ref: `${topic}/${partition}/${offset}`,
    eventId: (r.event_id as string | null) ?? null,
    topic,
    partition,
    offset,
    value: (r.message_value as Buffer | null) ?? null,
    headers: JSON.parse(String(r.headers ?? '{}')),
    waitsForRef: String(r.waits_for_ref),
    waitsForEventId: (r.waits_for_event_id as string | null) ?? null,
    status: r.status as HeldMessage['status'],
    heldAt: new Date(r.held_at as string),
  };
}

const HOLD_COLUMNS = `h.case_key, h.status, h.blocker_ref, h.blocker_event_id, h.error_code, h.error_message, h.forward_topic,
  h.resolution, h.opened_at, h.updated_at,
  (SELECT COUNT(*) FROM held_messages m WHERE m.case_key = h.case_key AND m.status = 'held') AS held_count`;

/** Holds in the consuming service's MySQL database (tables from `HOLDS_DDL`). */
export class MysqlHoldStore implements HoldStore {
  constructor(private readonly dataSource: DataSource) {}

  async openHolds(keys: string[]): Promise<Map<string, Hold>> {
    const out = new Map<string, Hold>();
    const unique = [...new Set(keys.filter(Boolean))];
    if (unique.length === 0) return out;
    const rows: Row[] = await this.dataSource.query(
      `SELECT h.case_key, h.status, h.blocker_ref, h.blocker_event_id, h.error_code, h.error_message, h.forward_topic,
         h.resolution, h.opened_at, h.updated_at, 0 AS held_count
       FROM held_cases h WHERE h.case_key IN (?) AND h.status <> 'closed'`,
      [unique],
    );
    for (const r of rows) out.set(String(r.case_key), toHold(r));
    return out;
  }

  async get(caseKey: string): Promise<Hold | undefined> {
    const rows: Row[] = await this.dataSource.query(`SELECT ${HOLD_COLUMNS} FROM held_cases h WHERE h.case_key = ?`, [caseKey]);
    return rows[0] ? toHold(rows[0]) : undefined;
  }

  async list(o: { includeClosed?: boolean; limit?: number } = {}): Promise<Hold[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${HOLD_COLUMNS} FROM held_cases h ${o.includeClosed ? '' : "WHERE h.status <> 'closed'"} ORDER BY h.opened_at LIMIT ?`,
      [o.limit ?? 100],
    );
    return rows.map(toHold);
  }

  async messages(caseKey: string, o: { includeDone?: boolean; limit?: number } = {}): Promise<HeldMessage[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM held_messages WHERE case_key = ? ${o.includeDone ? '' : "AND status IN ('held', 'blocking')"} ORDER BY id LIMIT ?`,
      [caseKey, o.limit ?? 500],
    );
    return rows.map(toHeld);
  }

  private async lockHold(m: EntityManager, caseKey: string): Promise<Row | undefined> {
    const rows: Row[] = await m.query('SELECT status, blocker_ref, blocker_event_id FROM held_cases WHERE case_key = ? FOR UPDATE', [caseKey]);
    return rows[0];
  }

  append(caseKey: string, msg: NewHeldMessage): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const hold = await this.lockHold(m, caseKey);
      if (!hold || hold.status === 'closed') return false;
      // A redelivered message is already there: the unique origin keeps one copy.
      await m.query(
        `INSERT IGNORE INTO held_messages (case_key, event_id, topic, partition_no, offset_no, message_value, headers,
           waits_for_ref, waits_for_event_id, status, held_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', UTC_TIMESTAMP(3))`,
        [caseKey, msg.eventId, msg.topic, msg.partition, msg.offset, msg.value, JSON.stringify(msg.headers), hold.blocker_ref, hold.blocker_event_id],
      );
      return true;
    });
  }

  block(caseKey: string, b: Blocker, heldMessageId?: string): Promise<void> {
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO held_cases (case_key, status, blocker_ref, blocker_event_id, blocker_topic, blocker_partition, blocker_offset,
           blocker_value, blocker_headers, forward_topic, forward_headers, error_code, error_message, resolution, opened_at, updated_at)
         VALUES (?, 'forwarding', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
         ON DUPLICATE KEY UPDATE
           opened_at = IF(status = 'closed', UTC_TIMESTAMP(3), opened_at),
           status = 'forwarding', blocker_ref = VALUES(blocker_ref), blocker_event_id = VALUES(blocker_event_id),
           blocker_topic = VALUES(blocker_topic), blocker_partition = VALUES(blocker_partition), blocker_offset = VALUES(blocker_offset),
           blocker_value = VALUES(blocker_value), blocker_headers = VALUES(blocker_headers), forward_topic = VALUES(forward_topic),
           forward_headers = VALUES(forward_headers), error_code = VALUES(error_code), error_message = VALUES(error_message),
           resolution = NULL, lease_until = NULL, closed_at = NULL, updated_at = UTC_TIMESTAMP(3)`,
        [
          caseKey,
          b.ref,
          b.eventId,
          b.topic,
          b.partition,
          b.offset,
          b.value,
          JSON.stringify(b.headers),
          b.forwardTopic,
          JSON.stringify(b.forwardHeaders),
          b.errorCode,
          b.errorMessage.slice(0, 2000),
        ],
      );
      if (heldMessageId) {
        await m.query(`UPDATE held_messages SET status = 'blocking' WHERE id = ? AND case_key = ?`, [heldMessageId, caseKey]);
      }
    });
  }

  async forwarded(caseKey: string, blockerRef: string, status: 'retrying' | 'parked'): Promise<void> {
    await this.dataSource.query(
      `UPDATE held_cases SET status = ?, updated_at = UTC_TIMESTAMP(3), lease_until = NULL
       WHERE case_key = ? AND blocker_ref = ? AND status = 'forwarding'`,
      [status, caseKey, blockerRef],
    );
  }

  async blocker(caseKey: string): Promise<Blocker | undefined> {
    const rows: Row[] = await this.dataSource.query('SELECT * FROM held_cases WHERE case_key = ?', [caseKey]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      ref: String(r.blocker_ref),
      eventId: (r.blocker_event_id as string | null) ?? null,
      topic: String(r.blocker_topic),
      partition: Number(r.blocker_partition),
      offset: String(r.blocker_offset),
      key: caseKey,
      value: (r.blocker_value as Buffer | null) ?? null,
      headers: JSON.parse(String(r.blocker_headers)),
      forwardTopic: String(r.forward_topic),
      forwardHeaders: JSON.parse(String(r.forward_headers)),
      errorCode: String(r.error_code),
      errorMessage: String(r.error_message ?? ''),
    };
  }

  async claimRelease(caseKey: string, o: { from: HoldStatus[]; blockerRef?: string; resolution: HoldResolution; leaseMs: number }): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE held_cases SET status = 'releasing', resolution = ?, updated_at = UTC_TIMESTAMP(3),
         lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND
       WHERE case_key = ? AND (${o.from.length ? 'status IN (?)' : 'FALSE'} OR (status = 'releasing' AND lease_until < UTC_TIMESTAMP(3)))
         ${o.blockerRef ? 'AND blocker_ref = ?' : ''}`,
      [o.resolution, o.leaseMs * 1000, caseKey, ...(o.from.length ? [o.from] : []), ...(o.blockerRef ? [o.blockerRef] : [])],
    );
    if (affected(result) !== 1) return false;
    // The blocker is settled: applied on a retry, replayed, or discarded by an operator.
    await this.dataSource.query(`UPDATE held_messages SET status = ?, done_at = UTC_TIMESTAMP(3) WHERE case_key = ? AND status = 'blocking'`, [
      o.resolution === 'discarded' ? 'discarded' : 'applied',
      caseKey,
    ]);
    return true;
  }

  async renewLease(caseKey: string, leaseMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE held_cases SET lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, updated_at = UTC_TIMESTAMP(3)
       WHERE case_key = ? AND status = 'releasing'`,
      [leaseMs * 1000, caseKey],
    );
  }

  async nextHeld(caseKey: string): Promise<HeldMessage | undefined> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM held_messages WHERE case_key = ? AND status = 'held' ORDER BY id LIMIT 1`, [caseKey]);
    return rows[0] ? toHeld(rows[0]) : undefined;
  }

  async markHeld(id: string, status: 'applied' | 'discarded'): Promise<void> {
    await this.dataSource.query('UPDATE held_messages SET status = ?, done_at = UTC_TIMESTAMP(3) WHERE id = ?', [status, id]);
  }

  closeIfEmpty(caseKey: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const hold = await this.lockHold(m, caseKey);
      if (!hold || hold.status !== 'releasing') return false;
      const [left] = await m.query(`SELECT COUNT(*) AS n FROM held_messages WHERE case_key = ? AND status = 'held'`, [caseKey]);
      if (Number(left.n) > 0) return false;
      await m.query(
        `UPDATE held_cases SET status = 'closed', closed_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3), lease_until = NULL,
           blocker_value = NULL WHERE case_key = ?`,
        [caseKey],
      );
      return true;
    });
  }

  async stalled(olderThanMs: number): Promise<Hold[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${HOLD_COLUMNS} FROM held_cases h
       WHERE (h.status = 'forwarding' AND h.updated_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)
          OR (h.status = 'releasing' AND h.lease_until < UTC_TIMESTAMP(3))
       LIMIT 100`,
      [olderThanMs * 1000],
    );
    return rows.map(toHold);
  }

  async claimStalledForward(caseKey: string, olderThanMs: number): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE held_cases SET updated_at = UTC_TIMESTAMP(3)
       WHERE case_key = ? AND status = 'forwarding' AND updated_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND`,
      [caseKey, olderThanMs * 1000],
    );
    return affected(result) === 1;
  }
}
