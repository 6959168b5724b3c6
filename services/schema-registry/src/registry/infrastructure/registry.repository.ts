import { EntityManager } from 'typeorm';
import { GLOBAL_CONFIG_SUBJECT } from './subject-config.entity';

/** A version of a subject with the schema it holds. */
export interface StoredVersion {
  subject: string;
  version: number;
  schemaId: number;
  deleted: boolean;
  schemaText: string;
  fingerprint: string;
}

export interface StoredSchema {
  id: number;
  schemaType: string;
  schemaText: string;
  fingerprint: string;
}

interface VersionRow {
  subject: string;
  version: number | string;
  schema_id: number | string;
  deleted: number | string | boolean;
  schema_text: string;
  fingerprint: string;
}

const toVersion = (r: VersionRow): StoredVersion => ({
  subject: r.subject,
  version: Number(r.version),
  schemaId: Number(r.schema_id),
  deleted: Number(r.deleted) === 1 || r.deleted === true,
  schemaText: r.schema_text,
  fingerprint: r.fingerprint,
});

const VERSION_COLUMNS = 'v.subject, v.version, v.schema_id, v.deleted, s.schema_text, s.fingerprint';

/** SQL of the registry's three tables; every method runs on the manager it is given (a transaction or not). */
export class RegistryRepository {
  /** Every version of `subject`, soft-deleted ones included, oldest first. */
  async versionsOf(m: EntityManager, subject: string): Promise<StoredVersion[]> {
    const rows: VersionRow[] = await m.query(
      `SELECT ${VERSION_COLUMNS} FROM subject_versions v JOIN \`schemas\` s ON s.id = v.schema_id
       WHERE v.subject = ? ORDER BY v.version`,
      [subject],
    );
    return rows.map(toVersion);
  }

  async versionsOfSchema(m: EntityManager, schemaId: number): Promise<StoredVersion[]> {
    const rows: VersionRow[] = await m.query(
      `SELECT ${VERSION_COLUMNS} FROM subject_versions v JOIN \`schemas\` s ON s.id = v.schema_id
       WHERE v.schema_id = ? ORDER BY v.subject, v.version`,
      [schemaId],
    );
    return rows.map(toVersion);
  }

  /** Subjects held, those in `except` (the released ones) not counted. */
  async subjectCount(m: EntityManager, except: string[] = []): Promise<number> {
    const rows: Array<{ n: string | number }> = except.length
      ? await m.query('SELECT COUNT(DISTINCT subject) AS n FROM subject_versions WHERE subject NOT IN (?)', [except])
      : await m.query('SELECT COUNT(DISTINCT subject) AS n FROM subject_versions');
    return Number(rows[0]?.n ?? 0);
  }

  async subjects(m: EntityManager, includeDeleted: boolean, prefix = ''): Promise<string[]> {
    const rows: Array<{ subject: string }> = await m.query(
      `SELECT DISTINCT subject FROM subject_versions
       WHERE (? OR deleted = 0) AND LEFT(subject, ?) = ? ORDER BY subject`,
      [includeDeleted, prefix.length, prefix],
    );
    return rows.map((r) => r.subject);
  }

  async schemaById(m: EntityManager, id: number): Promise<StoredSchema | undefined> {
    const rows: Array<{ id: number; schema_type: string; schema_text: string; fingerprint: string }> = await m.query(
      'SELECT id, schema_type, schema_text, fingerprint FROM `schemas` WHERE id = ?',
      [id],
    );
    const r = rows[0];
    return r && { id: Number(r.id), schemaType: r.schema_type, schemaText: r.schema_text, fingerprint: r.fingerprint };
  }

  async schemaIdByFingerprint(m: EntityManager, fingerprint: string): Promise<number | undefined> {
    const rows: Array<{ id: number }> = await m.query('SELECT id FROM `schemas` WHERE fingerprint = ?', [fingerprint]);
    return rows[0] ? Number(rows[0].id) : undefined;
  }

  /**
   * Inserts a new schema, under `id` when given (a released schema's fixed id), otherwise under the next
   * id of the sequence; a concurrent insert of the same fingerprint or id fails with ER_DUP_ENTRY.
   */
  async insertSchema(m: EntityManager, s: { schemaText: string; canonicalText: string; fingerprint: string }, id?: number): Promise<number> {
    const result: { insertId: number } = await m.query(
      `INSERT INTO \`schemas\` (id, schema_type, schema_text, canonical_text, fingerprint, created_at)
       VALUES (?, 'AVRO', ?, ?, ?, UTC_TIMESTAMP(3))`,
      [id ?? null, s.schemaText, s.canonicalText, s.fingerprint],
    );
    return id ?? Number(result.insertId);
  }

  /**
   * Makes the sequence give ids from `first` on (InnoDB keeps it above the highest id held), so ids the
   * registry numbers itself never meet the released range below it.
   */
  async startSchemaIdsAt(m: EntityManager, first: number): Promise<void> {
    if (!Number.isSafeInteger(first) || first < 1) throw new Error(`invalid first schema id ${first}`);
    const rows: Array<{ next: number | string | null }> = await m.query(
      `SELECT AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schemas'`,
    );
    if (Number(rows[0]?.next ?? 0) >= first) return;
    await m.query(`ALTER TABLE \`schemas\` AUTO_INCREMENT = ${first}`);
  }

  /** Adds a version; a concurrent insert of the same (subject, version) fails with ER_DUP_ENTRY. */
  async insertVersion(m: EntityManager, subject: string, version: number, schemaId: number): Promise<void> {
    await m.query(
      `INSERT INTO subject_versions (subject, version, schema_id, deleted, created_at)
       VALUES (?, ?, ?, 0, UTC_TIMESTAMP(3))`,
      [subject, version, schemaId],
    );
  }

  async markDeleted(m: EntityManager, subject: string, versions: number[]): Promise<void> {
    if (versions.length === 0) return;
    await m.query('UPDATE subject_versions SET deleted = 1 WHERE subject = ? AND version IN (?)', [subject, versions]);
  }

  async deleteVersions(m: EntityManager, subject: string, versions: number[]): Promise<void> {
    if (versions.length === 0) return;
    await m.query('DELETE FROM subject_versions WHERE subject = ? AND version IN (?)', [subject, versions]);
  }

  async compatibility(m: EntityManager, subject: string = GLOBAL_CONFIG_SUBJECT): Promise<string | undefined> {
    const rows: Array<{ compatibility: string }> = await m.query('SELECT compatibility FROM subject_configs WHERE subject = ?', [subject]);
    return rows[0]?.compatibility;
  }

  async setCompatibility(m: EntityManager, subject: string, level: string): Promise<void> {
    await m.query(
      `INSERT INTO subject_configs (subject, compatibility, updated_at) VALUES (?, ?, UTC_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE compatibility = VALUES(compatibility), updated_at = VALUES(updated_at)`,
      [subject, level],
    );
  }

  async deleteCompatibility(m: EntityManager, subject: string): Promise<void> {
    await m.query('DELETE FROM subject_configs WHERE subject = ?', [subject]);
  }
}
