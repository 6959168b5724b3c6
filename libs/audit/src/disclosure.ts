import { DataSource, EntityManager } from 'typeorm';
import type { AuditEntry, AuditInput, AuditLog } from './audit-log';

/** The action of an entry that records personal data leaving its holder. */
export const DISCLOSURE_ACTION = 'personal-data-disclosed';
/** The chain every service keeps its disclosures in, in its own database. */
export const DISCLOSURE_CHAIN = 'disclosures';

/** The action a region node records each new person index row under (case id and the row's hashes). */
export const PERSON_INDEXED_ACTION = 'person-indexed';

/** Personal fields of one person in what was disclosed (`idNumber` null when the record names nobody). */
export interface PersonalFields {
  idNumber: string | null;
  fields: string[];
}

/**
 * One disclosure of personal data: an event or webhook that carries someone's data to another party,
 * or a case read through the gateway that answers with it.
 */
export interface DisclosureInput {
  /**
   * Who disclosed: `municipal:<division>:<key id>`, `region-node:<node>`, `operator:<name>`, `delivery`;
   * for a read, who read, as the gateway named it (`gateway:<key id>`).
   */
  actor: string;
  actorKind?: 'operator' | 'service';
  /** The event type disclosed; `case-read` for a read (its fields then name the event types they came from). */
  eventType: string;
  /** The event disclosed; none for a read. */
  eventId?: string;
  caseId: string;
  fromRegion: string;
  toRegion: string;
  /**
   * How it left: a node's inbox topic, a partner webhook, an operator's replay, or a read of the case
   * through the gateway (`read`: the node that answered records it).
   */
  channel: 'inbox' | 'webhook' | 'replay' | 'read';
  /** In what capacity the recipient got it: `addressee`, `webhook`, …; for a read, the view it got (`full`, `participant`). */
  recipientRole: string;
  toNode?: string;
  /** A webhook's subscription, a reader's division (and office), or another reference of the recipient. */
  recipient?: string;
  withheld?: string[];
  persons: PersonalFields[];
}

/**
 * Records a disclosure in the caller's transaction, so the record commits with the outbox row or
 * delivery it describes. Returns nothing when the record carries no personal data.
 */
export async function recordDisclosure(
  audit: AuditLog,
  target: EntityManager | DataSource,
  input: DisclosureInput,
  options: { atCommit?: boolean } = {},
): Promise<AuditEntry | undefined> {
  if (input.persons.length === 0) return undefined;
  if (options.atCommit && !(target instanceof DataSource)) {
    await audit.appendAtCommit(target, entryOf(audit, input));
    return undefined;
  }
  return audit.append(target, entryOf(audit, input));
}

/**
 * Records the disclosures of one committed group (a group commit's transaction, a batch upload) as a group of
 * records under ONE chain entry, in the caller's transaction (at its commit with `atCommit`): each record keeps
 * its own leaf hash and is found by person like any entry. Inputs without personal data are left out; nothing
 * is written when none is left. `actor` names the writer of the group's entry.
 */
export async function recordDisclosureGroup(
  audit: AuditLog,
  target: EntityManager | DataSource,
  inputs: DisclosureInput[],
  options: { atCommit?: boolean; actor?: string } = {},
): Promise<void> {
  const entries = inputs.filter((i) => i.persons.length > 0).map((i) => entryOf(audit, i));
  if (entries.length === 0) return;
  if (options.atCommit && !(target instanceof DataSource)) await audit.appendGroupAtCommit(target, entries, options.actor);
  else await audit.appendGroup(target, entries, options.actor);
}

function entryOf(audit: AuditLog, input: DisclosureInput): AuditInput {
  const fieldsByPerson: Record<string, string[]> = {};
  for (const p of input.persons) fieldsByPerson[p.idNumber ? audit.personRef(p.idNumber) : 'unidentified'] = p.fields;
  return {
    actor: input.actor,
    actorKind: input.actorKind ?? 'service',
    action: DISCLOSURE_ACTION,
    subject: {
      messages: input.eventId ? [input.eventId] : [],
      cases: [input.caseId],
      persons: input.persons.flatMap((p) => (p.idNumber ? [p.idNumber] : [])),
      regions: [input.toRegion],
    },
    details: {
      eventType: input.eventType,
      fromRegion: input.fromRegion,
      toRegion: input.toRegion,
      channel: input.channel,
      toNode: input.toNode,
      recipient: input.recipient,
      recipientRole: input.recipientRole,
      withheld: input.withheld ?? [],
      fieldsByPerson,
    },
  };
}
