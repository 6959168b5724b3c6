import { MigrationInterface, QueryRunner } from 'typeorm';

export class DeliverySchema1765100000000 implements MigrationInterface {
  name = 'DeliverySchema1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE subscriptions (
      subscription_id CHAR(36) NOT NULL,
      key_id VARCHAR(32) NOT NULL,
      system_name VARCHAR(200) NOT NULL,
      region CHAR(6) NOT NULL,
      url VARCHAR(2000) NOT NULL,
      event_types TEXT NOT NULL,
      secret_enc VARCHAR(500) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      deleted_at DATETIME(3) NULL,
      PRIMARY KEY (subscription_id),
      KEY idx_subscriptions_system (system_name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE deliveries (
      delivery_id BIGINT NOT NULL AUTO_INCREMENT,
      subscription_id CHAR(36) NOT NULL,
      event_id CHAR(36) NOT NULL,
      event_type VARCHAR(100) NOT NULL,
      case_id VARCHAR(100) NOT NULL,
      target_region CHAR(6) NOT NULL,
      state VARCHAR(16) NOT NULL,
      body MEDIUMTEXT NULL,
      generation INT NOT NULL DEFAULT 0,
      attempts INT NOT NULL DEFAULT 0,
      last_status INT NULL,
      last_error VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL,
      first_attempt_at DATETIME(3) NULL,
      last_attempt_at DATETIME(3) NULL,
      delivered_at DATETIME(3) NULL,
      parked_at DATETIME(3) NULL,
      PRIMARY KEY (delivery_id),
      UNIQUE KEY uq_delivery_event (subscription_id, event_id),
      KEY idx_delivery_case (subscription_id, case_id, delivery_id),
      KEY idx_delivery_state (state, delivery_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE deliveries');
    await q.query('DROP TABLE subscriptions');
  }
}
