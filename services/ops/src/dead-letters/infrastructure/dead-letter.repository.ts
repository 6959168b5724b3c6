import { DataSource, EntityManager } from 'typeorm';
import { DeadLetterFilter, DeadLetterState } from '../domain/dead-letter';
import { AGE_BUCKETS, AgeBucket, ageIntervals, likeContains } from '../domain/triage';

/** A dead letter as stored. */
export interface DeadLetterRow {
  id: number;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  region: string | null;
  originalTopic: string;
  originalPartition: number | null;
  originalOffset: string | null;
  messageKey: string | null;
  eventId: string | null;
  eventType: string | null;
  workflow: string | null;
  caseId: string | null;
  correlationId: string | null;
  sourceRegion: string | null;
  targetRegion: string | null;
  errorClass: string;
  errorCode: string;
  errorMessage: string;
  attempts: number;
  consumerGroup: string | null;
  firstFailureAt: Date | null;
  lastFailureAt: Date | null;
  parkedAt: Date;
  storedAt: Date;
  replayOf: string | null;
  schemaId: number | null;
  decoded: Record<string, unknown> | null;
  decodeError: string | null;
  rawValue: Buffer | null;
  headers: Record<string, string>;
  state: DeadLetterState;
  replayCount: number;
  lastReplayedAt: Date | null;
  lastReplayedBy: string | null;
  editedValue: Buffer | null;
  editedDecoded: Record<string, unknown> | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

export type NewDeadLetter = Omit<
  DeadLetterRow,
  | 'id'
  | 'storedAt'
  | 'state'
  | 'replayCount'
  | 'lastReplayedAt'
  | 'lastReplayedBy'
  | 'editedValue'
  | 'editedDecoded'
  | 'resolvedAt'
  | 'resolvedBy'
  | 'resolutionNote'
>;

const COLUMNS: Record<keyof DeadLetterRow, string> = {
  id: 'id',
  dlqTopic: 'dlq_topic',
  dlqPartition: 'dlq_partition',
  dlqOffset: 'dlq_offset',
  region: 'region',
  originalTopic: 'original_topic',
  originalPartition: 'original_partition',
  originalOffset: 'original_offset',
  messageKey: 'message_key',
  eventId: 'event_id',
  eventType: 'event_type',
  workflow: 'workflow',
  caseId: 'case_id',
  correlationId: 'correlation_id',
  sourceRegion: 'source_region',
  targetRegion: 'target_region',
  errorClass: 'error_class',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  attempts: 'attempts',
  consumerGroup: 'consumer_group',
  firstFailureAt: 'first_failure_at',
  lastFailureAt: 'last_failure_at',
  parkedAt: 'parked_at',
  storedAt: 'stored_at',
  replayOf: 'replay_of',
  schemaId: 'schema_id',
  decoded: 'decoded',
  decodeError: 'decode_error',
  rawValue: 'raw_value',
  headers: 'headers',
  state: 'state',
  replayCount: 'replay_count',
  lastReplayedAt: 'last_replayed_at',
  lastReplayedBy: 'last_replayed_by',
  editedValue: 'edited_value',
  editedDecoded: 'edited_decoded',
  resolvedAt: 'resolved_at',
  resolvedBy: 'resolved_by',
  resolutionNote: 'resolution_note',
};
const NUMERIC = new Set<keyof DeadLetterRow>(['id', 'dlqPartition', 'originalPartition', 'attempts', 'schemaId', 'replayCount']);
const JSON_COLUMNS = new Set<keyof DeadLetterRow>(['decoded', 'headers', 'editedDecoded']);
const DATES = new Set<keyof DeadLetterRow>(['firstFailureAt', 'lastFailureAt', 'parkedAt', 'storedAt', 'lastReplayedAt', 'resolvedAt']);
/** Columns a list needs: everything but the bytes and the decoded payloads. */
const SUMMARY = (Object.keys(COLUMNS) as Array<keyof DeadLetterRow>).filter(
  (k) => !['rawValue', 'decoded', 'editedValue', 'editedDecoded', 'headers'].includes(k),
);

function fromRow(row: Record<string, unknown>): DeadLetterRow {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS) as Array<[keyof DeadLetterRow, string]>) {
    if (!(column in row)) continue;
    const v = row[column];
    if (v === null || v === undefined) out[key] = null;
    else if (NUMERIC.has(key)) out[key] = Number(v);
    else if (JSON_COLUMNS.has(key)) out[key] = JSON.parse(String(v));
    else if (DATES.has(key)) out[key] = v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`);
    else if (key === 'dlqOffset' || key === 'originalOffset') out[key] = String(v);
    else out[key] = v;
  }
  return out as unknown as DeadLetterRow;
}

/** How many letters of a filter fall in each value of a dimension (most first); `null`: no value. */
export interface DeadLetterCounts {
  total: number;
  byWorkflow: Array<{ value: string | null; count: number }>;
  byEventType: Array<{ value: string | null; count: number }>;
  byErrorCode: Array<{ value: string | null; count: number }>;
  byRegion: Array<{ value: string | null; count: number }>;
  byAge: Array<{ bucket: AgeBucket; count: number }>;
}

export interface Page {
  items: DeadLetterRow[];
  total: number;
  nextCursor?: string;
}

/** SQL of the dead-letter store. */
export class DeadLetterRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a dead letter once: a redelivered message of the same position, or a second copy of the same message
   * (the same `copyHash`, the digest of domain/dead-letter-copy), changes nothing. Returns whether it was new.
   */
  async insert(d: NewDeadLetter, copyHash: string | null = null): Promise<boolean> {
    const row: Record<string, unknown> = { ...d, decoded: d.decoded ? JSON.stringify(d.decoded) : null, headers: JSON.stringify(d.headers) };
    const keys = Object.keys(row) as Array<keyof DeadLetterRow>;
    const result = await this.dataSource.query(
      `INSERT IGNORE INTO dead_letters (${keys.map((k) => COLUMNS[k]).join(', ')}, copy_hash, state, stored_at)
       VALUES (${keys.map(() => '?').join(', ')}, ?, 'parked', UTC_TIMESTAMP(3))`,
      [...keys.map((k) => row[k]), copyHash],
    );
    return (result as { affectedRows: number }).affectedRows === 1;
  }

  async get(id: number, manager: EntityManager | DataSource = this.dataSource, lock = false): Promise<DeadLetterRow | undefined> {
    const [row] = await manager.query(`SELECT * FROM dead_letters WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    return row ? fromRow(row) : undefined;
  }

  async list(filter: DeadLetterFilter, limit: number, cursor?: number): Promise<Page> {
    const { where, params } = this.where(filter);
    const pageWhere = cursor ? [...where, 'id < ?'] : where;
    const pageParams = cursor ? [...params, cursor] : params;
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${SUMMARY.map((k) => COLUMNS[k]).join(', ')} FROM dead_letters
       ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit + 1}`,
      pageParams,
    );
    const [{ total }] = await this.dataSource.query(`SELECT COUNT(*) AS total FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params);
    const items = rows.slice(0, limit).map(fromRow);
    return { items, total: Number(total), nextCursor: rows.length > limit ? String(items[items.length - 1].id) : undefined };
  }

  /** Counts of a filter by workflow, event type, error code, region (the 30 largest values each) and age. */
  async counts(filter: DeadLetterFilter, now: Date): Promise<DeadLetterCounts> {
    const { where, params } = this.where(filter);
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const group = async (column: string) => {
      const rows: Array<{ value: string | null; n: string }> = await this.dataSource.query(
        `SELECT ${column} AS value, COUNT(*) AS n FROM dead_letters ${whereSql} GROUP BY ${column} ORDER BY n DESC, value LIMIT 30`,
        params,
      );
      return rows.map((r) => ({ value: r.value, count: Number(r.n) }));
    };
    const intervals = ageIntervals(now);
    const ageParams: unknown[] = [];
    const sums = intervals.map((i) => {
      const parts: string[] = [];
      if (i.from) {
        parts.push('parked_at > ?');
        ageParams.push(i.from);
      }
      if (i.to) {
        parts.push('parked_at <= ?');
        ageParams.push(i.to);
      }
      return `COALESCE(SUM(${parts.join(' AND ')}), 0)`;
    });
    const [ages] = await this.dataSource.query(
      `SELECT COUNT(*) AS total, ${sums.map((sql, i) => `${sql} AS a${i}`).join(', ')} FROM dead_letters ${whereSql}`,
      [...ageParams, ...params],
    );
    return {
      total: Number(ages.total),
      byWorkflow: await group('workflow'),
      byEventType: await group('event_type'),
      byErrorCode: await group('error_code'),
      byRegion: await group('region'),
      byAge: AGE_BUCKETS.map((bucket, i) => ({ bucket, count: Number(ages[`a${i}`]) })),
    };
  }

  /** The oldest letters of a filter as few columns as a bulk-replay preview shows. */
  async oldest(
    filter: DeadLetterFilter,
    limit: number,
  ): Promise<Array<Pick<DeadLetterRow, 'id' | 'eventType' | 'caseId' | 'errorCode' | 'region' | 'parkedAt'>>> {
    const { where, params } = this.where(filter);
    const rows = await this.dataSource.query(
      `SELECT id, event_type, case_id, error_code, region, parked_at FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ${limit}`,
      params,
    );
    return rows.map(fromRow);
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    const { where, params } = this.where(filter);
    const [{ total }] = await this.dataSource.query(`SELECT COUNT(*) AS total FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params);
    return Number(total);
  }

  /**
   * Indexes the persons a stored letter names by the keyed hashes of their ID numbers (none: nothing to index) and
   * marks the letter done. The letter is found by its position or id; a repeat adds nothing.
   */
  async indexPersons(letter: { dlqTopic: string; dlqPartition: number; dlqOffset: string } | { id: number }, hashes: string[]): Promise<void> {
    const [where, params] =
      'id' in letter
        ? ['id = ?', [letter.id]]
        : ['dlq_topic = ? AND dlq_partition = ? AND dlq_offset = ?', [letter.dlqTopic, letter.dlqPartition, letter.dlqOffset]];
    await this.dataSource.transaction('READ COMMITTED', async (m) => {
      // The letter's row is locked for writing first: reading it shared (INSERT … SELECT) and then updating it
      // deadlocks with a replay that asked for the row in between.
      const [row]: Array<{ id: string }> = await m.query(`SELECT id FROM dead_letters WHERE ${where} FOR UPDATE`, params);
      if (!row) return;
      const unique = [...new Set(hashes)];
      if (unique.length) await m.query('INSERT IGNORE INTO dead_letter_persons (dead_letter_id, person_hash) VALUES ?', [unique.map((h) => [row.id, h])]);
      await m.query('UPDATE dead_letters SET persons_indexed = 1 WHERE id = ?', [row.id]);
    });
  }

  /** Decoded letters not yet indexed by person, after `afterId`, oldest first. */
  async unindexed(afterId: number, limit: number): Promise<Array<{ id: number; eventType: string | null; decoded: Record<string, unknown> }>> {
    const rows: Array<{ id: string; event_type: string | null; decoded: string }> = await this.dataSource.query(
      `SELECT id, event_type, decoded FROM dead_letters WHERE persons_indexed = 0 AND decoded IS NOT NULL AND id > ? ORDER BY id LIMIT ${limit}`,
      [afterId],
    );
    return rows.map((r) => ({ id: Number(r.id), eventType: r.event_type, decoded: JSON.parse(r.decoded) }));
  }

  /** Ids matching a filter, oldest first, for a bulk replay. */
  async ids(filter: DeadLetterFilter, limit: number): Promise<number[]> {
    const { where, params } = this.where(filter);
    const rows = await this.dataSource.query(
      `SELECT id FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ${limit}`,
      params,
    );
    return rows.map((r: { id: string }) => Number(r.id));
  }

  async markReplayed(manager: EntityManager, id: number, operator: string, edited?: { value: Buffer; decoded: Record<string, unknown> }): Promise<void> {
    await manager.query(
      `UPDATE dead_letters SET state = 'replayed', replay_count = replay_count + 1, last_replayed_at = UTC_TIMESTAMP(3), last_replayed_by = ?,
         resolved_at = UTC_TIMESTAMP(3), resolved_by = ?${edited ? ', edited_value = ?, edited_decoded = ?' : ''} WHERE id = ?`,
      edited ? [operator, operator, edited.value, JSON.stringify(edited.decoded), id] : [operator, operator, id],
    );
  }

  async markDiscarded(manager: EntityManager, id: number, operator: string, reason: string): Promise<void> {
    await manager.query(`UPDATE dead_letters SET state = 'discarded', resolved_at = UTC_TIMESTAMP(3), resolved_by = ?, resolution_note = ? WHERE id = ?`, [
      operator,
      reason,
      id,
    ]);
  }

  async saveDecoded(id: number, schemaId: number, decoded: Record<string, unknown>): Promise<void> {
    await this.dataSource.query('UPDATE dead_letters SET schema_id = ?, decoded = ?, decode_error = NULL WHERE id = ?', [
      schemaId,
      JSON.stringify(decoded),
      id,
    ]);
  }

  /** Parked dead letters per dead-letter topic (the `tongban_dlq_depth` gauge). */
  async depth(): Promise<Array<{ topic: string; depth: number }>> {
    const rows = await this.dataSource.query("SELECT dlq_topic AS topic, COUNT(*) AS depth FROM dead_letters WHERE state = 'parked' GROUP BY dlq_topic");
    return rows.map((r: { topic: string; depth: string }) => ({ topic: r.topic, depth: Number(r.depth) }));
  }

  /**
   * A dead letter that came back from a replay of `ref` after `since`: the replay failed again. The
   * transport names a replayed message's dead letter after the original's place (or keeps the header).
   */
  async failedAgain(ref: string, since: Date, replayedId: number): Promise<DeadLetterRow | undefined> {
    const m = /^(.+)\/(\d+)\/(\d+)$/.exec(ref);
    const [row] = await this.dataSource.query(
      `SELECT id, error_code, error_message FROM dead_letters
       WHERE (replay_of = ? OR (original_topic = ? AND original_partition = ? AND original_offset = ?)) AND stored_at >= ? AND id <> ?
       ORDER BY id LIMIT 1`,
      [ref, m?.[1] ?? '', m?.[2] ?? -1, m?.[3] ?? -1, since, replayedId],
    );
    return row ? fromRow(row) : undefined;
  }

  private where(filter: DeadLetterFilter): { where: string[]; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, value: unknown) => {
      if (value === undefined || value === '') return;
      where.push(condition);
      params.push(value);
    };
    const eq = (column: string, value: unknown) => add(`${column} = ?`, value);
    eq('state', filter.state);
    eq('region', filter.region);
    eq('original_topic', filter.topic);
    eq('workflow', filter.workflow);
    eq('event_type', filter.eventType);
    eq('error_class', filter.errorClass);
    eq('error_code', filter.errorCode);
    eq('case_id', filter.caseId);
    eq('event_id', filter.eventId);
    eq('correlation_id', filter.correlationId);
    if (filter.q) add("error_message LIKE ? ESCAPE '\\\\'", likeContains(filter.q));
    add('id IN (SELECT dead_letter_id FROM dead_letter_persons WHERE person_hash = ?)', filter.personHash);
    add('parked_at >= ?', filter.from);
    add('parked_at < ?', filter.to);
    return { where, params };
  }
}
