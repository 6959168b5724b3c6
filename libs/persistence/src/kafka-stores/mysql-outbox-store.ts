import { createConnection, Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { OutboxRelayStore, OutboxRow } from '@tongban/kafka';

interface Row extends RowDataPacket, OutboxRow {}

export interface MysqlOutboxStoreOptions {
  mysql: { host: string; port: number; user: string; password: string };
  database: string;
  /**
   * The lock connection's session `wait_timeout`: a relay whose host vanished without closing its
   * connection loses its lanes after this long (MySQL's default is 8 hours). A live relay keeps the
   * connection busy at a third of it. Default 30 s.
   */
  lockTimeoutSeconds?: number;
}

/**
 * The relay's outbox in MySQL (`outbox_events`, see `OUTBOX_DDL`): one connection of its own per relay, each lane
 * owned through a named lock on that connection, so the lanes of a relay that dies go with its connection.
 */
export class MysqlOutboxStore implements OutboxRelayStore {
  private conn?: Connection;

  constructor(private readonly options: MysqlOutboxStoreOptions) {}

  get connected(): boolean {
    return this.conn !== undefined;
  }

  private get lockTimeoutSeconds(): number {
    return this.options.lockTimeoutSeconds ?? 30;
  }

  get keepAliveMs(): number {
    return (this.lockTimeoutSeconds * 1000) / 3;
  }

  private lockName(lane: number): string {
    return `tongban.outbox.${this.options.database}.${lane}`;
  }

  private get session(): Connection {
    if (!this.conn) throw new Error('the outbox store is not connected');
    return this.conn;
  }

  async connect(): Promise<void> {
    await this.disconnect();
    const conn = await createConnection({ ...this.options.mysql, database: this.options.database, supportBigNumbers: true, bigNumberStrings: true });
    conn.on('error', () => undefined);
    try {
      // The lane locks live as long as this session: a vanished host must not keep them for MySQL's 8 hours.
      await conn.query('SET SESSION wait_timeout = ?', [this.lockTimeoutSeconds]);
    } catch (e) {
      await conn.end().catch(() => undefined);
      throw e;
    }
    this.conn = conn;
  }

  async disconnect(): Promise<void> {
    const old = this.conn;
    this.conn = undefined;
    await old?.end().catch(() => undefined);
  }

  async claimLane(lane: number): Promise<boolean> {
    const [rows] = await this.session.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got', [this.lockName(lane)]);
    return Number(rows[0].got) === 1;
  }

  async releaseLanes(lanes: readonly number[]): Promise<void> {
    for (const lane of lanes) await this.session.query('SELECT RELEASE_LOCK(?)', [this.lockName(lane)]);
  }

  async keepAlive(): Promise<void> {
    await this.conn?.query('DO 1');
  }

  /** The index on `sent_at` holds the unsent rows in id order: the read stops after the batch, however many sent rows the table keeps. */
  async unsent(lanes: readonly number[], limit: number): Promise<OutboxRow[]> {
    const [found] = await this.session.query<Row[]>(
      'SELECT id, lane, event_id, topic, message_key, value, headers, TIMESTAMPDIFF(MICROSECOND, created_at, UTC_TIMESTAMP(3)) AS waited_us ' +
        'FROM outbox_events FORCE INDEX (idx_outbox_sent) ' +
        'WHERE sent_at IS NULL AND lane IN (?) ORDER BY id LIMIT ?',
      [lanes, limit],
    );
    return found;
  }

  async markSent(ids: readonly string[]): Promise<void> {
    await this.session.query('UPDATE outbox_events SET sent_at = UTC_TIMESTAMP(3) WHERE id IN (?)', [ids]);
  }

  async purgeSent(lanes: readonly number[], keepMicroseconds: number, limit: number): Promise<number> {
    const [result] = await this.session.query<ResultSetHeader>(
      'DELETE FROM outbox_events WHERE sent_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND AND lane IN (?) LIMIT ?',
      [keepMicroseconds, lanes, limit],
    );
    return result.affectedRows;
  }
}

/** Rows not yet sent: the relay's backlog, for health and metrics. */
export async function outboxBacklog(conn: { query: Connection['query'] }): Promise<number> {
  return (await outboxBacklogAge(conn)).pending;
}

/** The backlog and the age of its oldest row in seconds (0 when nothing waits), read on the database's own clock. */
export async function outboxBacklogAge(conn: { query: Connection['query'] }): Promise<{ pending: number; oldestSeconds: number }> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n, TIMESTAMPDIFF(MICROSECOND, MIN(created_at), UTC_TIMESTAMP(3)) AS age_us FROM outbox_events WHERE sent_at IS NULL',
  );
  const pending = Number(rows[0].n);
  return { pending, oldestSeconds: pending > 0 ? Math.max(0, Number(rows[0].age_us ?? 0) / 1e6) : 0 };
}
