import { createHmac } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditLog, PERSON_INDEXED_ACTION } from '@tongban/audit';
import type { CaseSnapshot, KnownDeath, KnownSpouse, MaritalRecord, TimerStart } from '../domain';

interface CaseRow {
  case_id: string;
  workflow: string;
  state: string;
  accepting_region: string;
  responsible_region: string;
  accepting_office: string | null;
  version: number;
  data: string;
  created_at: Date;
  updated_at: Date;
}

/** What `cases.data` holds beside the columns: the rest of the snapshot. */
interface StoredData {
  personKeys: string[];
  timers: CaseSnapshot['timers'];
  data: Record<string, unknown>;
}

/**
 * Cases as the engine sees them (CaseSnapshot) over MySQL. ID numbers are indexed only as keyed hashes
 * (HMAC-SHA256 with the node's person-index key), so a person can be found without storing the number
 * in an index in the clear.
 */
export class CaseRepository {
  /**
   * `audit`: the node's disclosures chain. Each new person index row is recorded there in the same
   * transaction, so `audit verify` finds a row deleted (or slipped in) behind the chain's back.
   */
  constructor(
    private readonly personIndexKey: string,
    private readonly audit?: AuditLog,
  ) {}

  personHash(idNumber: string): string {
    return createHmac('sha256', this.personIndexKey).update(idNumber.trim().toUpperCase()).digest('hex');
  }

  /** Several cases in one query (locked with `forUpdate`), by case id; a case this node does not hold is absent. */
  async loadMany(m: EntityManager, caseIds: string[], forUpdate = false): Promise<Map<string, { snapshot: CaseSnapshot; version: number }>> {
    const found = new Map<string, { snapshot: CaseSnapshot; version: number }>();
    const ids = [...new Set(caseIds)];
    if (ids.length === 0) return found;
    const rows: CaseRow[] = await m.query(`SELECT * FROM cases WHERE case_id IN (?) ORDER BY case_id${forUpdate ? ' FOR UPDATE' : ''}`, [ids]);
    for (const row of rows) found.set(row.case_id, { snapshot: toSnapshot(row), version: Number(row.version) });
    return found;
  }

  /**
   * Stores the cases a batch changed: the cases new to this node in one insert (a case another transaction opened
   * meanwhile fails it), the known ones (loaded and locked by the caller) with their new state in one statement.
   * `version` is the case's version after the batch (the one it was loaded with plus the events applied to it); its
   * person index follows (`indexPersons`).
   */
  async saveMany(m: EntityManager, changed: Array<{ snapshot: CaseSnapshot; version: number; lastEventId: string; isNew: boolean }>): Promise<void> {
    const opened = changed.filter((c) => c.isNew);
    const known = changed.filter((c) => !c.isNew);
    if (opened.length) await m.query(`INSERT INTO cases ${CASE_COLUMNS} VALUES ?`, [opened.map(caseRow)]);
    if (known.length) {
      await m.query(
        `INSERT INTO cases ${CASE_COLUMNS} VALUES ? ON DUPLICATE KEY UPDATE state = VALUES(state), accepting_region = VALUES(accepting_region),
           responsible_region = VALUES(responsible_region), accepting_office = VALUES(accepting_office), version = VALUES(version),
           last_event_id = VALUES(last_event_id), data = VALUES(data), updated_at = VALUES(updated_at)`,
        [known.map(caseRow)],
      );
    }
  }

  /**
   * Indexes the persons of several cases: the rows missing from `case_persons` in one insert, each case's new
   * rows recorded in the disclosures chain at commit (one entry per case), so `audit verify` can compare them.
   */
  async indexPersons(m: EntityManager, cases: Array<{ caseId: string; idNumbers: string[] }>): Promise<void> {
    const wanted = cases.filter((c) => c.idNumbers.length > 0);
    if (wanted.length === 0) return;
    const rows: Array<{ case_id: string; person_hash: string }> = await m.query('SELECT case_id, person_hash FROM case_persons WHERE case_id IN (?)', [
      wanted.map((c) => c.caseId),
    ]);
    const known = new Set(rows.map((r) => `${r.case_id}\u0000${r.person_hash}`));
    const inserts: Array<[string, string]> = [];
    const entries: Array<{ caseId: string; added: string[]; hashes: string[] }> = [];
    for (const c of wanted) {
      const added = [...new Set(c.idNumbers)].filter((id) => !known.has(`${c.caseId}\u0000${this.personHash(id)}`));
      if (added.length === 0) continue;
      const hashes = added.map((id) => this.personHash(id));
      for (const h of hashes) inserts.push([h, c.caseId]);
      entries.push({ caseId: c.caseId, added, hashes });
    }
    if (inserts.length === 0) return;
    await m.query('INSERT IGNORE INTO case_persons (person_hash, case_id) VALUES ?', [inserts]);
    for (const e of entries) await this.recordIndexed(m, e.caseId, e.added, e.hashes);
  }

  private async recordIndexed(m: EntityManager, caseId: string, added: string[], hashes: string[]): Promise<void> {
    await this.audit?.appendAtCommit(m, {
      actor: 'region-node',
      actorKind: 'service',
      action: PERSON_INDEXED_ACTION,
      subject: { cases: [caseId], persons: added },
      details: { caseId, personHashes: [...hashes].sort() },
    });
  }

  async casesOfPerson(m: EntityManager, idNumber: string, workflow?: string): Promise<CaseSnapshot[]> {
    const rows: CaseRow[] = await m.query(
      `SELECT c.* FROM case_persons p JOIN cases c ON c.case_id = p.case_id WHERE p.person_hash = ?${workflow ? ' AND c.workflow = ?' : ''}`,
      workflow ? [this.personHash(idNumber), workflow] : [this.personHash(idNumber)],
    );
    return rows.map(toSnapshot);
  }

  /** The cases of several persons in one query, by id number as given (every person asked for has an entry). */
  async casesOfPersons(m: EntityManager, idNumbers: string[]): Promise<Map<string, CaseSnapshot[]>> {
    const found = new Map<string, CaseSnapshot[]>();
    const ids = [...new Set(idNumbers)];
    if (ids.length === 0) return found;
    const byHash = new Map<string, string[]>();
    for (const id of ids) {
      found.set(id, []);
      const h = this.personHash(id);
      byHash.set(h, [...(byHash.get(h) ?? []), id]);
    }
    const rows: Array<CaseRow & { person_hash: string }> = await m.query(
      'SELECT p.person_hash, c.* FROM case_persons p JOIN cases c ON c.case_id = p.case_id WHERE p.person_hash IN (?)',
      [[...byHash.keys()]],
    );
    for (const row of rows) for (const id of byHash.get(row.person_hash) ?? []) found.get(id)!.push(toSnapshot(row));
    return found;
  }

  /** The next history seq of several cases in one query (1 for a case without history). */
  async nextSeqs(m: EntityManager, caseIds: string[]): Promise<Map<string, number>> {
    const next = new Map<string, number>();
    const ids = [...new Set(caseIds)];
    if (ids.length === 0) return next;
    const rows: Array<{ case_id: string; seq: number }> = await m.query(
      'SELECT case_id, MAX(seq) AS seq FROM case_events WHERE case_id IN (?) GROUP BY case_id',
      [ids],
    );
    for (const id of ids) next.set(id, 1);
    for (const r of rows) next.set(r.case_id, Number(r.seq) + 1);
    return next;
  }

  /**
   * History entries in one insert. Entries carried over with a hand-over (`carried`) are skipped when this node
   * keeps them already; any other entry is new by construction (its event id was claimed in the same transaction).
   */
  async appendHistory(m: EntityManager, entries: HistoryEntry[]): Promise<void> {
    const fresh = entries.filter((e) => !e.carried);
    const carried = entries.filter((e) => e.carried);
    if (fresh.length) await m.query(`INSERT INTO case_events ${HISTORY_COLUMNS} VALUES ?`, [fresh.map(historyRow)]);
    if (carried.length) await m.query(`INSERT IGNORE INTO case_events ${HISTORY_COLUMNS} VALUES ?`, [carried.map(historyRow)]);
  }

  /**
   * Which of these event ids this node keeps in some case's history: an event applied here (the history row is the
   * record of it), or an entry carried over with a hand-over.
   */
  async keptEventIds(m: EntityManager, eventIds: string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const rows: Array<{ event_id: string }> = await m.query('SELECT event_id FROM case_events WHERE event_id IN (?)', [eventIds]);
    return rows.map((r) => r.event_id);
  }

  /** A case's history in order, without payloads: what a hand-over carries. */
  async historyOf(m: EntityManager, caseId: string): Promise<KeptEntry[]> {
    const rows: Array<Record<string, unknown>> = await m.query(
      'SELECT event_id, event_type, source_region, target_region, occurred_at, outcome, state_after FROM case_events WHERE case_id = ? ORDER BY seq',
      [caseId],
    );
    return rows.map((r) => ({
      eventId: String(r.event_id),
      eventType: String(r.event_type),
      sourceRegion: String(r.source_region),
      targetRegion: String(r.target_region),
      occurredAt: r.occurred_at as Date,
      outcome: String(r.outcome),
      stateAfter: String(r.state_after),
    }));
  }

  /** Deadlines as they stand after a batch: the ones started (replacing one of the same name) and the ones stopped. */
  async writeTimers(
    m: EntityManager,
    started: Array<{ caseId: string; timer: TimerStart; at: Date }>,
    stopped: Array<{ caseId: string; name: string }>,
  ): Promise<void> {
    if (stopped.length) await m.query('DELETE FROM case_timers WHERE (case_id, name) IN (?)', [stopped.map((t) => [t.caseId, t.name])]);
    if (started.length) {
      await m.query('REPLACE INTO case_timers (case_id, name, started_at, due_at, owner_division, must_act_division, escalate_to) VALUES ?', [
        started.map(({ caseId, timer: t, at }) => [caseId, t.name, at, t.dueAt, t.ownerDivision, t.mustActDivision, t.escalateTo.join(',')]),
      ]);
    }
  }

  async linkHousehold(m: EntityManager, a: string, b: string, on: string, joined: boolean, caseId: string, persons?: [unknown, unknown]): Promise<void> {
    const [ha, hb] = [this.personHash(a), this.personHash(b)];
    for (const [p, s, spouse] of [
      [ha, hb, persons?.[1]],
      [hb, ha, persons?.[0]],
    ] as Array<[string, string, unknown]>) {
      if (joined) {
        await m.query('INSERT IGNORE INTO household_links (person_hash, spouse_hash, spouse, since, case_id) VALUES (?, ?, ?, ?, ?)', [
          p,
          s,
          spouse ? JSON.stringify(spouse) : null,
          on,
          caseId,
        ]);
      } else {
        await m.query('UPDATE household_links SET until = ? WHERE person_hash = ? AND spouse_hash = ? AND until IS NULL', [on, p, s]);
      }
    }
  }
}

/** Deaths and marital records the node remembers per person (keyed hashes, as the person index). */
export class PersonFactsRepository {
  constructor(private readonly cases: CaseRepository) {}

  async deathOf(m: EntityManager, idNumber: string): Promise<KnownDeath | undefined> {
    const [row]: Array<{ death_date: Date | string; source_case_id: string }> = await m.query(
      'SELECT death_date, source_case_id FROM known_deaths WHERE person_hash = ?',
      [this.cases.personHash(idNumber)],
    );
    return row ? { deathDate: dateText(row.death_date), sourceCaseId: row.source_case_id } : undefined;
  }

  /** The deaths of several persons in one query, by id number as given (absent: no death known). */
  async deathsOf(m: EntityManager, idNumbers: string[]): Promise<Map<string, KnownDeath>> {
    const found = new Map<string, KnownDeath>();
    const ids = [...new Set(idNumbers)];
    if (ids.length === 0) return found;
    const byHash = new Map(ids.map((id) => [this.cases.personHash(id), id]));
    const rows: Array<{ person_hash: string; death_date: Date | string; source_case_id: string }> = await m.query(
      'SELECT person_hash, death_date, source_case_id FROM known_deaths WHERE person_hash IN (?)',
      [[...byHash.keys()]],
    );
    for (const id of ids) {
      const row = rows.find((r) => r.person_hash === this.cases.personHash(id));
      if (row) found.set(id, { deathDate: dateText(row.death_date), sourceCaseId: row.source_case_id });
    }
    return found;
  }

  /** The first death reported for a person stays; a later report of the same death changes nothing. */
  async rememberDeath(m: EntityManager, idNumber: string, death: KnownDeath): Promise<void> {
    await m.query('INSERT IGNORE INTO known_deaths (person_hash, death_date, source_case_id, noted_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3))', [
      this.cases.personHash(idNumber),
      death.deathDate,
      death.sourceCaseId,
    ]);
  }

  async maritalRecordOf(m: EntityManager, idNumber: string): Promise<MaritalRecord | undefined> {
    const [row]: Array<{ status: string; spouse: string | null; case_id: string; record_division: string; effective_on: Date | string }> = await m.query(
      'SELECT status, spouse, case_id, record_division, effective_on FROM marital_records WHERE person_hash = ?',
      [this.cases.personHash(idNumber)],
    );
    if (!row) return undefined;
    const spouse = typeof row.spouse === 'string' ? JSON.parse(row.spouse) : row.spouse;
    return {
      idNumber: idNumber.trim().toUpperCase(),
      status: row.status,
      spouse: spouse ?? null,
      caseId: row.case_id,
      recordDivision: row.record_division,
      effectiveOn: dateText(row.effective_on),
    };
  }

  /** The current spouse: a marriage linked here (and not dissolved), else the marital record this node holds. */
  async spouseOf(m: EntityManager, idNumber: string): Promise<KnownSpouse | undefined> {
    const [link]: Array<{ spouse: string | null; since: Date | string; case_id: string }> = await m.query(
      'SELECT spouse, since, case_id FROM household_links WHERE person_hash = ? AND until IS NULL AND spouse IS NOT NULL ORDER BY since DESC LIMIT 1',
      [this.cases.personHash(idNumber)],
    );
    if (link) {
      const spouse = (typeof link.spouse === 'string' ? JSON.parse(link.spouse) : link.spouse) as Omit<KnownSpouse, 'since' | 'caseId'>;
      return { ...spouse, since: dateText(link.since), caseId: link.case_id };
    }
    const record = await this.maritalRecordOf(m, idNumber);
    return record?.status === 'MARRIED' && record.spouse ? { ...record.spouse, since: record.effectiveOn, caseId: record.caseId } : undefined;
  }

  async saveMaritalRecord(m: EntityManager, r: MaritalRecord): Promise<void> {
    await m.query(
      `INSERT INTO marital_records (person_hash, status, spouse, case_id, record_division, effective_on, updated_at) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE status = VALUES(status), spouse = VALUES(spouse), case_id = VALUES(case_id), record_division = VALUES(record_division),
         effective_on = VALUES(effective_on), updated_at = VALUES(updated_at)`,
      [this.cases.personHash(r.idNumber), r.status, r.spouse ? JSON.stringify(r.spouse) : null, r.caseId, r.recordDivision, r.effectiveOn],
    );
  }
}

/** One row of a case's history (`case_events`). */
export interface HistoryEntry {
  eventId: string;
  caseId: string;
  seq: number;
  eventType: string;
  sourceRegion: string;
  targetRegion: string;
  sourceOffice: string | null;
  targetOffice: string | null;
  occurredAt: Date;
  correlationId: string;
  schemaId: number;
  outcome: string;
  reason: string | null;
  stateAfter: string;
  /** JSON text; `{}` for an entry carried over. */
  payload: string;
  kafkaTopic: string;
  kafkaPartition: number;
  kafkaOffset: string;
  /** An entry carried over with a hand-over: written only if this node does not keep it already. */
  carried?: boolean;
}

/** A history entry as a hand-over carries it. */
export interface KeptEntry {
  eventId: string;
  eventType: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: Date;
  outcome: string;
  stateAfter: string;
}

const CASE_COLUMNS = '(case_id, workflow, state, accepting_region, responsible_region, accepting_office, version, last_event_id, data, created_at, updated_at)';

function caseRow({ snapshot: s, version, lastEventId }: { snapshot: CaseSnapshot; version: number; lastEventId: string }): unknown[] {
  const stored: StoredData = { personKeys: s.personKeys, timers: s.timers, data: s.data };
  return [
    s.caseId,
    s.workflow,
    s.state,
    s.acceptingDivision,
    s.responsibleDivision,
    s.acceptingOffice ?? null,
    version,
    lastEventId,
    JSON.stringify(stored),
    new Date(s.openedAt),
    new Date(s.updatedAt),
  ];
}

const HISTORY_COLUMNS = `(event_id, case_id, seq, event_type, source_region, target_region, source_office, target_office, occurred_at, received_at,
  correlation_id, schema_id, outcome, outcome_reason, state_after, payload, kafka_topic, kafka_partition, kafka_offset)`;

function historyRow(e: HistoryEntry): unknown[] {
  return [
    e.eventId,
    e.caseId,
    e.seq,
    e.eventType,
    e.sourceRegion,
    e.targetRegion,
    e.sourceOffice,
    e.targetOffice,
    e.occurredAt,
    utcTimestamp(),
    e.correlationId.slice(0, 100),
    e.schemaId,
    e.outcome,
    e.reason,
    e.stateAfter,
    e.payload,
    e.kafkaTopic,
    e.kafkaPartition,
    e.kafkaOffset,
  ];
}

/** `UTC_TIMESTAMP(3)` as the driver writes it inside a multi-row `VALUES ?`. */
function utcTimestamp(): { toSqlString(): string } {
  return { toSqlString: () => 'UTC_TIMESTAMP(3)' };
}

function dateText(value: Date | string): string {
  // The connection runs in UTC: a DATE comes back as UTC midnight of that day.
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

export function toSnapshot(row: CaseRow): CaseSnapshot {
  const stored = JSON.parse(row.data || '{}') as Partial<StoredData>;
  return {
    caseId: row.case_id,
    workflow: row.workflow as CaseSnapshot['workflow'],
    state: row.state,
    acceptingDivision: row.accepting_region,
    acceptingOffice: row.accepting_office,
    responsibleDivision: row.responsible_region,
    personKeys: stored.personKeys ?? [],
    timers: stored.timers ?? {},
    data: stored.data ?? {},
    openedAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
