import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a node remembers of a person beyond its cases, keyed by the person-index hash: deaths it registered or
 * was told of (no new application, request or check for the deceased; one funeral case per death), and the
 * marital records it holds as a hukou region (status and spouse, so that a death reaching it widows the spouse);
 * and the office each event of a case's history was addressed to.
 */
export class PersonFacts1764900000000 implements MigrationInterface {
  name = 'PersonFacts1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE known_deaths (
      person_hash CHAR(64) NOT NULL,
      death_date DATE NOT NULL,
      source_case_id VARCHAR(100) NOT NULL,
      noted_at DATETIME(3) NOT NULL,
      PRIMARY KEY (person_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE marital_records (
      person_hash CHAR(64) NOT NULL,
      status VARCHAR(20) NOT NULL,
      spouse JSON NULL,
      case_id VARCHAR(100) NOT NULL,
      record_division CHAR(6) NOT NULL,
      effective_on DATE NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (person_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    // The office an event was addressed to (answers to CQ-HTZ), beside the source office already kept.
    await q.query('ALTER TABLE case_events ADD COLUMN target_office VARCHAR(32) NULL AFTER source_office');
    // Who the spouse is (a PersonRef), so that a later economic check can name the household it should ask about.
    await q.query('ALTER TABLE household_links ADD COLUMN spouse JSON NULL AFTER spouse_hash');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE household_links DROP COLUMN spouse');
    await q.query('ALTER TABLE case_events DROP COLUMN target_office');
    await q.query('DROP TABLE marital_records');
    await q.query('DROP TABLE known_deaths');
  }
}
