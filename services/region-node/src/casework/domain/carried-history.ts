import { invalid, text, toInstant } from './values';

/**
 * A case handed over to another region moves with its history: the hand-over carries the entries the region
 * handing over kept (`priorHistory` of `SubsidyCaseHandedOver`), and the new region's node keeps them, marked as
 * carried over, before the hand-over itself. Only what happened and how it ended travels, never an event's
 * payload: the personal data in those payloads stays with the nodes that received them (data minimisation).
 */
export interface CarriedHistoryEntry {
  eventId: string;
  eventType: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: Date;
  outcome: string;
  stateAfter: string;
}

/** The topic recorded for carried-over entries: they were not consumed from Kafka by this node. */
export const CARRIED_OVER_TOPIC = 'carried-over';
/** More entries than a review ever has: a longer list is refused rather than stored. */
export const MAX_CARRIED_ENTRIES = 500;
const OUTCOMES = new Set(['applied', 'rejected', 'noted']);
const DIVISION = /^\d{6}$/;

/** Reads and checks `priorHistory` (missing or empty: nothing to carry). Throws a PAYLOAD_INVALID refusal. */
export function carriedHistoryOf(payload: Record<string, unknown>): CarriedHistoryEntry[] {
  const raw = payload.priorHistory;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid('priorHistory', 'must be a list');
  if (raw.length > MAX_CARRIED_ENTRIES) throw invalid('priorHistory', `at most ${MAX_CARRIED_ENTRIES} entries`);
  const seen = new Set<string>();
  return raw.map((value, i) => {
    const path = `priorHistory[${i}]`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be an object');
    const e = value as Record<string, unknown>;
    const entry: CarriedHistoryEntry = {
      eventId: text(e, 'eventId', `${path}.eventId`),
      eventType: text(e, 'eventType', `${path}.eventType`),
      sourceRegion: text(e, 'sourceRegion', `${path}.sourceRegion`),
      targetRegion: text(e, 'targetRegion', `${path}.targetRegion`),
      occurredAt: toInstant(e.occurredAt, `${path}.occurredAt`),
      outcome: text(e, 'outcome', `${path}.outcome`),
      stateAfter: text(e, 'stateAfter', `${path}.stateAfter`),
    };
    if (entry.eventId.length > 36) throw invalid(`${path}.eventId`, 'at most 36 characters');
    if (entry.eventType.length > 100) throw invalid(`${path}.eventType`, 'at most 100 characters');
    if (entry.stateAfter.length > 60) throw invalid(`${path}.stateAfter`, 'at most 60 characters');
    if (!DIVISION.test(entry.sourceRegion) || !DIVISION.test(entry.targetRegion)) throw invalid(path, 'regions must be division codes');
    if (!OUTCOMES.has(entry.outcome)) throw invalid(`${path}.outcome`, 'must be applied, rejected or noted');
    if (seen.has(entry.eventId)) throw invalid(`${path}.eventId`, 'appears twice');
    seen.add(entry.eventId);
    return entry;
  });
}

/**
 * The entries a node still has to write for the case: those it does not keep already (the node that held the
 * case, or a redelivered hand-over, adds nothing), oldest first.
 */
export function entriesToCarry(entries: readonly CarriedHistoryEntry[], keptEventIds: Iterable<string>): CarriedHistoryEntry[] {
  const kept = new Set(keptEventIds);
  return entries.filter((e) => !kept.has(e.eventId)).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
}

/** What a history row of the handing-over node becomes in `priorHistory` (payload left behind). */
export function toCarriedEntry(row: {
  eventId: string;
  eventType: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: Date | string;
  outcome: string;
  stateAfter: string;
}): CarriedHistoryEntry {
  return {
    eventId: row.eventId,
    eventType: row.eventType,
    sourceRegion: row.sourceRegion,
    targetRegion: row.targetRegion,
    occurredAt: new Date(row.occurredAt),
    outcome: row.outcome,
    stateAfter: row.stateAfter,
  };
}
