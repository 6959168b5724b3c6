import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dead letter written twice to its topic (a producer that resent it after losing the broker's answer) is one
 * letter: `copy_hash` digests what makes the copy (topic, key, value, headers) and is unique. A letter stored before
 * has none; a new failure of the same message carries other failure times, so it is a letter of its own.
 */
export class DeadLetterCopies1768200000000 implements MigrationInterface {
  name = 'DeadLetterCopies1768200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters ADD COLUMN copy_hash CHAR(64) CHARACTER SET ascii NULL, ADD UNIQUE KEY uq_dead_letters_copy (copy_hash)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters DROP KEY uq_dead_letters_copy, DROP COLUMN copy_hash');
  }
}
