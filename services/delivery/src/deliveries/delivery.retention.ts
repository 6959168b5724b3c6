import type { PurgeRule } from '@tongban/persistence';

/**
 * Parked deliveries past retention (kind `deliveryBodies`): the webhook body (the minimised event) is
 * nulled; the row stays as the record of what was not delivered. A delivered body is dropped at once.
 */
export function parkedBodiesRule(keepMs: number): PurgeRule {
  return {
    kind: 'deliveryBodies',
    keepMs,
    async purge(ds, cutoff, batch) {
      const result = await ds.query(
        `UPDATE deliveries SET body = NULL WHERE state = 'parked' AND body IS NOT NULL AND COALESCE(parked_at, created_at) < ? LIMIT ${batch}`,
        [cutoff],
      );
      return Number(result.affectedRows ?? 0);
    },
  };
}
