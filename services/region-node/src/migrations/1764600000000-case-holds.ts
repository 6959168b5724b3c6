import { MigrationInterface, QueryRunner } from 'typeorm';
import { HELD_CASES_DDL, HELD_MESSAGES_DDL } from '@tongban/persistence';

/** Per-case holds of the inbox consumer: later events of a case wait here behind a failed one. */
export class CaseHolds1764600000000 implements MigrationInterface {
  name = 'CaseHolds1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(HELD_CASES_DDL);
    await q.query(HELD_MESSAGES_DDL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE held_messages');
    await q.query('DROP TABLE held_cases');
  }
}
