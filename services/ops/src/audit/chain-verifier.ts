import { DataSource } from 'typeorm';
import {
  AuditBreak,
  AuditLog,
  AuditVerification,
  checkRecordProof,
  compareIndex,
  DISCLOSURE_CHAIN,
  IndexRow,
  PERSON_INDEXED_ACTION,
  RecordProof,
} from '@tongban/audit';
import type { MysqlConfig } from '@tongban/persistence';
import { createDataSource } from '@tongban/persistence';

export interface ChainReport extends AuditVerification {
  database: string;
}

export interface IndexReport {
  database: string;
  index: 'case_persons';
  ok: boolean;
  rows: number;
  /** Index rows recorded in the chain and gone from the table, by case (hashes are not shown). */
  missing: Array<{ caseId: string }>;
  /** Rows in the table that the chain never recorded, by case. */
  unrecorded: Array<{ caseId: string }>;
}

/** The inclusion proof of one record of a group, where it was found, and whether it holds. */
export interface RecordProofReport extends RecordProof {
  database: string;
  chain: string;
  ok: boolean;
  problem?: AuditBreak;
  message?: string;
}

export interface VerificationReport extends AuditVerification {
  chains: ChainReport[];
  indexes: IndexReport[];
  /** Databases that could not be read at all. */
  unreachable: Array<{ database: string; error: string }>;
}

/**
 * Verifies the ops service's own chains and every chain of the configured databases (the gateway's,
 * each node's, delivery's): each service writes only its own database's chain, in the transaction of
 * what it records; the verifier only reads. Where a database holds the person index, its rows are
 * compared with the index entries of the chain, so a row deleted or slipped in is found.
 */
export class ChainVerifier {
  constructor(
    private readonly own: AuditLog[],
    private readonly ownDatabase: string,
    private readonly mysql: MysqlConfig,
    private readonly databases: string[],
    private readonly personKey: string,
  ) {}

  async verifyAll(): Promise<VerificationReport> {
    const chains: ChainReport[] = [];
    const indexes: IndexReport[] = [];
    const unreachable: Array<{ database: string; error: string }> = [];
    for (const log of this.own) chains.push({ database: this.ownDatabase, ...(await log.verify()) });
    for (const database of this.databases.filter((d) => d !== this.ownDatabase)) {
      const ds = createDataSource({ mysql: this.mysql, database, entities: [], migrations: [], poolSize: 2 });
      try {
        await ds.initialize();
      } catch (e) {
        unreachable.push({ database, error: (e as Error).message });
        continue;
      }
      try {
        const names = new Set<string>([DISCLOSURE_CHAIN]);
        for (const r of await ds.query('SELECT DISTINCT chain FROM audit_entries UNION SELECT chain FROM audit_chain_heads')) names.add(r.chain);
        for (const chain of [...names].sort()) {
          chains.push({ database, ...(await new AuditLog(ds, { personKey: this.personKey, chain }).verify()) });
        }
        const [hasIndex] = await ds.query(
          "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'case_persons'",
        );
        if (Number(hasIndex.n) > 0) indexes.push(await this.personIndex(ds, database));
      } catch (e) {
        unreachable.push({ database, error: (e as Error).message });
      } finally {
        await ds.destroy().catch(() => undefined);
      }
    }
    const own = chains[0];
    const firstBad = chains.find((c) => !c.ok);
    const badIndex = indexes.find((i) => !i.ok);
    type Broken = NonNullable<AuditVerification['firstBroken']> & { database: string; chain: string };
    let firstBroken: Broken | undefined = firstBad?.firstBroken ? { ...firstBad.firstBroken, database: firstBad.database, chain: firstBad.chain } : undefined;
    if (!firstBroken && badIndex) {
      const [what, cases] = badIndex.missing.length ? ['deleted from', badIndex.missing] : ['added to', badIndex.unrecorded];
      firstBroken = {
        seq: 0,
        problem: 'missing',
        message: `${cases.length} person index row(s) were ${what} ${badIndex.database}.case_persons behind the chain (cases ${[...new Set(cases.map((c) => c.caseId))].join(', ')})`,
        database: badIndex.database,
        chain: DISCLOSURE_CHAIN,
      };
    }
    if (!firstBroken && unreachable.length) {
      firstBroken = {
        seq: 0,
        problem: 'missing',
        message: `database ${unreachable[0].database} could not be read: ${unreachable[0].error}`,
        database: unreachable[0].database,
        chain: '',
      };
    }
    return {
      ok: !firstBroken,
      chain: own?.chain ?? 'ops',
      checked: chains.reduce((n, c) => n + c.checked, 0),
      headSeq: own?.headSeq ?? 0,
      ...(firstBroken ? { firstBroken } : {}),
      chains,
      indexes,
      unreachable,
    };
  }

  /**
   * The inclusion proof of a record of a group, looked for in ops' own database and every configured one;
   * checked here too (leaf from the record, path to the root, root and count in the entry, the entry's hash).
   * Undefined when no database holds a record with this id.
   */
  async proofOf(recordId: string): Promise<RecordProofReport | undefined> {
    for (const log of this.own) {
      const proof = await log.proof(recordId);
      if (proof) return { database: this.ownDatabase, chain: log.chain, ...proof, ...checkRecordProof(proof) };
    }
    for (const database of this.databases.filter((d) => d !== this.ownDatabase)) {
      const ds = createDataSource({ mysql: this.mysql, database, entities: [], migrations: [], poolSize: 1 });
      try {
        await ds.initialize();
        const [has] = await ds.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'audit_records'");
        if (Number(has.n) === 0) continue;
        const [row] = await ds.query('SELECT chain FROM audit_records WHERE record_id = ?', [recordId]);
        if (!row) continue;
        const proof = await new AuditLog(ds, { personKey: this.personKey, chain: row.chain }).proof(recordId);
        if (proof) return { database, chain: row.chain, ...proof, ...checkRecordProof(proof) };
      } catch {
        // A database that cannot be read holds no proof to give; verify names it.
      } finally {
        if (ds.isInitialized) await ds.destroy().catch(() => undefined);
      }
    }
    return undefined;
  }

  private async personIndex(ds: DataSource, database: string): Promise<IndexReport> {
    const log = new AuditLog(ds, { personKey: this.personKey, chain: DISCLOSURE_CHAIN });
    const recorded: IndexRow[] = [];
    for (let after = 0; ;) {
      const page = await log.list({ action: PERSON_INDEXED_ACTION, order: 'asc', afterSeq: after, limit: 1000 });
      for (const e of page) {
        const caseId = String(e.details.caseId);
        for (const h of (e.details.personHashes as string[] | undefined) ?? []) recorded.push([h, caseId]);
      }
      if (page.length < 1000) break;
      after = page[page.length - 1].seq;
    }
    const present: IndexRow[] = (await ds.query('SELECT person_hash, case_id FROM case_persons')).map(
      (r: { person_hash: string; case_id: string }) => [r.person_hash, r.case_id] as const,
    );
    const { ok, missing, unrecorded } = compareIndex(recorded, present);
    return {
      database,
      index: 'case_persons',
      ok,
      rows: present.length,
      missing: missing.map(([, caseId]) => ({ caseId })),
      unrecorded: unrecorded.map(([, caseId]) => ({ caseId })),
    };
  }
}
