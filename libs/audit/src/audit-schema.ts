import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of the audit log. `audit_entries` is append-only: the library never updates or deletes a
 * row. `audit_chain_heads` holds the last sequence number and hash of each chain; appends lock its
 * row, so writers in several processes take turns. `audit_subjects` indexes who and what each entry
 * concerns (a person by a keyed hash of the ID number, never in the clear).
 */
export const AUDIT_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS audit_chain_heads (
    chain VARCHAR(40) NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash CHAR(64) NOT NULL,
    PRIMARY KEY (chain)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS audit_entries (
    chain VARCHAR(40) NOT NULL,
    seq BIGINT NOT NULL,
    entry_id CHAR(36) NOT NULL,
    recorded_at DATETIME(3) NOT NULL,
    actor VARCHAR(100) NOT NULL,
    actor_kind VARCHAR(20) NOT NULL,
    action VARCHAR(100) NOT NULL,
    subject LONGTEXT NOT NULL,
    details LONGTEXT NOT NULL,
    before_state LONGTEXT NULL,
    after_state LONGTEXT NULL,
    prev_hash CHAR(64) NOT NULL,
    hash CHAR(64) NOT NULL,
    PRIMARY KEY (chain, seq),
    UNIQUE KEY uq_audit_entry_id (entry_id),
    KEY idx_audit_recorded (chain, recorded_at),
    KEY idx_audit_actor (chain, actor, recorded_at),
    KEY idx_audit_action (chain, action, recorded_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS audit_subjects (
    chain VARCHAR(40) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    ref VARCHAR(200) NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (chain, kind, ref, seq),
    KEY idx_audit_subject_seq (chain, seq)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

/** Creates the audit tables (idempotent); call from a service's migration. */
export async function createAuditTables(q: QueryRunner): Promise<void> {
  for (const ddl of AUDIT_DDL) await q.query(ddl);
}

/** A ready migration for services that only need to add the audit tables. */
export class AuditLogSchema1764300000000 implements MigrationInterface {
  name = 'AuditLogSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await createAuditTables(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS audit_subjects');
    await q.query('DROP TABLE IF EXISTS audit_entries');
    await q.query('DROP TABLE IF EXISTS audit_chain_heads');
  }
}

/**
 * Tables of record groups: `audit_records` holds each record of a group with its own leaf hash, at its
 * position in the group (0 first); the group's chain entry (seq) carries the Merkle root over the leaves.
 * `audit_record_subjects` indexes whom and what each record concerns, like `audit_subjects` for entries.
 * Append-only like `audit_entries`.
 */
export const AUDIT_RECORD_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS audit_records (
    chain VARCHAR(40) NOT NULL,
    seq BIGINT NOT NULL,
    pos INT NOT NULL,
    record_id CHAR(36) NOT NULL,
    recorded_at DATETIME(3) NOT NULL,
    actor VARCHAR(100) NOT NULL,
    actor_kind VARCHAR(20) NOT NULL,
    action VARCHAR(100) NOT NULL,
    subject LONGTEXT NOT NULL,
    details LONGTEXT NOT NULL,
    before_state LONGTEXT NULL,
    after_state LONGTEXT NULL,
    leaf_hash CHAR(64) NOT NULL,
    PRIMARY KEY (chain, seq, pos),
    UNIQUE KEY uq_audit_record_id (record_id),
    KEY idx_audit_record_recorded (chain, recorded_at),
    KEY idx_audit_record_action (chain, action, recorded_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS audit_record_subjects (
    chain VARCHAR(40) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    ref VARCHAR(200) NOT NULL,
    seq BIGINT NOT NULL,
    pos INT NOT NULL,
    PRIMARY KEY (chain, kind, ref, seq, pos),
    KEY idx_audit_record_subject_seq (chain, seq, pos)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

/** Adds the record-group tables to a database that has the audit tables (idempotent). */
export class AuditRecordGroups1768000000000 implements MigrationInterface {
  name = 'AuditRecordGroups1768000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const ddl of AUDIT_RECORD_DDL) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS audit_record_subjects');
    await q.query('DROP TABLE IF EXISTS audit_records');
  }
}
