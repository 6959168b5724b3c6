import { MigrationInterface, QueryRunner } from 'typeorm';

/** `GET /internal/arrivals` reads the history in the order it was recorded. */
export class ArrivalsIndex1767100000000 implements MigrationInterface {
  name = 'ArrivalsIndex1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX idx_case_events_received ON case_events (received_at, event_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_case_events_received ON case_events');
  }
}
