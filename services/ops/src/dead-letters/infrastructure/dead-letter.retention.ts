import type { PurgeRule } from '@tongban/persistence';

/**
 * Resolved dead letters past retention (kind `deadLetters`): replayed or discarded longer than `keepMs`
 * ago, they keep their skeleton — where they failed, why, who resolved them and when — and lose the
 * event's bytes, its decoded payload, the corrected copy and the headers. Parked letters are kept.
 */
export function resolvedDeadLettersRule(keepMs: number): PurgeRule {
  return {
    kind: 'deadLetters',
    keepMs,
    async purge(ds, cutoff, batch) {
      const result = await ds.query(
        `UPDATE dead_letters SET raw_value = NULL, decoded = NULL, edited_value = NULL, edited_decoded = NULL, headers = '{}'
          WHERE state IN ('replayed', 'discarded') AND resolved_at < ?
            AND (raw_value IS NOT NULL OR decoded IS NOT NULL OR edited_value IS NOT NULL OR edited_decoded IS NOT NULL OR headers <> '{}')
          LIMIT ${batch}`,
        [cutoff],
      );
      return Number(result.affectedRows ?? 0);
    },
  };
}
