import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The persons a dead letter names, by the keyed hash of their ID numbers (the audit log's person key), so an
 * operator can find a person's letters without any ID number stored or indexed in the clear. Filled when a
 * letter is stored; a letter's rows go with it. `persons_indexed` marks the letters done: those stored before
 * (or decoded only later) are indexed by ops when it starts, since the hash needs the key SQL does not have.
 */
export class DeadLetterPersons1768100000000 implements MigrationInterface {
  name = 'DeadLetterPersons1768100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE dead_letter_persons (
      person_hash CHAR(64) NOT NULL,
      dead_letter_id BIGINT NOT NULL,
      PRIMARY KEY (person_hash, dead_letter_id),
      KEY idx_dead_letter_persons_letter (dead_letter_id),
      CONSTRAINT fk_dead_letter_persons_letter FOREIGN KEY (dead_letter_id) REFERENCES dead_letters (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii`);
    await q.query('CREATE INDEX idx_dead_letters_correlation ON dead_letters (correlation_id)');
    await q.query(
      'ALTER TABLE dead_letters ADD COLUMN persons_indexed TINYINT(1) NOT NULL DEFAULT 0, ADD KEY idx_dead_letters_persons_indexed (persons_indexed, id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters DROP KEY idx_dead_letters_persons_indexed, DROP COLUMN persons_indexed');
    await q.query('DROP INDEX idx_dead_letters_correlation ON dead_letters');
    await q.query('DROP TABLE dead_letter_persons');
  }
}
