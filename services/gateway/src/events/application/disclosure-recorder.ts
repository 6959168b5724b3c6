import type { EntityManager } from 'typeorm';
import { AuditLog, recordDisclosure } from '@tongban/audit';
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

  async record(
    manager: EntityManager,
    caller: Caller,
    request: EventRequest,
    eventId: string,
    copies: EventCopy[],
    options: { atCommit?: boolean } = {},
  ): Promise<void> {
    if (request.targetRegion === request.sourceRegion) return;
    const copy = copies.find((c) => c.role === 'addressee');
    if (!copy) return;
    await recordDisclosure(this.audit, manager, {
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
    }, options);
  }
}
