import { MigrationInterface, QueryRunner } from 'typeorm';

/** A case past retention keeps its skeleton: the payload columns may then be null. */
export class CaseRetention1766000000000 implements MigrationInterface {
  name = 'CaseRetention1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE cases MODIFY data LONGTEXT NULL');
    await q.query('ALTER TABLE case_events MODIFY payload LONGTEXT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("UPDATE cases SET data = '{}' WHERE data IS NULL");
    await q.query("UPDATE case_events SET payload = 'null' WHERE payload IS NULL");
    await q.query('ALTER TABLE cases MODIFY data LONGTEXT NOT NULL');
    await q.query('ALTER TABLE case_events MODIFY payload LONGTEXT NOT NULL');
  }
}
