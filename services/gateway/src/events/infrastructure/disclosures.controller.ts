import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ValidationError } from '@tongban/errors';
import { normaliseIdNumber, parseIdNumber } from '@tongban/regions';
import { GATEWAY_AUTH, GatewayAuth } from '../../auth/gateway-auth';
import { DISCLOSURE_ACTION, DisclosureRecorder } from '../application/disclosure-recorder';

export const DISCLOSURES = Symbol('DISCLOSURES');

/** A data-subject request (PIPL art. 45): every cross-region disclosure of one person's data, by ID number. */
@Controller()
export class DisclosuresController {
  constructor(
    @Inject(GATEWAY_AUTH) private readonly auth: GatewayAuth,
    @Inject(DISCLOSURES) private readonly disclosures: DisclosureRecorder,
  ) {}

  /** The ID number is never taken from a URL: GET answers where to send it. */
  @Get('v1/disclosures')
  refuseInUrl(@Headers('authorization') authorization: string | undefined, @Query() query: Record<string, unknown>): never {
    this.auth.admin(authorization);
    const named = Object.keys(query).filter((k) => k !== 'limit');
    throw new ValidationError(
      (named.length ? named : ['idNumber']).map((path) => ({
        path,
        problem: 'ID numbers are not taken in URLs: send {"idNumber": "<ID number>"} in the body of POST /v1/disclosures:search',
      })),
    );
  }

  @Post('v1/disclosures\\:search')
  @HttpCode(200)
  async search(@Headers('authorization') authorization: string | undefined, @Body() body: unknown) {
    this.auth.admin(authorization);
    const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => k !== 'idNumber' && k !== 'limit');
    if (unknown.length) throw new ValidationError(unknown.map((path) => ({ path, problem: 'is not a field of a disclosure search (idNumber, limit)' })));
    if (b.limit !== undefined && (!Number.isInteger(b.limit) || (b.limit as number) < 1 || (b.limit as number) > 1000)) {
      throw new ValidationError([{ path: 'limit', problem: 'must be a whole number from 1 to 1000' }]);
    }
    return this.byPerson(typeof b.idNumber === 'string' ? b.idNumber : undefined, b.limit as number | undefined);
  }

  private async byPerson(idNumber: string | undefined, limit: number | undefined) {
    const parsed = parseIdNumber(idNumber ?? '');
    if (typeof parsed === 'string') throw new ValidationError([{ path: 'idNumber', problem: parsed }]);
    const id = normaliseIdNumber(idNumber as string);
    const audit = this.disclosures.audit;
    const ref = audit.personRef(id);
    const entries = await audit.list({ personRef: ref, action: DISCLOSURE_ACTION, limit: limit ?? 1000, order: 'asc' });
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
        // A record of a group: its id (GET /v1/audit/records/:id/proof at ops) and leaf hash; auditHash is then its group entry's.
        ...(e.record ? { recordId: e.record.id, leafHash: e.record.leafHash } : {}),
      })),
    };
  }
}
