import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { TongbanError } from '@tongban/errors';
import { canonicalJson } from './canonical-json';

/** Who acted: a person at the console or CLI, or a tongban service on its own. */
export type ActorKind = 'operator' | 'service';

/** What an entry concerns. Persons are given by ID number and stored only as keyed hashes. */
export interface AuditSubjectInput {
  /** Event ids or other message references (`topic/partition/offset`). */
  messages?: string[];
  cases?: string[];
  /** Resident ID numbers in the clear; the log keeps HMAC-SHA256 digests of them, never the numbers. */
  persons?: string[];
  /** Division codes, e.g. the region a disclosure went to. */
  regions?: string[];
}

export interface AuditInput {
  actor: string;
  actorKind?: ActorKind;
  action: string;
  subject?: AuditSubjectInput;
  details?: Record<string, unknown>;
  before?: unknown;
  after?: unknown;
}

export interface AuditSubject {
  messages: string[];
  cases: string[];
  /** Keyed hashes (see `AuditLog.personRef`). */
  persons: string[];
  regions: string[];
}

export interface AuditEntry {
  chain: string;
  seq: number;
  entryId: string;
  at: string;
  actor: string;
  actorKind: ActorKind;
  action: string;
  subject: AuditSubject;
  details: Record<string, unknown>;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  caseId?: string;
  message?: string;
  /** A person's ID number in the clear (hashed before the query) … */
  personIdNumber?: string;
  /** … or the keyed hash itself. */
  personRef?: string;
  region?: string;
  from?: Date;
  to?: Date;
  /** Newest first unless `order` is 'asc'. Page with `beforeSeq` (desc) or `afterSeq` (asc). */
  order?: 'asc' | 'desc';
  beforeSeq?: number;
  afterSeq?: number;
  limit?: number;
}

export type AuditBreak = 'changed' | 'missing' | 'out-of-order' | 'truncated';

export interface AuditVerification {
  ok: boolean;
  chain: string;
  /** Entries checked before the first break (all of them when ok). */
  checked: number;
  headSeq: number;
  firstBroken?: { seq: number; entryId?: string; problem: AuditBreak; message: string };
}

export interface AuditLogOptions {
  /** Secret key of the person hashes; the same key must be used to look a person up later. */
  personKey: string | Buffer;
  /** Independent chains may share the tables (e.g. 'ops' and 'disclosures'). */
  chain?: string;
}

export class AuditLogError extends TongbanError {
  constructor(message: string) {
    super('AUDIT.LOG_INVALID', message);
  }
}

export const GENESIS_HASH = '0'.repeat(64);

interface EntryRow {
  chain: string;
  seq: string | number;
  entry_id: string;
  recorded_at: Date | string;
  actor: string;
  actor_kind: string;
  action: string;
  subject: string;
  details: string;
  before_state: string | null;
  after_state: string | null;
  prev_hash: string;
  hash: string;
}

/** The SHA-256 an entry must carry: over the previous hash and the canonical text of its content. */
export function entryHash(prevHash: string, content: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

function isEntityManager(target: EntityManager | DataSource): target is EntityManager {
  return !(target instanceof DataSource) && 'connection' in target;
}

function uniq(values: string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => String(v).trim()).filter(Boolean))].sort();
}

function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`)).toISOString();
}

/**
 * An append-only, hash-chained audit log in MySQL. Each entry stores the previous entry's hash and
 * its own SHA-256 over both, so a changed, deleted or reordered entry shows in `verify()`. Appends
 * lock the chain's head row, inside the caller's transaction when one is given, so the entry
 * commits or rolls back with the action it records and concurrent writers never fork the chain.
 */
export class AuditLog {
  readonly chain: string;
  private readonly personKey: Buffer;
  private headReady = false;
  private readonly pending = new WeakMap<QueryRunner, AuditInput[]>();
  private subscribed = false;

  constructor(
    private readonly dataSource: DataSource,
    options: AuditLogOptions,
  ) {
    this.chain = options.chain ?? 'main';
    if (!/^[a-z0-9_-]{1,40}$/i.test(this.chain)) throw new AuditLogError(`chain name "${this.chain}" must be 1-40 letters, digits, - or _`);
    this.personKey = Buffer.isBuffer(options.personKey) ? options.personKey : Buffer.from(options.personKey, 'utf8');
    if (this.personKey.length < 16) throw new AuditLogError('the person key must be at least 16 bytes');
  }

  /** The keyed hash a person is recorded under: HMAC-SHA256 of the normalised ID number. */
  personRef(idNumber: string): string {
    return createHmac('sha256', this.personKey).update(idNumber.trim().toUpperCase()).digest('hex');
  }

  /**
   * Appends an entry. With an EntityManager inside a transaction, the entry joins that transaction
   * (the chain stays locked until it ends); with a DataSource or a manager outside a transaction,
   * the append runs in a transaction of its own.
   */
  async append(target: EntityManager | DataSource, input: AuditInput): Promise<AuditEntry> {
    if (!input.actor?.trim()) throw new AuditLogError('an audit entry needs an actor');
    if (!input.action?.trim()) throw new AuditLogError('an audit entry needs an action');
    await this.ensureHead();
    if (isEntityManager(target) && target.queryRunner?.isTransactionActive) return this.appendIn(target, input);
    const ds = isEntityManager(target) ? target.connection : target;
    return ds.transaction('READ COMMITTED', (manager) => this.appendIn(manager, input));
  }

  /**
   * Queues an entry in the caller's transaction and appends it just before that transaction commits
   * (dropped if it rolls back). The chain's head is then locked only for the commit, not for the rest of
   * a long transaction: concurrent writers of a busy chain (a node's consumers) wait less on each other.
   * Outside a transaction it appends at once.
   */
  async appendAtCommit(manager: EntityManager, input: AuditInput): Promise<void> {
    const qr = manager.queryRunner;
    if (!qr?.isTransactionActive || manager.connection !== this.dataSource) {
      await this.append(manager, input);
      return;
    }
    if (!input.actor?.trim()) throw new AuditLogError('an audit entry needs an actor');
    if (!input.action?.trim()) throw new AuditLogError('an audit entry needs an action');
    this.subscribe();
    const queued = this.pending.get(qr) ?? [];
    queued.push(input);
    this.pending.set(qr, queued);
  }

  private subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    const flush = async (qr: QueryRunner) => {
      const queued = this.pending.get(qr);
      if (!queued?.length) return;
      this.pending.delete(qr);
      await this.ensureHead();
      await this.appendManyIn(qr.manager, queued);
    };
    const subscriber: EntitySubscriberInterface = {
      beforeTransactionCommit: (e) => (e.queryRunner ? flush(e.queryRunner) : undefined),
      afterTransactionRollback: (e) => {
        if (e.queryRunner) this.pending.delete(e.queryRunner);
      },
    };
    this.dataSource.subscribers.push(subscriber);
  }

  /** Appends in a transaction of the log's own data source. */
  record(input: AuditInput): Promise<AuditEntry> {
    return this.append(this.dataSource, input);
  }

  async get(entryId: string): Promise<AuditEntry | undefined> {
    const [row]: EntryRow[] = await this.dataSource.query('SELECT * FROM audit_entries WHERE chain = ? AND entry_id = ?', [this.chain, entryId]);
    return row ? this.toEntry(row) : undefined;
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = ['e.chain = ?'];
    const params: unknown[] = [this.chain];
    const subject = (kind: string, ref: string) => {
      where.push('EXISTS (SELECT 1 FROM audit_subjects s WHERE s.chain = e.chain AND s.seq = e.seq AND s.kind = ? AND s.ref = ?)');
      params.push(kind, ref);
    };
    const add = (condition: string, value: unknown) => {
      where.push(condition);
      params.push(value);
    };
    if (query.actor) add('e.actor = ?', query.actor);
    if (query.action) add('e.action = ?', query.action);
    if (query.from) add('e.recorded_at >= ?', query.from);
    if (query.to) add('e.recorded_at < ?', query.to);
    if (query.beforeSeq !== undefined) add('e.seq < ?', query.beforeSeq);
    if (query.afterSeq !== undefined) add('e.seq > ?', query.afterSeq);
    if (query.caseId) subject('case', query.caseId);
    if (query.message) subject('message', query.message);
    if (query.region) subject('region', query.region);
    if (query.personIdNumber) subject('person', this.personRef(query.personIdNumber));
    if (query.personRef) subject('person', query.personRef);
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit ?? 100)));
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows: EntryRow[] = await this.dataSource.query(
      `SELECT e.* FROM audit_entries e WHERE ${where.join(' AND ')} ORDER BY e.seq ${order} LIMIT ${limit}`,
      params,
    );
    return rows.map((r) => this.toEntry(r));
  }

  /** Walks the whole chain and reports the first entry that was changed, removed or moved. */
  async verify(batchSize = 500): Promise<AuditVerification> {
    // Reads only: a verifier may look at another service's database but never writes to it. A chain
    // whose head row is gone verifies as ending at entry 0, so any entry left shows as truncated.
    const [head] = await this.dataSource.query('SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain = ?', [this.chain]);
    const headSeq = Number(head?.last_seq ?? 0);
    let prevHash = GENESIS_HASH;
    let expected = 1;
    const broken = (seq: number, problem: AuditBreak, message: string, entryId?: string): AuditVerification => ({
      ok: false,
      chain: this.chain,
      checked: expected - 1,
      headSeq,
      firstBroken: { seq, entryId, problem, message },
    });
    for (;;) {
      const rows: EntryRow[] = await this.dataSource.query(
        `SELECT * FROM audit_entries WHERE chain = ? AND seq >= ? ORDER BY seq LIMIT ${Math.max(1, batchSize)}`,
        [this.chain, expected],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expected) {
          return broken(expected, 'missing', `entry ${expected} is missing: the chain goes from ${expected - 1} to ${seq}`);
        }
        let entry: AuditEntry;
        try {
          entry = this.toEntry(row);
        } catch (e) {
          return broken(seq, 'changed', `entry ${seq} cannot be read: ${(e as Error).message}`, row.entry_id);
        }
        const { prevHash: _p, hash: _h, ...content } = entry;
        if (entryHash(row.prev_hash, content) !== row.hash) {
          return broken(seq, 'changed', `entry ${seq} was changed: its content does not match its hash`, row.entry_id);
        }
        if (row.prev_hash !== prevHash) {
          return broken(
            seq,
            'out-of-order',
            `entry ${seq} does not follow entry ${seq - 1}: an entry was replaced, re-hashed or moved`,
            row.entry_id,
          );
        }
        prevHash = row.hash;
        expected++;
      }
    }
    const last = expected - 1;
    if (last !== headSeq || (headSeq > 0 && head.last_hash !== prevHash)) {
      return broken(last + 1, 'truncated', `the chain ends at entry ${last} but its head records entry ${headSeq}: entries were removed from the end`);
    }
    return { ok: true, chain: this.chain, checked: last, headSeq };
  }

  /**
   * Creates the chain's head row. Call it at start-up: done lazily inside a caller's transaction it needs
   * a second pool connection, and under load every connection may be holding such a transaction.
   */
  async prepare(): Promise<void> {
    await this.ensureHead();
  }

  private async ensureHead(): Promise<void> {
    if (this.headReady) return;
    // Outside any caller's transaction, so two first appends never deadlock on creating the row.
    await this.dataSource.query('INSERT IGNORE INTO audit_chain_heads (chain, last_seq, last_hash) VALUES (?, 0, ?)', [this.chain, GENESIS_HASH]);
    this.headReady = true;
  }

  private async appendIn(manager: EntityManager, input: AuditInput): Promise<AuditEntry> {
    const [entry] = await this.appendManyIn(manager, [input]);
    return entry;
  }

  /** Appends entries in order under one lock of the head: one read and one write of it, two inserts. */
  private async appendManyIn(manager: EntityManager, inputs: AuditInput[]): Promise<AuditEntry[]> {
    const [head] = await manager.query('SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain = ? FOR UPDATE', [this.chain]);
    if (!head) throw new AuditLogError(`audit chain ${this.chain} has no head row`);
    let seq = Number(head.last_seq);
    let prevHash = String(head.last_hash);
    const entries: AuditEntry[] = [];
    for (const input of inputs) {
      seq++;
      const content: Omit<AuditEntry, 'prevHash' | 'hash'> = {
        chain: this.chain,
        seq,
        entryId: randomUUID(),
        at: new Date().toISOString(),
        actor: input.actor.trim(),
        actorKind: input.actorKind ?? 'operator',
        action: input.action.trim(),
        subject: {
          messages: uniq(input.subject?.messages),
          cases: uniq(input.subject?.cases),
          persons: uniq((input.subject?.persons ?? []).map((p) => this.personRef(p))),
          regions: uniq(input.subject?.regions),
        },
        details: JSON.parse(canonicalJson(input.details ?? {})) as Record<string, unknown>,
        before: input.before === undefined ? null : JSON.parse(canonicalJson(input.before)),
        after: input.after === undefined ? null : JSON.parse(canonicalJson(input.after)),
      };
      const hash = entryHash(prevHash, content);
      entries.push({ ...content, prevHash, hash });
      prevHash = hash;
    }
    await manager.query(
      `INSERT INTO audit_entries (chain, seq, entry_id, recorded_at, actor, actor_kind, action, subject, details, before_state, after_state, prev_hash, hash)
       VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      entries.flatMap((e) => [
        this.chain, e.seq, e.entryId, new Date(e.at), e.actor, e.actorKind, e.action,
        canonicalJson(e.subject), canonicalJson(e.details),
        e.before === null ? null : canonicalJson(e.before),
        e.after === null ? null : canonicalJson(e.after),
        e.prevHash, e.hash,
      ]),
    );
    const refs: Array<[string, string, number]> = entries.flatMap((e) => [
      ...e.subject.messages.map((r) => ['message', r, e.seq] as [string, string, number]),
      ...e.subject.cases.map((r) => ['case', r, e.seq] as [string, string, number]),
      ...e.subject.persons.map((r) => ['person', r, e.seq] as [string, string, number]),
      ...e.subject.regions.map((r) => ['region', r, e.seq] as [string, string, number]),
    ]);
    if (refs.length > 0) {
      await manager.query(
        `INSERT IGNORE INTO audit_subjects (chain, kind, ref, seq) VALUES ${refs.map(() => '(?, ?, ?, ?)').join(', ')}`,
        refs.flatMap(([kind, ref, at]) => [this.chain, kind, ref.slice(0, 200), at]),
      );
    }
    await manager.query('UPDATE audit_chain_heads SET last_seq = ?, last_hash = ? WHERE chain = ?', [seq, prevHash, this.chain]);
    return entries;
  }

  private toEntry(row: EntryRow): AuditEntry {
    const subject = JSON.parse(row.subject) as Partial<AuditSubject>;
    return {
      chain: row.chain,
      seq: Number(row.seq),
      entryId: row.entry_id,
      at: toIso(row.recorded_at),
      actor: row.actor,
      actorKind: row.actor_kind as ActorKind,
      action: row.action,
      subject: { messages: subject.messages ?? [], cases: subject.cases ?? [], persons: subject.persons ?? [], regions: subject.regions ?? [] },
      details: JSON.parse(row.details) as Record<string, unknown>,
      before: row.before_state === null ? null : JSON.parse(row.before_state),
      after: row.after_state === null ? null : JSON.parse(row.after_state),
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }
}
