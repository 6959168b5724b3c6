import type { EntityManager } from 'typeorm';
import { AuditLog, DisclosureInput, recordDisclosureGroup } from '@tongban/audit';
import type { Caller } from '@tongban/auth';
import type { EventCopy } from '@tongban/kafka';
import type { Minimiser } from '@tongban/masking';
import type { EventRequest } from '../domain/event-request';

export { DISCLOSURE_ACTION } from '@tongban/audit';

/**
 * Records, in the hash-chained audit log and in the same transaction as the outbox rows, which personal
 * fields of which person an event discloses to another region (PIPL: who disclosed what of whom to whom,
 * when, for which case). Persons are stored as keyed hashes only; a data-subject request finds them
 * again by ID number.
 */
export class DisclosureRecorder {
  constructor(
    readonly audit: AuditLog,
    private readonly minimiser: Minimiser,
  ) {}

  /** The disclosure an accepted event makes, or undefined when it stays in its region or names no addressee. */
  disclosureOf(caller: Caller, request: EventRequest, eventId: string, copies: EventCopy[]): DisclosureInput | undefined {
    if (request.targetRegion === request.sourceRegion) return undefined;
    const copy = copies.find((c) => c.role === 'addressee');
    if (!copy) return undefined;
    return {
      actor: `municipal:${caller.office?.id ?? caller.division}:${caller.keyId}`,
      eventType: request.eventType,
      eventId,
      caseId: request.caseId,
      fromRegion: request.sourceRegion,
      toRegion: request.targetRegion,
      channel: 'inbox',
      toNode: copy.node,
      recipientRole: copy.role,
      withheld: copy.withheld,
      persons: this.minimiser.personalData(request.eventType, copy.payload),
    };
  }

  /**
   * Records the disclosures of the events one transaction accepts (a group commit's group, a batch upload) as
   * ONE group of records under one chain entry, appended at the transaction's commit: the chain's head is locked
   * once per group, not once per event, and only for the commit.
   */
  async recordGroup(manager: EntityManager, accepted: Array<{ caller: Caller; request: EventRequest; eventId: string; copies: EventCopy[] }>): Promise<void> {
    const inputs = accepted.flatMap((a) => this.disclosureOf(a.caller, a.request, a.eventId, a.copies) ?? []);
    await recordDisclosureGroup(this.audit, manager, inputs, { atCommit: true, actor: 'gateway' });
  }
}
