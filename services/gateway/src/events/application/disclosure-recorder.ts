import type { EntityManager } from 'typeorm';
import { AuditLog } from '@tongban/audit';
import type { Caller } from '@tongban/auth';
import type { Minimiser } from '@tongban/masking';
import type { EventRequest } from '../domain/event-request';
import type { EventCopy } from './accept-event.service';

export const DISCLOSURE_ACTION = 'personal-data-disclosed';

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

  async record(manager: EntityManager, caller: Caller, request: EventRequest, eventId: string, copies: EventCopy[]): Promise<void> {
    if (request.targetRegion === request.sourceRegion) return;
    const copy = copies.find((c) => c.role === 'addressee');
    if (!copy) return;
    const persons = this.minimiser.personalData(request.eventType, copy.payload);
    if (persons.length === 0) return;
    const fields: Record<string, string[]> = {};
    for (const p of persons) fields[p.idNumber ? this.audit.personRef(p.idNumber) : 'unidentified'] = p.fields;
    await this.audit.append(manager, {
      actor: `municipal:${caller.office?.id ?? caller.division}:${caller.keyId}`,
      actorKind: 'service',
      action: DISCLOSURE_ACTION,
      subject: {
        messages: [eventId],
        cases: [request.caseId],
        persons: persons.flatMap((p) => (p.idNumber ? [p.idNumber] : [])),
        regions: [request.targetRegion],
      },
      details: {
        eventType: request.eventType,
        fromRegion: request.sourceRegion,
        toRegion: request.targetRegion,
        toNode: copy.node,
        recipientRole: copy.role,
        withheld: copy.withheld,
        fieldsByPerson: fields,
      },
    });
  }
}
