import type { PurgeRule } from '../retention';

/**
 * Held messages carry whole events: once applied or discarded they are deleted after `keepMs`, with the
 * closed holds (and the blocker's bytes they kept). Messages still waiting are never touched.
 */
export function heldMessagesRule(keepMs: number): PurgeRule {
  return {
    kind: 'heldMessages',
    keepMs,
    async purge(ds, cutoff, batch) {
      const messages = await ds.query(`DELETE FROM held_messages WHERE status IN ('applied', 'discarded') AND COALESCE(done_at, held_at) < ? LIMIT ${batch}`, [
        cutoff,
      ]);
      const holds = await ds.query(`DELETE FROM held_cases WHERE status = 'closed' AND COALESCE(closed_at, updated_at) < ? LIMIT ${batch}`, [cutoff]);
      return Number(messages.affectedRows ?? 0) + Number(holds.affectedRows ?? 0);
    },
  };
}
