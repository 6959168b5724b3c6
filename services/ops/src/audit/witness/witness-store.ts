import { DataSource } from 'typeorm';
import type { ChainHead } from './audit-databases';
import type { WitnessReceipt } from './witness-check';

/** A head the other province reported that contradicts one it reported before. */
export interface WitnessConflict {
  owner: string;
  database: string;
  chain: string;
  length: number;
  headHash: string;
  receivedAt: string;
  conflict: string;
}

export interface WitnessedHead extends ChainHead {
  /** When this province first received the head. */
  witnessedAt: string;
}

const iso = (v: Date | string | null): string | null =>
  v === null ? null : (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`)).toISOString();

interface HeadRow {
  database_name: string;
  chain: string;
  length: string | number;
  head_hash: string;
  head_at: Date | string | null;
  received_at: Date | string;
}

/**
 * Both tables of the witness (migration AuditWitness1764400000000), insert only. Rows are keyed by what
 * they say (province, database, chain, length, hash), so a record MirrorMaker 2 delivers twice adds nothing.
 */
export class WitnessStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Keeps the heads `owner` reported of its chains. A head shorter than one already witnessed of the same
   * chain, or of the same length with another hash, is kept too, with the contradiction: it is what the
   * witness has to show. Returns the contradictions found.
   */
  async witness(owner: string, heads: ChainHead[], sentAt: Date, now = new Date()): Promise<WitnessConflict[]> {
    const conflicts: WitnessConflict[] = [];
    for (const h of heads) {
      const [seen] = await this.dataSource.query(
        `SELECT length, head_hash, received_at FROM audit_witnessed_heads WHERE owner = ? AND database_name = ? AND chain = ?
         ORDER BY length DESC, id ASC LIMIT 1`,
        [owner, h.database, h.chain],
      );
      let conflict: string | null = null;
      if (seen && Number(seen.length) > h.length) {
        conflict = `reported ${h.length} entries after ${Number(seen.length)} were witnessed on ${iso(seen.received_at)}`;
      } else if (seen && Number(seen.length) === h.length && seen.head_hash !== h.headHash) {
        conflict = `reported another hash for entry ${h.length} than the one witnessed on ${iso(seen.received_at)}`;
      }
      const result = await this.dataSource.query(
        `INSERT IGNORE INTO audit_witnessed_heads (owner, database_name, chain, length, head_hash, head_at, sent_at, received_at, conflict)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [owner, h.database, h.chain, h.length, h.headHash, h.headAt ? new Date(h.headAt) : null, sentAt, now, conflict],
      );
      const inserted = Number((result as { affectedRows?: number }).affectedRows ?? 0) > 0;
      if (conflict && inserted)
        conflicts.push({ owner, database: h.database, chain: h.chain, length: h.length, headHash: h.headHash, receivedAt: now.toISOString(), conflict });
    }
    return conflicts;
  }

  /** The longest head witnessed of each chain of `owner` (the first received, should two differ), optionally of some chains only. */
  async longest(owner: string, only?: Array<{ database: string; chain: string }>): Promise<WitnessedHead[]> {
    const rows: HeadRow[] = await this.dataSource.query(
      `SELECT w.database_name, w.chain, w.length, w.head_hash, w.head_at, w.received_at FROM audit_witnessed_heads w
       WHERE w.owner = ? AND w.id = (SELECT x.id FROM audit_witnessed_heads x WHERE x.owner = w.owner AND x.database_name = w.database_name
         AND x.chain = w.chain ORDER BY x.length DESC, x.id ASC LIMIT 1)
       ORDER BY w.database_name, w.chain`,
      [owner],
    );
    const wanted = only ? new Set(only.map((c) => `${c.database}\u0000${c.chain}`)) : undefined;
    return rows
      .filter((r) => !wanted || wanted.has(`${r.database_name}\u0000${r.chain}`))
      .map((r) => ({
        database: r.database_name,
        chain: r.chain,
        length: Number(r.length),
        headHash: r.head_hash,
        headAt: iso(r.head_at),
        witnessedAt: iso(r.received_at)!,
      }));
  }

  /** The contradictions found in what `owner` reported, newest first. */
  async conflicts(owner: string, limit = 100): Promise<WitnessConflict[]> {
    const rows: Array<HeadRow & { conflict: string }> = await this.dataSource.query(
      `SELECT database_name, chain, length, head_hash, received_at, conflict FROM audit_witnessed_heads
       WHERE owner = ? AND conflict IS NOT NULL ORDER BY id DESC LIMIT ${Math.max(1, Math.min(1000, limit))}`,
      [owner],
    );
    return rows.map((r) => ({
      owner,
      database: r.database_name,
      chain: r.chain,
      length: Number(r.length),
      headHash: r.head_hash,
      receivedAt: iso(r.received_at)!,
      conflict: r.conflict,
    }));
  }

  /** Keeps the heads of this province's chains that `witness` says it holds. */
  async receive(witness: string, heads: Array<ChainHead & { witnessedAt: string | null }>, now = new Date()): Promise<void> {
    for (const h of heads) {
      await this.dataSource.query(
        `INSERT IGNORE INTO audit_witness_receipts (witness, database_name, chain, length, head_hash, head_at, witnessed_at, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [witness, h.database, h.chain, h.length, h.headHash, h.headAt ? new Date(h.headAt) : null, h.witnessedAt ? new Date(h.witnessedAt) : null, now],
      );
    }
  }

  /** Every head `witness` acknowledged, by chain. */
  async receipts(witness: string): Promise<WitnessReceipt[]> {
    const rows: Array<{ database_name: string; chain: string; length: string | number; head_hash: string; witnessed_at: Date | string | null }> =
      await this.dataSource.query(
        'SELECT database_name, chain, length, head_hash, witnessed_at FROM audit_witness_receipts WHERE witness = ? ORDER BY database_name, chain, length',
        [witness],
      );
    return rows.map((r) => ({ database: r.database_name, chain: r.chain, length: Number(r.length), headHash: r.head_hash, witnessedAt: iso(r.witnessed_at) }));
  }

  /** When `witness` last acknowledged anything. */
  async lastReceiptAt(witness: string): Promise<string | null> {
    const [row] = await this.dataSource.query('SELECT MAX(received_at) AS at FROM audit_witness_receipts WHERE witness = ?', [witness]);
    return iso(row?.at ?? null);
  }
}
