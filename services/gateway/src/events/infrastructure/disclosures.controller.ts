import { Controller, Get, Headers, Inject, Query } from '@nestjs/common';
import { ValidationError } from '@tongban/errors';
import { normaliseIdNumber, parseIdNumber } from '@tongban/regions';
import { GATEWAY_AUTH, GatewayAuth } from '../../auth/gateway-auth';
import { DISCLOSURE_ACTION, DisclosureRecorder } from '../application/disclosure-recorder';

export const DISCLOSURES = Symbol('DISCLOSURES');

/** A data-subject request (PIPL art. 45): every cross-region disclosure of one person's data, by ID number. */
@Controller('v1/disclosures')
export class DisclosuresController {
  constructor(
    @Inject(GATEWAY_AUTH) private readonly auth: GatewayAuth,
    @Inject(DISCLOSURES) private readonly disclosures: DisclosureRecorder,
  ) {}

  @Get()
  async byPerson(@Headers('authorization') authorization: string | undefined, @Query('idNumber') idNumber?: string, @Query('limit') limit?: string) {
    this.auth.admin(authorization);
    const parsed = parseIdNumber(idNumber ?? '');
    if (typeof parsed === 'string') throw new ValidationError([{ path: 'idNumber', problem: parsed }]);
    const id = normaliseIdNumber(idNumber as string);
    const audit = this.disclosures.audit;
    const ref = audit.personRef(id);
    const entries = await audit.list({ personRef: ref, action: DISCLOSURE_ACTION, limit: Number(limit ?? 1000) || 1000, order: 'asc' });
    // The lookup itself is a processing of the person's data: recorded in the same chain.
    await audit.record({ actor: 'admin', action: 'data-subject.lookup', subject: { persons: [id] }, details: { found: entries.length } });
    return {
      personRef: ref,
      disclosures: entries.map((e) => ({
        at: e.at,
        eventId: e.subject.messages[0],
        caseId: e.subject.cases[0],
        eventType: e.details.eventType,
        fromRegion: e.details.fromRegion,
        toRegion: e.details.toRegion,
        fields: (e.details.fieldsByPerson as Record<string, string[]>)[ref] ?? [],
        publishedBy: e.actor,
        auditSeq: e.seq,
        auditHash: e.hash,
      })),
    };
  }
}
