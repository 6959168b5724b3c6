import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The two sides of the audit witness (see services/ops/src/audit/witness). Both tables are append-only: ops
 * only ever inserts into them, and a row repeated by MirrorMaker 2 (at least once) is the same row, by its key.
 * - `audit_witnessed_heads`: heads of the OTHER province's chains as it reported them; this province is their witness.
 * - `audit_witness_receipts`: heads of THIS province's chains the other province says it witnessed; what
 *   `GET /v1/audit/verify?witness=true` checks the chains against.
 */
export class AuditWitness1764400000000 implements MigrationInterface {
  name = 'AuditWitness1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_witnessed_heads (
      id BIGINT NOT NULL AUTO_INCREMENT,
      owner CHAR(6) NOT NULL,
      database_name VARCHAR(64) NOT NULL,
      chain VARCHAR(40) NOT NULL,
      length BIGINT NOT NULL,
      head_hash CHAR(64) NOT NULL,
      head_at DATETIME(3) NULL,
      sent_at DATETIME(3) NOT NULL,
      received_at DATETIME(3) NOT NULL,
      conflict VARCHAR(500) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_witnessed_head (owner, database_name, chain, length, head_hash),
      KEY idx_witnessed_conflict (owner, conflict(1))
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE audit_witness_receipts (
      id BIGINT NOT NULL AUTO_INCREMENT,
      witness CHAR(6) NOT NULL,
      database_name VARCHAR(64) NOT NULL,
      chain VARCHAR(40) NOT NULL,
      length BIGINT NOT NULL,
      head_hash CHAR(64) NOT NULL,
      head_at DATETIME(3) NULL,
      witnessed_at DATETIME(3) NULL,
      received_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_witness_receipt (witness, database_name, chain, length, head_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS audit_witness_receipts');
    await q.query('DROP TABLE IF EXISTS audit_witnessed_heads');
  }
}
