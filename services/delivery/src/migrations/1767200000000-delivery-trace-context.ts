import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery keeps the W3C trace context of the inbox message it was made from (null when tracing is off), so
 * that its webhook request, sent later by a worker, continues the trace of the event.
 */
export class DeliveryTraceContext1767200000000 implements MigrationInterface {
  name = 'DeliveryTraceContext1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE deliveries ADD COLUMN trace_parent VARCHAR(55) NULL, ADD COLUMN trace_state VARCHAR(512) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE deliveries DROP COLUMN trace_parent, DROP COLUMN trace_state');
  }
}
