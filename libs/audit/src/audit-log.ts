import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { TongbanError } from '@tongban/errors';
import { canonicalJson } from './canonical-json';
import { merkleLeafHash, merkleProof, merkleRoot, verifyMerkleProof } from './merkle';

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

/** What an entry or a record says was done, by whom, when, to what. */
export interface AuditFacts {
  at: string;
  actor: string;
  actorKind: ActorKind;
  action: string;
  subject: AuditSubject;
  details: Record<string, unknown>;
  before: unknown;
  after: unknown;
}

export interface AuditEntry extends AuditFacts {
  chain: string;
  seq: number;
  entryId: string;
  prevHash: string;
  hash: string;
  /**
   * Set on a record of a group (see `appendGroup`): its own id (also `entryId`), its position in the group
   * and its leaf hash. `seq`, `prevHash` and `hash` are then those of the group's chain entry.
   */
  record?: { id: string; pos: number; leafHash: string };
}

/** The action of a chain entry that commits a group of records by their Merkle root. */
export const RECORD_GROUP_ACTION = 'record-group';
/** How a group's root is computed (see merkle.ts); carried in the group entry's details. */
export const RECORD_GROUP_TREE = 'sha256-rfc6962';

/** What a group's chain entry carries in its details. */
export interface RecordGroupDetails {
  merkleRoot: string;
  count: number;
  tree: string;
}

/** The content of a record that its leaf hash covers (the canonical JSON of this object). */
export interface AuditRecordContent extends AuditFacts {
  chain: string;
  recordId: string;
}

/** Everything needed to check that one record is in the chain, without the rest of its group. */
export interface RecordProof {
  record: AuditRecordContent;
  /** H(0x00 ‖ canonical JSON of `record`). */
  leafHash: string;
  pos: number;
  count: number;
  /** Sibling hashes from the leaf up; their sides follow from `pos` and `count`. */
  path: string[];
  merkleRoot: string;
  /** The group's chain entry: its hash covers `merkleRoot` and `count`, and links to the previous entry. */
  entry: AuditEntry;
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

/**
 * Where a chain breaks: an entry `changed` (its content does not match its hash), `missing`, `out-of-order`
 * (its link to the previous entry is broken), `truncated`, `beyond-head` (an entry past the head, written without
 * its lock); in a group, a record's content does not match its
 * leaf hash (`leaf-altered`), a record is gone from its group (`record-missing`) or slipped into it
 * (`record-added`), or the group's leaves do not give the root its entry carries (`root-mismatch`).
 */
export const AUDIT_BREAKS = [
  'changed',
  'missing',
  'out-of-order',
  'truncated',
  'beyond-head',
  'leaf-altered',
  'record-missing',
  'record-added',
  'root-mismatch',
] as const;
export type AuditBreak = (typeof AUDIT_BREAKS)[number];

export interface AuditVerification {
  ok: boolean;
  chain: string;
  /** Entries checked before the first break (all of them when ok). */
  checked: number;
  /** Records of groups checked before the first break (absent when the chain has no groups). */
  records?: number;
  headSeq: number;
  firstBroken?: { seq: number; entryId?: string; problem: AuditBreak; message: string; recordId?: string; pos?: number };
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

/** The columns of AuditFacts, as audit_entries and audit_records both store them. */
interface FactsColumns {
  chain: string;
  seq: string | number;
  recorded_at: Date | string;
  actor: string;
  actor_kind: string;
  action: string;
  subject: string;
  details: string;
  before_state: string | null;
  after_state: string | null;
}

interface EntryRow extends FactsColumns {
  entry_id: string;
  prev_hash: string;
  hash: string;
}

interface RecordRow extends FactsColumns {
  pos: string | number;
  record_id: string;
  leaf_hash: string;
}

/** One append under the head's lock: an entry, or a group of records committed by one entry. */
type Append = { entry: AuditInput } | { group: AuditInput[]; actor: string };

/** The SHA-256 an entry must carry: over the previous hash and the canonical text of its content. */
export function entryHash(prevHash: string, content: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

/** The leaf hash a record must carry: H(0x00 ‖ canonical JSON of its content). */
export function recordLeafHash(content: AuditRecordContent): string {
  return merkleLeafHash(canonicalJson(content));
}

/**
 * Checks a proof on its own: the record gives its leaf, the path gives the root, the root and count are those
 * the entry carries, and the entry's hash covers them. Answers the first thing that does not hold.
 */
export function checkRecordProof(proof: RecordProof): { ok: boolean; problem?: AuditBreak; message?: string } {
  const { prevHash, hash, record: _r, ...content } = proof.entry;
  if (recordLeafHash(proof.record) !== proof.leafHash) return { ok: false, problem: 'leaf-altered', message: 'the record does not match its leaf hash' };
  if (proof.entry.action !== RECORD_GROUP_ACTION || proof.entry.details.merkleRoot !== proof.merkleRoot || proof.entry.details.count !== proof.count) {
    return { ok: false, problem: 'root-mismatch', message: 'the root or count is not the one the chain entry carries' };
  }
  if (!verifyMerkleProof(proof.leafHash, proof.pos, proof.count, proof.path, proof.merkleRoot)) {
    return { ok: false, problem: 'root-mismatch', message: 'the leaf and its path do not give the root' };
  }
  if (entryHash(prevHash, content) !== hash) return { ok: false, problem: 'changed', message: 'the chain entry does not match its hash' };
  return { ok: true };
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
 *
 * A group of records (`appendGroup`) takes ONE entry: each record is stored with its own leaf hash in
 * `audit_records`, and the entry carries the Merkle root over the group's leaves and their count.
 * `list()` shows such records one by one, like entries; `verify()` checks leaves, roots and links.
 */
export class AuditLog {
  readonly chain: string;
  private readonly personKey: Buffer;
  private headReady = false;
  private readonly pending = new WeakMap<QueryRunner, Append[]>();
  private subscribed = false;
  private recordTables?: boolean;

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
    checkInput(input);
    await this.ensureHead();
    if (isEntityManager(target) && target.queryRunner?.isTransactionActive) return this.appendIn(target, input);
    const ds = isEntityManager(target) ? target.connection : target;
    return ds.transaction('READ COMMITTED', (manager) => this.appendIn(manager, input));
  }

  /**
   * Appends a group of records under ONE chain entry, in the caller's transaction when there is one: each
   * record in `audit_records` with its leaf hash, at its position in `inputs`, and the entry (action
   * `record-group`, by `actor`) with the Merkle root over the leaves and their count. Answers the entry.
   */
  async appendGroup(target: EntityManager | DataSource, inputs: AuditInput[], actor = 'audit'): Promise<AuditEntry | undefined> {
    if (inputs.length === 0) return undefined;
    inputs.forEach(checkInput);
    await this.ensureHead();
    const run = async (manager: EntityManager) => (await this.appendManyIn(manager, [{ group: inputs, actor }]))[0];
    if (isEntityManager(target) && target.queryRunner?.isTransactionActive) return run(target);
    const ds = isEntityManager(target) ? target.connection : target;
    return ds.transaction('READ COMMITTED', run);
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
    checkInput(input);
    this.queue(qr, { entry: input });
  }

  /** Like `appendAtCommit`, for a group of records under one entry (see `appendGroup`). */
  async appendGroupAtCommit(manager: EntityManager, inputs: AuditInput[], actor = 'audit'): Promise<void> {
    if (inputs.length === 0) return;
    const qr = manager.queryRunner;
    if (!qr?.isTransactionActive || manager.connection !== this.dataSource) {
      await this.appendGroup(manager, inputs, actor);
      return;
    }
    inputs.forEach(checkInput);
    this.queue(qr, { group: inputs, actor });
  }

  private queue(qr: QueryRunner, append: Append): void {
    this.subscribe();
    const queued = this.pending.get(qr) ?? [];
    queued.push(append);
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

  /**
   * Entries and records of groups matching the query, newest first unless `order` is 'asc'. A group's records
   * follow its entry (seq, then position). A page never ends inside a group, so paging by `seq` loses nothing:
   * `limit` is exceeded only when one group alone is larger than it.
   */
  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return (await this.listPage(query)).entries;
  }

  /** `list()` with the cursor of the next page: `beforeSeq` (desc) or `afterSeq` (asc) for it, null at the end. */
  async listPage(query: AuditQuery = {}): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit ?? 100)));
    const desc = query.order !== 'asc';
    const ew = this.where(query, 'e', 'audit_subjects', '');
    const entries = (
      (await this.dataSource.query(
        `SELECT e.* FROM audit_entries e WHERE ${ew.sql} ORDER BY e.seq ${desc ? 'DESC' : 'ASC'} LIMIT ${limit + 1}`,
        ew.params,
      )) as EntryRow[]
    ).map((r) => this.toEntry(r));
    let records: AuditEntry[] = [];
    if (await this.hasRecordTables()) {
      const w = this.where(query, 'r', 'audit_record_subjects', ' AND s.pos = r.pos');
      const rows: Array<RecordRow & { entry_prev_hash: string; entry_hash: string }> = await this.dataSource.query(
        `SELECT r.*, e.prev_hash AS entry_prev_hash, e.hash AS entry_hash FROM audit_records r JOIN audit_entries e ON e.chain = r.chain AND e.seq = r.seq
         WHERE ${w.sql} ORDER BY r.seq ${desc ? 'DESC' : 'ASC'}, r.pos ${desc ? 'DESC' : 'ASC'} LIMIT ${limit + 1}`,
        w.params,
      );
      records = rows.map((r) => this.toRecordEntry(r, r.entry_prev_hash, r.entry_hash));
    }
    const key = (e: AuditEntry) => e.seq * 1e6 + (e.record ? e.record.pos : -1);
    const merged = [...entries, ...records].sort((a, b) => (desc ? key(b) - key(a) : key(a) - key(b)));
    if (merged.length <= limit) return { entries: merged, next: null };
    let page = merged.slice(0, limit);
    const cut = merged[limit];
    const last = page[page.length - 1];
    if (cut.seq === last.seq) {
      if (page[0].seq !== last.seq) {
        page = page.filter((e) => e.seq !== last.seq);
      } else {
        // One group larger than the page: all of it (a group is at most a group commit's or a batch's size).
        page = (await this.listPage({ ...query, limit: 1000, beforeSeq: last.seq + 1, afterSeq: last.seq - 1 })).entries;
      }
    }
    return { entries: page, next: page[page.length - 1].seq };
  }

  private where(query: AuditQuery, t: string, subjects: string, posMatch: string): { sql: string; params: unknown[] } {
    const where: string[] = [`${t}.chain = ?`];
    const params: unknown[] = [this.chain];
    const subject = (kind: string, ref: string) => {
      where.push(`EXISTS (SELECT 1 FROM ${subjects} s WHERE s.chain = ${t}.chain AND s.seq = ${t}.seq${posMatch} AND s.kind = ? AND s.ref = ?)`);
      params.push(kind, ref);
    };
    const add = (condition: string, value: unknown) => {
      where.push(condition);
      params.push(value);
    };
    if (query.actor) add(`${t}.actor = ?`, query.actor);
    if (query.action) add(`${t}.action = ?`, query.action);
    if (query.from) add(`${t}.recorded_at >= ?`, query.from);
    if (query.to) add(`${t}.recorded_at < ?`, query.to);
    if (query.beforeSeq !== undefined) add(`${t}.seq < ?`, query.beforeSeq);
    if (query.afterSeq !== undefined) add(`${t}.seq > ?`, query.afterSeq);
    if (query.caseId) subject('case', query.caseId);
    if (query.message) subject('message', query.message);
    if (query.region) subject('region', query.region);
    if (query.personIdNumber) subject('person', this.personRef(query.personIdNumber));
    if (query.personRef) subject('person', query.personRef);
    return { sql: where.join(' AND '), params };
  }

  /** Whether the database has the record-group tables (a database not migrated since has entries only). */
  private async hasRecordTables(): Promise<boolean> {
    if (this.recordTables === undefined) {
      const [r] = await this.dataSource.query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'audit_records'",
      );
      this.recordTables = Number(r.n) > 0;
    }
    return this.recordTables;
  }

  /**
   * The proof that a record is in the chain: its content and leaf hash, the sibling path to its group's root,
   * and the group's chain entry. Undefined when no record of this chain has the id (an entry is no record).
   */
  async proof(recordId: string): Promise<RecordProof | undefined> {
    if (!(await this.hasRecordTables())) return undefined;
    const [row]: RecordRow[] = await this.dataSource.query('SELECT * FROM audit_records WHERE chain = ? AND record_id = ?', [this.chain, recordId]);
    if (!row) return undefined;
    const seq = Number(row.seq);
    const [entryRow]: EntryRow[] = await this.dataSource.query('SELECT * FROM audit_entries WHERE chain = ? AND seq = ?', [this.chain, seq]);
    if (!entryRow) throw new AuditLogError(`record ${recordId} belongs to entry ${seq}, which is missing`);
    const entry = this.toEntry(entryRow);
    const leaves: string[] = (
      await this.dataSource.query('SELECT leaf_hash FROM audit_records WHERE chain = ? AND seq = ? ORDER BY pos', [this.chain, seq])
    ).map((r: { leaf_hash: string }) => r.leaf_hash);
    const details = entry.details as unknown as RecordGroupDetails;
    const pos = Number(row.pos);
    return {
      record: this.recordContent(row),
      leafHash: row.leaf_hash,
      pos,
      count: Number(details.count),
      path: pos < leaves.length ? merkleProof(leaves, pos) : [],
      merkleRoot: details.merkleRoot,
      entry,
    };
  }

  /**
   * Walks the chain up to the head it reads first and reports the first entry (or record of a group) that was
   * changed, removed or moved. Entries appended while it walks are past that head and left to the next
   * verification; an entry past the head as it stands at the end was written without moving the head.
   */
  async verify(batchSize = 500): Promise<AuditVerification> {
    // Reads only: a verifier may look at another service's database but never writes to it. A chain
    // whose head row is gone verifies as ending at entry 0, so any entry left shows as truncated.
    const [head] = await this.dataSource.query('SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain = ?', [this.chain]);
    const headSeq = Number(head?.last_seq ?? 0);
    // Without a head row every entry is walked, and any at all shows as truncated below.
    const walkTo = head ? headSeq : Number.MAX_SAFE_INTEGER;
    const withRecords = await this.hasRecordTables();
    let prevHash = GENESIS_HASH;
    let expected = 1;
    let records = 0;
    const broken = (seq: number, problem: AuditBreak, message: string, entryId?: string, record?: { recordId?: string; pos?: number }): AuditVerification => ({
      ok: false,
      chain: this.chain,
      checked: expected - 1,
      ...(records ? { records } : {}),
      headSeq,
      firstBroken: { seq, entryId, problem, message, ...record },
    });
    for (;;) {
      const rows: EntryRow[] = await this.dataSource.query(
        `SELECT * FROM audit_entries WHERE chain = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ${Math.max(1, batchSize)}`,
        [this.chain, expected, walkTo],
      );
      if (rows.length === 0) break;
      const groupRows = new Map<number, RecordRow[]>();
      if (withRecords) {
        const all: RecordRow[] = await this.dataSource.query('SELECT * FROM audit_records WHERE chain = ? AND seq BETWEEN ? AND ? ORDER BY seq, pos', [
          this.chain,
          Number(rows[0].seq),
          Number(rows[rows.length - 1].seq),
        ]);
        for (const r of all) groupRows.set(Number(r.seq), [...(groupRows.get(Number(r.seq)) ?? []), r]);
      }
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
        const members = groupRows.get(seq) ?? [];
        if (entry.action === RECORD_GROUP_ACTION) {
          const problem = this.checkGroup(entry, members);
          if (problem) return broken(seq, problem.problem, problem.message, row.entry_id, { recordId: problem.recordId, pos: problem.pos });
          records += members.length;
        } else if (members.length > 0) {
          return broken(seq, 'record-added', `entry ${seq} is no group, yet record ${members[0].record_id} claims to belong to it`, row.entry_id, {
            recordId: members[0].record_id,
            pos: Number(members[0].pos),
          });
        }
        const { prevHash: _p, hash: _h, record: _r, ...content } = entry;
        if (entryHash(row.prev_hash, content) !== row.hash) {
          return broken(seq, 'changed', `entry ${seq} was changed: its content does not match its hash`, row.entry_id);
        }
        if (row.prev_hash !== prevHash) {
          return broken(
            seq,
            'out-of-order',
            `entry ${seq} does not follow entry ${seq - 1}: the chain link is broken (an entry was replaced, re-hashed or moved)`,
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
    // What lies past the head read first is either appended since (under the head's lock, so the head now covers
    // it) or was written beside the chain without its lock.
    const [beyond] = await this.dataSource.query('SELECT seq, entry_id FROM audit_entries WHERE chain = ? AND seq > ? ORDER BY seq DESC LIMIT 1', [
      this.chain,
      last,
    ]);
    const [headNow] = beyond ? await this.dataSource.query('SELECT last_seq FROM audit_chain_heads WHERE chain = ?', [this.chain]) : [undefined];
    const coveredUpTo = Math.max(last, Number(headNow?.last_seq ?? last));
    if (beyond && Number(beyond.seq) > coveredUpTo) {
      return broken(
        Number(beyond.seq),
        'beyond-head',
        `entry ${beyond.seq} lies past the chain's head (entry ${coveredUpTo}): it was written without moving the head`,
        beyond.entry_id,
      );
    }
    if (withRecords) {
      const [stray] = await this.dataSource.query('SELECT seq, pos, record_id FROM audit_records WHERE chain = ? AND seq > ? ORDER BY seq, pos LIMIT 1', [
        this.chain,
        coveredUpTo,
      ]);
      if (stray) {
        return broken(Number(stray.seq), 'record-added', `record ${stray.record_id} claims entry ${stray.seq}, beyond the chain's end`, undefined, {
          recordId: stray.record_id,
          pos: Number(stray.pos),
        });
      }
    }
    return { ok: true, chain: this.chain, checked: last, ...(records ? { records } : {}), headSeq };
  }

  /** A group's records against its entry: the positions 0…count-1, each leaf from its record, the root. */
  private checkGroup(entry: AuditEntry, members: RecordRow[]): { problem: AuditBreak; message: string; recordId?: string; pos?: number } | undefined {
    const seq = entry.seq;
    const details = entry.details as Partial<RecordGroupDetails>;
    const count = Number(details.count);
    const extra = members.find((m) => !(Number(m.pos) < count));
    if (extra) {
      return {
        problem: 'record-added',
        message: `the group of entry ${seq} holds ${count} records, yet record ${extra.record_id} claims position ${extra.pos}`,
        recordId: extra.record_id,
        pos: Number(extra.pos),
      };
    }
    const present = new Set(members.map((m) => Number(m.pos)));
    for (let pos = 0; pos < count; pos++) {
      if (!present.has(pos))
        return { problem: 'record-missing', message: `the record at position ${pos} of the group of entry ${seq} (${count} records) is missing`, pos };
    }
    for (const m of members) {
      let leaf: string | undefined;
      try {
        leaf = recordLeafHash(this.recordContent(m));
      } catch {
        leaf = undefined;
      }
      if (leaf !== m.leaf_hash) {
        return {
          problem: 'leaf-altered',
          message: `record ${m.record_id} (position ${m.pos} of the group of entry ${seq}) was changed: its content does not match its leaf hash`,
          recordId: m.record_id,
          pos: Number(m.pos),
        };
      }
    }
    const root = members.length > 0 ? merkleRoot(members.map((m) => m.leaf_hash)) : undefined;
    if (root !== details.merkleRoot) {
      return {
        problem: 'root-mismatch',
        message: `the leaves of the group of entry ${seq} do not give the Merkle root its entry carries: the root or a leaf hash was rewritten`,
      };
    }
    return undefined;
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
    const [entry] = await this.appendManyIn(manager, [{ entry: input }]);
    return entry;
  }

  private contentOf(input: AuditInput): Omit<AuditRecordContent, 'chain' | 'recordId' | 'at'> {
    return {
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
  }

  /**
   * Appends entries and groups in order under one lock of the head: one read and one write of it, and
   * multi-row inserts of the entries, the groups' records and the subjects of both.
   */
  private async appendManyIn(manager: EntityManager, appends: Append[]): Promise<AuditEntry[]> {
    const [head] = await manager.query('SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain = ? FOR UPDATE', [this.chain]);
    if (!head) throw new AuditLogError(`audit chain ${this.chain} has no head row`);
    let seq = Number(head.last_seq);
    let prevHash = String(head.last_hash);
    const entries: AuditEntry[] = [];
    const records: Array<{ seq: number; pos: number; content: AuditRecordContent; leafHash: string }> = [];
    for (const append of appends) {
      seq++;
      const at = new Date().toISOString();
      let content: Omit<AuditEntry, 'prevHash' | 'hash'>;
      if ('entry' in append) {
        content = { chain: this.chain, seq, entryId: randomUUID(), at, ...this.contentOf(append.entry) };
      } else {
        const group = append.group.map((input, pos) => {
          const record: AuditRecordContent = { chain: this.chain, recordId: randomUUID(), at, ...this.contentOf(input) };
          return { seq, pos, content: record, leafHash: recordLeafHash(record) };
        });
        records.push(...group);
        const details: RecordGroupDetails = { merkleRoot: merkleRoot(group.map((r) => r.leafHash)), count: group.length, tree: RECORD_GROUP_TREE };
        content = {
          chain: this.chain,
          seq,
          entryId: randomUUID(),
          at,
          actor: append.actor,
          actorKind: 'service',
          action: RECORD_GROUP_ACTION,
          subject: { messages: [], cases: [], persons: [], regions: [] },
          details: details as unknown as Record<string, unknown>,
          before: null,
          after: null,
        };
      }
      const hash = entryHash(prevHash, content);
      entries.push({ ...content, prevHash, hash });
      prevHash = hash;
    }
    await manager.query(
      `INSERT INTO audit_entries (chain, seq, entry_id, recorded_at, actor, actor_kind, action, subject, details, before_state, after_state, prev_hash, hash)
       VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      entries.flatMap((e) => [
        this.chain,
        e.seq,
        e.entryId,
        new Date(e.at),
        e.actor,
        e.actorKind,
        e.action,
        canonicalJson(e.subject),
        canonicalJson(e.details),
        e.before === null ? null : canonicalJson(e.before),
        e.after === null ? null : canonicalJson(e.after),
        e.prevHash,
        e.hash,
      ]),
    );
    if (records.length > 0) {
      await manager.query(
        `INSERT INTO audit_records (chain, seq, pos, record_id, recorded_at, actor, actor_kind, action, subject, details, before_state, after_state, leaf_hash)
         VALUES ${records.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        records.flatMap(({ seq: s, pos, content: r, leafHash }) => [
          this.chain,
          s,
          pos,
          r.recordId,
          new Date(r.at),
          r.actor,
          r.actorKind,
          r.action,
          canonicalJson(r.subject),
          canonicalJson(r.details),
          r.before === null ? null : canonicalJson(r.before),
          r.after === null ? null : canonicalJson(r.after),
          leafHash,
        ]),
      );
    }
    const refsOf = (s: AuditSubject): Array<[string, string]> => [
      ...s.messages.map((r) => ['message', r] as [string, string]),
      ...s.cases.map((r) => ['case', r] as [string, string]),
      ...s.persons.map((r) => ['person', r] as [string, string]),
      ...s.regions.map((r) => ['region', r] as [string, string]),
    ];
    const refs = entries.flatMap((e) => refsOf(e.subject).map(([kind, ref]) => [kind, ref, e.seq] as const));
    if (refs.length > 0) {
      await manager.query(
        `INSERT IGNORE INTO audit_subjects (chain, kind, ref, seq) VALUES ${refs.map(() => '(?, ?, ?, ?)').join(', ')}`,
        refs.flatMap(([kind, ref, at]) => [this.chain, kind, ref.slice(0, 200), at]),
      );
    }
    const recordRefs = records.flatMap((r) => refsOf(r.content.subject).map(([kind, ref]) => [kind, ref, r.seq, r.pos] as const));
    if (recordRefs.length > 0) {
      await manager.query(
        `INSERT IGNORE INTO audit_record_subjects (chain, kind, ref, seq, pos) VALUES ${recordRefs.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        recordRefs.flatMap(([kind, ref, s, pos]) => [this.chain, kind, ref.slice(0, 200), s, pos]),
      );
    }
    await manager.query('UPDATE audit_chain_heads SET last_seq = ?, last_hash = ? WHERE chain = ?', [seq, prevHash, this.chain]);
    return entries;
  }

  /** What an entry row and a record row hold alike: who, what, the subject and the states, parsed. */
  private commonContent(
    row: Pick<EntryRow, 'chain' | 'recorded_at' | 'actor' | 'actor_kind' | 'action' | 'subject' | 'details' | 'before_state' | 'after_state'>,
  ) {
    const subject = JSON.parse(row.subject) as Partial<AuditSubject>;
    return {
      chain: row.chain,
      at: toIso(row.recorded_at),
      actor: row.actor,
      actorKind: row.actor_kind as ActorKind,
      action: row.action,
      subject: { messages: subject.messages ?? [], cases: subject.cases ?? [], persons: subject.persons ?? [], regions: subject.regions ?? [] },
      details: JSON.parse(row.details) as Record<string, unknown>,
      before: row.before_state === null ? null : JSON.parse(row.before_state),
      after: row.after_state === null ? null : JSON.parse(row.after_state),
    };
  }

  private recordContent(row: RecordRow): AuditRecordContent {
    const { chain, at, ...rest } = this.commonContent(row);
    return { chain, recordId: row.record_id, at, ...rest };
  }

  private toRecordEntry(row: RecordRow, prevHash: string, hash: string): AuditEntry {
    const { recordId, ...content } = this.recordContent(row);
    return { ...content, seq: Number(row.seq), entryId: recordId, prevHash, hash, record: { id: recordId, pos: Number(row.pos), leafHash: row.leaf_hash } };
  }

  private toEntry(row: EntryRow): AuditEntry {
    const { chain, at, ...rest } = this.commonContent(row);
    return { chain, seq: Number(row.seq), entryId: row.entry_id, at, ...rest, prevHash: row.prev_hash, hash: row.hash };
  }
}

function checkInput(input: AuditInput): void {
  if (!input.actor?.trim()) throw new AuditLogError('an audit entry needs an actor');
  if (!input.action?.trim()) throw new AuditLogError('an audit entry needs an action');
}
