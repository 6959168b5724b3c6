import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_DDL } from '@tongban/persistence';

export class GatewaySchema1764000000000 implements MigrationInterface {
  name = 'GatewaySchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_DDL);
    await q.query(`CREATE TABLE idempotency_keys (
      key_id VARCHAR(64) NOT NULL,
      idempotency_key VARCHAR(200) NOT NULL,
      request_hash CHAR(64) NOT NULL,
      event_id CHAR(36) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (key_id, idempotency_key),
      KEY idx_idempotency_created (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE accepted_events (
      event_id CHAR(36) NOT NULL,
      event_type VARCHAR(100) NOT NULL,
      case_id VARCHAR(100) NOT NULL,
      source_region CHAR(6) NOT NULL,
      target_region CHAR(6) NOT NULL,
      key_id VARCHAR(64) NOT NULL,
      correlation_id VARCHAR(100) NOT NULL,
      accepted_at DATETIME(3) NOT NULL,
      PRIMARY KEY (event_id),
      KEY idx_accepted_case (case_id),
      KEY idx_accepted_at (accepted_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE accepted_events');
    await q.query('DROP TABLE idempotency_keys');
    await q.query('DROP TABLE outbox_events');
  }
}
