import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AuditLog } from '@tongban/audit';
import { Problem } from '@tongban/errors';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS, operatorOf } from '../operators/operator-request';
import { failOn } from '../dead-letters/infrastructure/dlq-filter';
import { OPS_AUDIT } from './audit.controller';

/** The audit entries about one person: the ID number comes in the body, never in a URL. */
@Controller()
export class AuditSearchController {
  constructor(
    @Inject(OPS_AUDIT) private readonly audit: AuditLog,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Post('v1/audit\\:search')
  @HttpCode(200)
  async search(@Req() req: Request, @Body() body: unknown): Promise<unknown> {
    operatorOf(this.operators, req, 'audit.read');
    const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const problems: Problem[] = [];
    for (const k of Object.keys(b)) {
      if (!['person', 'action', 'limit', 'before'].includes(k))
        problems.push({ path: k, problem: 'is not a field of an audit search (person, action, limit, before)' });
    }
    if (typeof b.person !== 'string' || !/^\d{17}[\dXx]$/.test(b.person))
      problems.push({ path: 'person', problem: 'must be an 18-character resident ID number' });
    if (b.action !== undefined && typeof b.action !== 'string') problems.push({ path: 'action', problem: 'must be a string' });
    for (const k of ['limit', 'before'] as const) {
      if (b[k] !== undefined && (!Number.isInteger(b[k]) || (b[k] as number) < 0)) problems.push({ path: k, problem: 'must be a whole number' });
    }
    failOn(problems);
    const limit = (b.limit as number | undefined) ?? 50;
    const page = await this.audit.listPage({
      personIdNumber: (b.person as string).toUpperCase(),
      action: b.action as string | undefined,
      beforeSeq: b.before as number | undefined,
      limit,
    });
    return { entries: page.entries, nextBefore: page.next };
  }
}
