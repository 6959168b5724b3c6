import type { EntityManager } from 'typeorm';
import type { CaseSnapshot, KnownDeath, TimerStart, WorkflowName } from '../domain';
import type { CaseRepository, HistoryEntry, PersonFactsRepository } from '../infrastructure/case.repository';

/** A case as the transaction sees it: the version it was loaded with, and what it became since. */
interface CaseEntry {
  snapshot: CaseSnapshot;
  /** The version stored in MySQL (undefined: not stored yet). */
  stored: number | undefined;
  version: number;
  lastEventId: string;
  changed: boolean;
}

type TimerWrite = { kind: 'start'; timer: TimerStart; at: Date } | { kind: 'stop' };

/**
 * The cases, history and deadlines one transaction works on, kept in memory and written in few statements.
 * Cases are read once (locked) and then decided on in memory, so an event sees what an earlier event of the same
 * transaction did to its case; history seqs are counted from one read per case; `flush` writes the cases changed
 * (one statement), their new person index rows, the history entries and the deadlines (one statement each).
 * Anything that reads MySQL directly (hand-overs) flushes first. The cases and deaths of the persons a batch names
 * can be read up front in one query each (`prefetchPersons`); a person not read up front is looked up when asked.
 */
export class CaseWork {
  private readonly cases = new Map<string, CaseEntry | null>();
  private readonly seqs = new Map<string, number>();
  private history: HistoryEntry[] = [];
  private timers = new Map<string, { caseId: string; name: string; write: TimerWrite }>();
  /** Stored cases of a person (every workflow), by normalised id number, as read by `prefetchPersons`. */
  private readonly personCases = new Map<string, CaseSnapshot[]>();
  /** Deaths by normalised id number as read by `prefetchPersons` (null: none known then). */
  private readonly deaths = new Map<string, KnownDeath | null>();

  constructor(
    private readonly m: EntityManager,
    private readonly repository: CaseRepository,
    private readonly facts?: PersonFactsRepository,
  ) {}

  /** The stored cases and known deaths of these persons, one query each. */
  async prefetchPersons(idNumbers: string[]): Promise<void> {
    const wanted = [...new Set(idNumbers.map(personKey))].filter((id) => id && !this.personCases.has(id));
    if (wanted.length === 0) return;
    const cases = await this.repository.casesOfPersons(this.m, wanted);
    for (const id of wanted) this.personCases.set(id, cases.get(id) ?? []);
    if (!this.facts) return;
    const deaths = await this.facts.deathsOf(this.m, wanted);
    for (const id of wanted) this.deaths.set(id, deaths.get(id) ?? null);
  }

  /** A person's death as this transaction knows it. */
  async deathOf(idNumber: string): Promise<KnownDeath | undefined> {
    const known = this.deaths.get(personKey(idNumber));
    if (known !== undefined) return known ?? undefined;
    return this.facts?.deathOf(this.m, idNumber);
  }

  /** A death this transaction remembered: the first one reported for a person stays. */
  noteDeath(idNumber: string, death: KnownDeath): void {
    const key = personKey(idNumber);
    if (this.deaths.get(key) === null) this.deaths.set(key, death);
  }

  /** Reads and locks these cases and their history seqs, two queries for all of them. */
  async prefetch(caseIds: string[]): Promise<void> {
    const wanted = [...new Set(caseIds)].filter((id) => !this.cases.has(id));
    if (wanted.length === 0) return;
    const found = await this.repository.loadMany(this.m, wanted, true);
    for (const id of wanted) {
      const row = found.get(id);
      this.cases.set(id, row ? { snapshot: row.snapshot, stored: row.version, version: row.version, lastEventId: '', changed: false } : null);
    }
    const seqs = await this.repository.nextSeqs(
      this.m,
      wanted.filter((id) => !this.seqs.has(id)),
    );
    for (const [id, seq] of seqs) this.seqs.set(id, seq);
  }

  /** The case as it stands in this transaction, or undefined when this node holds no such case. */
  async load(caseId: string): Promise<{ snapshot: CaseSnapshot; version: number } | undefined> {
    if (!this.cases.has(caseId)) await this.prefetch([caseId]);
    const entry = this.cases.get(caseId);
    return entry ? { snapshot: entry.snapshot, version: entry.version } : undefined;
  }

  /** The case after an event: kept in memory until `flush`. */
  save(snapshot: CaseSnapshot, lastEventId: string): void {
    const entry = this.cases.get(snapshot.caseId);
    if (entry) {
      Object.assign(entry, { snapshot, version: entry.version + 1, lastEventId, changed: true });
    } else {
      this.cases.set(snapshot.caseId, { snapshot, stored: undefined, version: 1, lastEventId, changed: true });
    }
  }

  async nextSeq(caseId: string): Promise<number> {
    if (!this.seqs.has(caseId)) {
      const seqs = await this.repository.nextSeqs(this.m, [caseId]);
      this.seqs.set(caseId, seqs.get(caseId) ?? 1);
    }
    const seq = this.seqs.get(caseId)!;
    this.seqs.set(caseId, seq + 1);
    return seq;
  }

  /** A history entry with the next seq of its case. */
  async append(entry: Omit<HistoryEntry, 'seq'>): Promise<void> {
    this.history.push({ ...entry, seq: await this.nextSeq(entry.caseId) });
  }

  startTimers(caseId: string, timers: TimerStart[], at: Date): void {
    for (const timer of timers) this.timers.set(`${caseId}\u0000${timer.name}`, { caseId, name: timer.name, write: { kind: 'start', timer, at } });
  }

  cancelTimers(caseId: string, names: string[]): void {
    for (const name of names) this.timers.set(`${caseId}\u0000${name}`, { caseId, name, write: { kind: 'stop' } });
  }

  /**
   * Cases of a person as this transaction sees them: what MySQL indexes, with the cases this transaction changed
   * or opened in their current state.
   */
  async casesOfPerson(idNumber: string, workflow?: WorkflowName): Promise<CaseSnapshot[]> {
    const read = this.personCases.get(personKey(idNumber));
    const stored = read ? read.filter((s) => !workflow || s.workflow === workflow) : await this.repository.casesOfPerson(this.m, idNumber, workflow);
    return mergeCasesOfPerson(
      stored,
      [...this.cases.values()].filter((e): e is CaseEntry => e !== null).map((e) => e.snapshot),
      idNumber,
      workflow,
    );
  }

  /** Writes what is kept in memory; the transaction goes on with MySQL and memory agreeing. */
  async flush(): Promise<void> {
    const changed = [...this.cases.values()].filter((e): e is CaseEntry => e !== null && e.changed);
    await this.repository.saveMany(
      this.m,
      changed.map((e) => ({ snapshot: e.snapshot, version: e.version, lastEventId: e.lastEventId, isNew: e.stored === undefined })),
    );
    await this.repository.indexPersons(
      this.m,
      changed.map((e) => ({ caseId: e.snapshot.caseId, idNumbers: e.snapshot.personKeys })),
    );
    for (const e of changed) Object.assign(e, { stored: e.version, changed: false });
    const history = this.history;
    this.history = [];
    await this.repository.appendHistory(this.m, history);
    const timers = [...this.timers.values()];
    this.timers = new Map();
    await this.repository.writeTimers(
      this.m,
      timers.flatMap((t) => (t.write.kind === 'start' ? [{ caseId: t.caseId, timer: t.write.timer, at: t.write.at }] : [])),
      timers.filter((t) => t.write.kind === 'stop').map((t) => ({ caseId: t.caseId, name: t.name })),
    );
  }
}

const personKey = (idNumber: string) => idNumber.trim().toUpperCase();

/** The id numbers an event's payload names (`idNumber`, `…IdNumber`, in nested records and lists), to read up front. */
export function personIdsIn(payload: unknown, depth = 0): string[] {
  if (depth > 4 || payload === null || typeof payload !== 'object') return [];
  if (Array.isArray(payload)) return payload.flatMap((v) => personIdsIn(v, depth + 1));
  return Object.entries(payload as Record<string, unknown>).flatMap(([k, v]) =>
    (k === 'idNumber' || k.endsWith('IdNumber')) && typeof v === 'string' && v.trim() ? [v] : personIdsIn(v, depth + 1),
  );
}

/**
 * The cases of a person: the ones stored (as MySQL indexes them), each replaced by its state in memory when the
 * transaction holds it, and the ones in memory that name the person and are not stored yet.
 */
export function mergeCasesOfPerson(stored: CaseSnapshot[], inMemory: CaseSnapshot[], idNumber: string, workflow?: string): CaseSnapshot[] {
  const current = new Map(inMemory.map((s) => [s.caseId, s]));
  const key = idNumber.trim().toUpperCase();
  const out = stored.map((s) => current.get(s.caseId) ?? s);
  const seen = new Set(out.map((s) => s.caseId));
  for (const s of inMemory) {
    if (seen.has(s.caseId) || (workflow && s.workflow !== workflow)) continue;
    if (s.personKeys.some((p) => p.trim().toUpperCase() === key)) out.push(s);
  }
  return out;
}
