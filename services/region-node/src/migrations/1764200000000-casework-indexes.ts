import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Person index (keyed hashes of ID numbers, never the numbers), open deadlines per case with the node
 * that runs them, and the household links that marriages and divorces change.
 */
export class CaseworkIndexes1764200000000 implements MigrationInterface {
  name = 'CaseworkIndexes1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE case_persons (
      person_hash CHAR(64) NOT NULL,
      case_id VARCHAR(100) NOT NULL,
      PRIMARY KEY (person_hash, case_id),
      KEY idx_case_persons_case (case_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE case_timers (
      case_id VARCHAR(100) NOT NULL,
      name VARCHAR(100) NOT NULL,
      started_at DATETIME(3) NOT NULL,
      due_at DATETIME(3) NOT NULL,
      owner_division CHAR(6) NOT NULL,
      must_act_division CHAR(6) NOT NULL,
      escalate_to VARCHAR(200) NOT NULL,
      PRIMARY KEY (case_id, name),
      KEY idx_case_timers_due (due_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE household_links (
      person_hash CHAR(64) NOT NULL,
      spouse_hash CHAR(64) NOT NULL,
      since DATE NOT NULL,
      until DATE NULL,
      case_id VARCHAR(100) NOT NULL,
      PRIMARY KEY (person_hash, spouse_hash, since)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE household_links');
    await q.query('DROP TABLE case_timers');
    await q.query('DROP TABLE case_persons');
  }
}
