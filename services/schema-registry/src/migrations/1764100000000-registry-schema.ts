import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `schemas` is a reserved word in MySQL and MariaDB, hence the backquotes wherever it is named.
 * Subjects compare byte for byte (utf8mb4_bin): Confluent's subjects are case-sensitive.
 */
export class RegistrySchema1764100000000 implements MigrationInterface {
  name = 'RegistrySchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS \`schemas\` (
      id INT NOT NULL AUTO_INCREMENT,
      schema_type VARCHAR(16) NOT NULL,
      schema_text MEDIUMTEXT NOT NULL,
      canonical_text MEDIUMTEXT NOT NULL,
      fingerprint CHAR(64) CHARACTER SET ascii NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_schemas_fingerprint (fingerprint)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE IF NOT EXISTS subject_versions (
      id BIGINT NOT NULL AUTO_INCREMENT,
      subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      version INT NOT NULL,
      schema_id INT NOT NULL,
      deleted TINYINT(1) NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_subject_versions_subject_version (subject, version),
      KEY idx_subject_versions_schema (schema_id),
      CONSTRAINT fk_subject_versions_schema FOREIGN KEY (schema_id) REFERENCES \`schemas\` (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE IF NOT EXISTS subject_configs (
      subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      compatibility VARCHAR(32) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (subject)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS subject_configs');
    await q.query('DROP TABLE IF EXISTS subject_versions');
    await q.query('DROP TABLE IF EXISTS `schemas`');
  }
}
