import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The receipts of events crossing to the other province (see services/ops/src/transit).
 * - `transit_receipts`: what the other province did with events this province's gateway accepted for it, one
 *   row per event, written only by the witness consumer; a receipt repeated by MirrorMaker 2 is the same row.
 * - `transit_receipt_cursors`: how far this province has sent receipts of what it received, per source.
 */
export class TransitReceipts1767100000000 implements MigrationInterface {
  name = 'TransitReceipts1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE transit_receipts (
      event_id CHAR(36) NOT NULL,
      province CHAR(6) NOT NULL,
      node CHAR(6) NOT NULL,
      case_id VARCHAR(100) NOT NULL,
      outcome VARCHAR(10) NOT NULL,
      outcome_at DATETIME(3) NOT NULL,
      received_at DATETIME(3) NOT NULL,
      PRIMARY KEY (event_id),
      KEY idx_transit_receipts_case (case_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE transit_receipt_cursors (
      source VARCHAR(64) NOT NULL,
      watermark DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (source)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS transit_receipt_cursors');
    await q.query('DROP TABLE IF EXISTS transit_receipts');
  }
}
