import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AuditLog } from '@tongban/audit';
import { Problem } from '@tongban/errors';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS, operatorOf } from '../operators/operator-request';
import { failOn } from '../dead-letters/infrastructure/dlq-filter';
import { ChainVerifier } from './chain-verifier';

export const OPS_AUDIT = Symbol('OPS_AUDIT');
export const CHAIN_VERIFIER = Symbol('CHAIN_VERIFIER');

/** The audit log as operators read it, and its verification (admins). */
@Controller('v1/audit')
export class AuditController {
  constructor(
    @Inject(OPS_AUDIT) private readonly audit: AuditLog,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
    @Inject(CHAIN_VERIFIER) private readonly verifier: ChainVerifier,
  ) {}

  @Get()
  async list(@Req() req: Request, @Query() q: Record<string, string | undefined>): Promise<unknown> {
    operatorOf(this.operators, req, 'audit.read');
    const problems: Problem[] = [];
    if (q.person !== undefined) {
      problems.push({ path: 'person', problem: 'ID numbers are not taken in URLs: send {"person": "<ID number>"} in the body of POST /v1/audit:search' });
    }
    const num = (name: string) => {
      if (!q[name]) return undefined;
      const n = Number(q[name]);
      if (!Number.isInteger(n) || n < 0) problems.push({ path: name, problem: 'must be a whole number' });
      return n;
    };
    const time = (name: string) => {
      if (!q[name]) return undefined;
      const d = new Date(q[name]!);
      if (Number.isNaN(d.getTime())) problems.push({ path: name, problem: 'must be an ISO-8601 time' });
      return d;
    };
    const query = {
      actor: q.actor || undefined,
      action: q.action || undefined,
      caseId: q.caseId || undefined,
      message: q.message || undefined,
      from: time('from'),
      to: time('to'),
      beforeSeq: num('before'),
      limit: num('limit') ?? 50,
    };
    failOn(problems);
    const entries = await this.audit.list(query);
    return { entries, nextBefore: entries.length === query.limit ? entries[entries.length - 1].seq : null };
  }

  @Get('verify')
  verify(@Req() req: Request): Promise<unknown> {
    operatorOf(this.operators, req, 'audit.verify');
    return this.verifier.verifyAll();
  }
}
