import { MigrationInterface, QueryRunner } from 'typeorm';
import { createAuditTables } from '@tongban/audit';

export class OpsSchema1764300000000 implements MigrationInterface {
  name = 'OpsSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await createAuditTables(q);
    // One row per message of a dead-letter topic; (dlq_topic, dlq_partition, dlq_offset) makes a redelivery harmless.
    await q.query(`CREATE TABLE dead_letters (
      id BIGINT NOT NULL AUTO_INCREMENT,
      dlq_topic VARCHAR(249) NOT NULL,
      dlq_partition INT NOT NULL,
      dlq_offset BIGINT NOT NULL,
      region CHAR(6) NULL,
      original_topic VARCHAR(249) NOT NULL,
      original_partition INT NULL,
      original_offset BIGINT NULL,
      message_key VARCHAR(200) NULL,
      event_id VARCHAR(64) NULL,
      event_type VARCHAR(100) NULL,
      workflow VARCHAR(40) NULL,
      case_id VARCHAR(100) NULL,
      correlation_id VARCHAR(100) NULL,
      source_region VARCHAR(12) NULL,
      target_region VARCHAR(12) NULL,
      error_class VARCHAR(100) NOT NULL,
      error_code VARCHAR(100) NOT NULL,
      error_message TEXT NOT NULL,
      attempts INT NOT NULL,
      consumer_group VARCHAR(200) NULL,
      first_failure_at DATETIME(3) NULL,
      last_failure_at DATETIME(3) NULL,
      parked_at DATETIME(3) NOT NULL,
      stored_at DATETIME(3) NOT NULL,
      replay_of VARCHAR(300) NULL,
      schema_id INT NULL,
      decoded LONGTEXT NULL,
      decode_error TEXT NULL,
      raw_value LONGBLOB NULL,
      headers LONGTEXT NOT NULL,
      state VARCHAR(20) NOT NULL,
      replay_count INT NOT NULL DEFAULT 0,
      last_replayed_at DATETIME(3) NULL,
      last_replayed_by VARCHAR(64) NULL,
      edited_value LONGBLOB NULL,
      edited_decoded LONGTEXT NULL,
      resolved_at DATETIME(3) NULL,
      resolved_by VARCHAR(64) NULL,
      resolution_note TEXT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_dead_letters_position (dlq_topic, dlq_partition, dlq_offset),
      KEY idx_dead_letters_state (state, parked_at),
      KEY idx_dead_letters_region (region, parked_at),
      KEY idx_dead_letters_topic (original_topic, parked_at),
      KEY idx_dead_letters_workflow (workflow, parked_at),
      KEY idx_dead_letters_event_type (event_type, parked_at),
      KEY idx_dead_letters_error (error_code, parked_at),
      KEY idx_dead_letters_error_class (error_class, parked_at),
      KEY idx_dead_letters_case (case_id),
      KEY idx_dead_letters_event (event_id),
      KEY idx_dead_letters_replay_of (replay_of),
      KEY idx_dead_letters_original (original_topic, original_partition, original_offset),
      KEY idx_dead_letters_parked (parked_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE replay_jobs (
      id CHAR(36) NOT NULL,
      created_by VARCHAR(64) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      finished_at DATETIME(3) NULL,
      state VARCHAR(20) NOT NULL,
      filter LONGTEXT NOT NULL,
      rate_per_second INT NOT NULL,
      total INT NOT NULL,
      published INT NOT NULL DEFAULT 0,
      error TEXT NULL,
      PRIMARY KEY (id),
      KEY idx_replay_jobs_created (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE replay_job_items (
      job_id CHAR(36) NOT NULL,
      dead_letter_id BIGINT NOT NULL,
      replay_ref VARCHAR(300) NULL,
      already_applied VARCHAR(10) NULL,
      outcome VARCHAR(20) NOT NULL,
      detail TEXT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (job_id, dead_letter_id),
      KEY idx_replay_job_items_outcome (job_id, outcome)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE replay_job_items');
    await q.query('DROP TABLE replay_jobs');
    await q.query('DROP TABLE dead_letters');
  }
}
