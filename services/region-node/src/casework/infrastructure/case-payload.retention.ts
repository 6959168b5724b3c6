import type { PurgeRule } from '@tongban/persistence';

/**
 * Case payloads past retention (kind `casePayloads`): a case untouched for `keepMs` and with no open
 * deadline keeps its skeleton — ids, workflow, state, regions, dates, its history's event ids, types,
 * outcomes and times — while the personal data in `cases.data` and every `case_events.payload` is nulled.
 */
export function casePayloadsRule(keepMs: number): PurgeRule {
  return {
    kind: 'casePayloads',
    keepMs,
    async purge(ds, cutoff, batch) {
      const rows: Array<{ case_id: string }> = await ds.query(
        `SELECT c.case_id FROM cases c
          WHERE c.updated_at < ? AND c.data IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM case_timers t WHERE t.case_id = c.case_id)
          LIMIT ${batch}`,
        [cutoff],
      );
      if (rows.length === 0) return 0;
      let purged = 0;
      await ds.transaction(async (m) => {
        // Checked again under the row locks: a case that took an event since the select stays whole.
        const locked: Array<{ case_id: string }> = await m.query('SELECT case_id FROM cases WHERE case_id IN (?) AND updated_at < ? FOR UPDATE', [
          rows.map((r) => r.case_id),
          cutoff,
        ]);
        const ids = locked.map((r) => r.case_id);
        purged = ids.length;
        if (ids.length === 0) return;
        await m.query('UPDATE case_events SET payload = NULL WHERE case_id IN (?)', [ids]);
        await m.query('UPDATE cases SET data = NULL WHERE case_id IN (?)', [ids]);
      });
      return purged;
    },
  };
}
