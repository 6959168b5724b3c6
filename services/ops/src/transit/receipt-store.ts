import type { DataSource } from 'typeorm';
import type { TransitOutcome, TransitReceipt } from '@tongban/avro';

/** A receipt as the owner keeps it (the answer of `POST /internal/transit/receipts`). */
export interface StoredReceipt {
  eventId: string;
  /** The receiving province. */
  province: string;
  node: string;
  caseId: string;
  outcome: TransitOutcome;
  /** When the receiving province recorded the outcome. */
  at: string;
  /** When this province first received a receipt of the event. */
  receivedAt: string;
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(`${v}Z`)).toISOString();

/**
 * Both tables of migration TransitReceipts1767100000000. A receipt names its event, so storing one twice
 * changes nothing; an outcome (APPLIED, REJECTED) replaces ARRIVED (the dead letter was replayed and
 * applied), never the other way round, whatever order the receipts come in.
 */
export class ReceiptStore {
  constructor(private readonly dataSource: Pick<DataSource, 'query'>) {}

  async receive(province: string, receipts: readonly TransitReceipt[], now = new Date()): Promise<void> {
    if (receipts.length === 0) return;
    const rows = receipts.map((r) => [r.eventId.toLowerCase(), province, r.node, r.caseId, r.outcome, new Date(r.at), now]);
    // outcome_at and node first: they read the row's outcome before it is replaced.
    await this.dataSource.query(
      `INSERT INTO transit_receipts (event_id, province, node, case_id, outcome, outcome_at, received_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE
         outcome_at = IF(VALUES(outcome) = 'ARRIVED' AND outcome <> 'ARRIVED', outcome_at, VALUES(outcome_at)),
         node = IF(VALUES(outcome) = 'ARRIVED' AND outcome <> 'ARRIVED', node, VALUES(node)),
         outcome = IF(VALUES(outcome) = 'ARRIVED' AND outcome <> 'ARRIVED', outcome, VALUES(outcome))`,
      rows.flat(),
    );
  }

  async find(eventIds: readonly string[]): Promise<StoredReceipt[]> {
    if (eventIds.length === 0) return [];
    const rows: Array<Record<string, string & Date>> = await this.dataSource.query(
      `SELECT event_id, province, node, case_id, outcome, outcome_at, received_at FROM transit_receipts WHERE event_id IN (${eventIds.map(() => '?').join(', ')})`,
      eventIds.map((id) => id.toLowerCase()),
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      province: r.province,
      node: r.node,
      caseId: r.case_id,
      outcome: r.outcome as TransitOutcome,
      at: iso(r.outcome_at),
      receivedAt: iso(r.received_at),
    }));
  }

  /** The watermark stored for a source of outcomes (ms since the epoch), 0 if none. */
  async watermark(source: string): Promise<number> {
    const [row] = await this.dataSource.query('SELECT watermark FROM transit_receipt_cursors WHERE source = ?', [source]);
    return row ? Date.parse(iso(row.watermark)) : 0;
  }

  async advance(source: string, watermark: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO transit_receipt_cursors (source, watermark, updated_at) VALUES (?, ?, UTC_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE watermark = GREATEST(watermark, VALUES(watermark)), updated_at = VALUES(updated_at)`,
      [source, new Date(watermark)],
    );
  }
}
