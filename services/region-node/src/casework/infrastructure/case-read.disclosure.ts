import type { PersonalFields } from '@tongban/audit';
import type { Minimiser } from '@tongban/masking';

/** An event of a case as a read answers with it: its type and its stored payload. */
export interface ReadEvent {
  eventType: string;
  /** Null once the retention purge emptied it. */
  payload: Record<string, unknown> | null;
}

/**
 * The personal data a read of a case hands out, per person: the same attribution as the node's
 * follow-up disclosures (the minimiser's `personalData`), over every event payload in the answer, with
 * each field named after the event type it came from (`SubsidyApplicationSubmitted.applicant.name`).
 * An event type the policy does not know still counts: its payload is recorded whole, unattributed.
 * Empty when the answer carries no personal field.
 */
export function personsInRead(minimiser: Pick<Minimiser, 'personalData'>, events: ReadEvent[]): PersonalFields[] {
  const byPerson = new Map<string | null, Set<string>>();
  const add = (idNumber: string | null, fields: string[]) => {
    const set = byPerson.get(idNumber) ?? new Set<string>();
    fields.forEach((f) => set.add(f));
    byPerson.set(idNumber, set);
  };
  for (const e of events) {
    // A payload purged after its retention discloses nothing.
    if (!e.payload) continue;
    let found;
    try {
      found = minimiser.personalData(e.eventType, e.payload);
    } catch {
      add(null, [`${e.eventType}.*`]);
      continue;
    }
    for (const p of found)
      add(
        p.idNumber,
        p.fields.map((f) => `${e.eventType}.${f}`),
      );
  }
  return [...byPerson.entries()].filter(([, f]) => f.size > 0).map(([idNumber, f]) => ({ idNumber, fields: [...f].sort() }));
}
