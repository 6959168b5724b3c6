import type { Problem } from '@tongban/errors';
import { changedPaths, flatten } from './json-diff';

type Json = Record<string, unknown>;

/**
 * What an operator's correction may change: payload fields only. The envelope (event id, type, case,
 * regions, times, producer) is the publisher's and stays as the dead letter carries it, so a correction
 * can never move an event to another case, region or type. An absent envelope means "keep it".
 */
export function envelopeProblems(original: Json, edited: Json, eventType: string, declaredType?: string): Problem[] {
  const problems: Problem[] = [];
  if (declaredType !== undefined && declaredType !== eventType) {
    problems.push({ path: 'eventType', problem: `must stay ${eventType}: a correction keeps the dead letter's event type` });
  }
  if (edited.envelope === undefined) return problems;
  // A field left out of the edited envelope is kept as it was (the replay uses the dead letter's envelope):
  // an editor written against an older envelope, without a field added since, changes nothing.
  const given = flatten(edited.envelope);
  for (const path of changedPaths(original.envelope ?? {}, edited.envelope).filter((p) => given.has(p))) {
    problems.push({ path: `envelope.${path}`, problem: 'must stay as in the dead letter: only payload fields may be corrected' });
  }
  return problems;
}

/** The corrected record to publish: the dead letter's own envelope and the edited payload. */
export function correctedRecord(original: Json, edited: Json): Json {
  const { envelope: _ignored, ...payload } = edited;
  return { envelope: original.envelope, ...payload };
}
