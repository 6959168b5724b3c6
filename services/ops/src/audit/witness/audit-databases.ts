import { DataSource } from 'typeorm';
import type { MysqlConfig } from '@tongban/persistence';
import { createDataSource } from '@tongban/persistence';

/** The head of one audit chain: how many entries it has and the hash of the last one. */
export interface ChainHead {
  database: string;
  chain: string;
  length: number;
  headHash: string;
  /** When the last entry was recorded (ISO-8601); null for an empty chain. */
  headAt: string | null;
}

function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`)).toISOString();
}

/**
 * The databases whose audit chains ops verifies: its own (an open connection) and the others of
 * TONGBAN_AUDIT_DATABASES (opened for one use, read only, then closed), as the chain verifier walks them.
 */
export class AuditDatabases {
  constructor(
    private readonly own: DataSource,
    readonly ownDatabase: string,
    private readonly mysql: MysqlConfig,
    private readonly others: string[],
  ) {}

  names(): string[] {
    return [this.ownDatabase, ...new Set(this.others.filter((d) => d !== this.ownDatabase))];
  }

  async use<T>(database: string, fn: (ds: DataSource) => Promise<T>): Promise<T> {
    if (database === this.ownDatabase) return fn(this.own);
    const ds = createDataSource({ mysql: this.mysql, database, entities: [], migrations: [], poolSize: 1 });
    await ds.initialize();
    try {
      return await fn(ds);
    } finally {
      await ds.destroy().catch(() => undefined);
    }
  }

  /** The head of every chain of every database, as its head row records it; unreadable databases apart. */
  async heads(): Promise<{ heads: ChainHead[]; unreachable: Array<{ database: string; error: string }> }> {
    const heads: ChainHead[] = [];
    const unreachable: Array<{ database: string; error: string }> = [];
    for (const database of this.names()) {
      try {
        const rows: Array<{ chain: string; last_seq: string | number; last_hash: string; recorded_at: Date | string | null }> = await this.use(database, (ds) =>
          ds.query(
            `SELECT h.chain, h.last_seq, h.last_hash, e.recorded_at FROM audit_chain_heads h
             LEFT JOIN audit_entries e ON e.chain = h.chain AND e.seq = h.last_seq ORDER BY h.chain`,
          ),
        );
        for (const r of rows) heads.push({ database, chain: r.chain, length: Number(r.last_seq), headHash: r.last_hash, headAt: iso(r.recorded_at) });
      } catch (e) {
        unreachable.push({ database, error: (e as Error).message });
      }
    }
    return { heads, unreachable };
  }
}

/** How many entries `chain` of the database `ds` holds and the hashes of the entries at `positions` (those that exist). */
export async function entriesIn(ds: DataSource, chain: string, positions: number[]): Promise<{ length: number; hashes: Map<number, string> }> {
  const [last] = await ds.query('SELECT COALESCE(MAX(seq), 0) AS n FROM audit_entries WHERE chain = ?', [chain]);
  const hashes = new Map<number, string>();
  const wanted = [...new Set(positions.filter((p) => p > 0))];
  for (let i = 0; i < wanted.length; i += 500) {
    const batch = wanted.slice(i, i + 500);
    const rows: Array<{ seq: string | number; hash: string }> = await ds.query(
      `SELECT seq, hash FROM audit_entries WHERE chain = ? AND seq IN (${batch.map(() => '?').join(', ')})`,
      [chain, ...batch],
    );
    for (const r of rows) hashes.set(Number(r.seq), r.hash);
  }
  return { length: Number(last.n), hashes };
}
