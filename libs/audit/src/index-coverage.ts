/** A row of an index the chain covers, e.g. a person index row: `person hash` and `case id`. */
export type IndexRow = readonly [string, string];

export interface IndexCoverage {
  ok: boolean;
  /** Rows the chain recorded that are no longer in the table: deleted behind the chain's back. */
  missing: IndexRow[];
  /** Rows in the table that no chain entry recorded: slipped in behind the chain's back. */
  unrecorded: IndexRow[];
}

/** Compares the rows an index holds with the rows its audit entries recorded. */
export function compareIndex(recorded: Iterable<IndexRow>, present: Iterable<IndexRow>): IndexCoverage {
  const key = (r: IndexRow) => `${r[0]}\u0000${r[1]}`;
  const rec = new Map<string, IndexRow>();
  for (const r of recorded) rec.set(key(r), r);
  const pre = new Map<string, IndexRow>();
  for (const r of present) pre.set(key(r), r);
  const missing = [...rec.entries()].filter(([k]) => !pre.has(k)).map(([, r]) => r);
  const unrecorded = [...pre.entries()].filter(([k]) => !rec.has(k)).map(([, r]) => r);
  return { ok: missing.length === 0 && unrecorded.length === 0, missing, unrecorded };
}
