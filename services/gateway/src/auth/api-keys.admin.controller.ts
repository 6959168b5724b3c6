import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiKeyView } from '@tongban/auth';
import { Problem, ValidationError } from '@tongban/errors';
import { DISCLOSURES } from '../events/infrastructure/disclosures.controller';
import type { DisclosureRecorder } from '../events/application/disclosure-recorder';
import { GATEWAY_AUTH, GatewayAuth } from './gateway-auth';

export const ROTATION_OVERLAP_MS = Symbol('ROTATION_OVERLAP_MS');

/** Issuing, rotating and revoking API keys; every route needs the admin token. */
@Controller('v1/admin/api-keys')
export class ApiKeysAdminController {
  constructor(
    @Inject(GATEWAY_AUTH) private readonly auth: GatewayAuth,
    @Inject(ROTATION_OVERLAP_MS) private readonly overlapMs: number,
    @Inject(DISCLOSURES) private readonly disclosures: DisclosureRecorder,
  ) {}

  /** Who may publish and read is part of what is disclosed to whom: every key change goes to the gateway's chain. */
  private recordKey(action: string, details: Record<string, unknown>): Promise<unknown> {
    return this.disclosures.audit.record({ actor: 'admin', action, details });
  }

  @Get()
  async list(@Headers('authorization') authorization: string | undefined, @Query('system') system?: string): Promise<{ keys: ApiKeyView[] }> {
    this.auth.admin(authorization);
    return { keys: await this.auth.keys.list({ systemName: system }) };
  }

  /** Body: `{ "systemName", "division" (code or office id), "expiresAt"?, "ratePerSecond"?, "burst"? }`; the key is answered once. */
  @Post()
  @HttpCode(201)
  async issue(@Headers('authorization') authorization: string | undefined, @Body() body: Record<string, unknown>) {
    this.auth.admin(authorization);
    const problems: Problem[] = [];
    const systemName = body?.systemName;
    const binding = body?.division;
    if (typeof systemName !== 'string' || !/^[\w.:@ -]{3,200}$/u.test(systemName))
      problems.push({ path: 'systemName', problem: 'must be 3–200 letters, digits, spaces or . : @ _ -' });
    if (typeof binding !== 'string' || !binding) problems.push({ path: 'division', problem: 'is required: a division code or a service office id' });
    let expiresAt: Date | null = null;
    if (body?.expiresAt !== undefined && body.expiresAt !== null) {
      expiresAt = typeof body.expiresAt === 'string' ? new Date(body.expiresAt) : new Date(NaN);
      if (Number.isNaN(expiresAt.getTime())) problems.push({ path: 'expiresAt', problem: 'must be an ISO-8601 timestamp' });
    }
    const rate = optionalPositive(body?.ratePerSecond, 'ratePerSecond', problems);
    const burst = optionalPositive(body?.burst, 'burst', problems);
    if (problems.length) throw new ValidationError(problems);
    const { key, view } = await this.auth.keys.issue({ systemName: systemName as string, binding: binding as string, expiresAt, ratePerSecond: rate, burst });
    await this.recordKey('api-key.issued', { ...view });
    return { key, ...view };
  }

  /** Body (optional): `{ "overlapSeconds" }`; the old key stays valid that long (default from configuration). */
  @Post(':keyId/rotate')
  @HttpCode(201)
  async rotate(@Headers('authorization') authorization: string | undefined, @Param('keyId') keyId: string, @Body() body: Record<string, unknown>) {
    this.auth.admin(authorization);
    const problems: Problem[] = [];
    const overlap = optionalPositive(body?.overlapSeconds, 'overlapSeconds', problems, true);
    if (problems.length) throw new ValidationError(problems);
    const { key, view, previous } = await this.auth.keys.rotate(keyId, overlap === null ? this.overlapMs : overlap * 1000);
    await this.recordKey('api-key.rotated', { ...view, previous });
    return { key, ...view, previous };
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  async revoke(@Headers('authorization') authorization: string | undefined, @Param('keyId') keyId: string) {
    this.auth.admin(authorization);
    const revoked = await this.auth.keys.revoke(keyId);
    await this.recordKey('api-key.revoked', { keyId, result: revoked });
    return revoked;
  }
}

function optionalPositive(value: unknown, path: string, problems: Problem[], zeroAllowed = false): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < (zeroAllowed ? 0 : 1)) {
    problems.push({ path, problem: `must be a number ${zeroAllowed ? '≥ 0' : '≥ 1'}` });
    return null;
  }
  return value;
}
