import { MigrationInterface, QueryRunner } from 'typeorm';
import { APPLIED_EVENTS_DDL, OUTBOX_DDL } from '@tongban/persistence';

export class NodeSchema1764000000000 implements MigrationInterface {
  name = 'NodeSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(APPLIED_EVENTS_DDL);
    await q.query(OUTBOX_DDL);
    await q.query(`CREATE TABLE cases (
      case_id VARCHAR(100) NOT NULL,
      workflow VARCHAR(40) NOT NULL,
      state VARCHAR(60) NOT NULL,
      accepting_region CHAR(6) NOT NULL,
      responsible_region CHAR(6) NOT NULL,
      accepting_office VARCHAR(40) NULL,
      version INT NOT NULL,
      last_event_id CHAR(36) NOT NULL,
      data LONGTEXT NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (case_id),
      KEY idx_cases_workflow_state (workflow, state),
      KEY idx_cases_accepting (accepting_region),
      KEY idx_cases_responsible (responsible_region)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE case_events (
      event_id CHAR(36) NOT NULL,
      case_id VARCHAR(100) NOT NULL,
      seq INT NOT NULL,
      event_type VARCHAR(100) NOT NULL,
      source_region CHAR(6) NOT NULL,
      target_region CHAR(6) NOT NULL,
      source_office VARCHAR(40) NULL,
      occurred_at DATETIME(3) NOT NULL,
      received_at DATETIME(3) NOT NULL,
      correlation_id VARCHAR(100) NOT NULL,
      schema_id INT NOT NULL,
      outcome VARCHAR(20) NOT NULL,
      outcome_reason TEXT NULL,
      state_after VARCHAR(60) NOT NULL,
      payload LONGTEXT NOT NULL,
      kafka_topic VARCHAR(249) NOT NULL,
      kafka_partition INT NOT NULL,
      kafka_offset BIGINT NOT NULL,
      PRIMARY KEY (event_id),
      UNIQUE KEY uq_case_events_seq (case_id, seq)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE case_events');
    await q.query('DROP TABLE cases');
    await q.query('DROP TABLE outbox_events');
    await q.query('DROP TABLE applied_events');
  }
}
