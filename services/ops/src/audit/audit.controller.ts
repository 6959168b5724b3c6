import { ConflictException, Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AuditLog } from '@tongban/audit';
import { Problem } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS, operatorOf } from '../operators/operator-request';
import { failOn } from '../dead-letters/infrastructure/dlq-filter';
import { ChainVerifier } from './chain-verifier';
import { AuditWitness } from './witness/audit-witness';
import { WitnessStore } from './witness/witness-store';

export const OPS_AUDIT = Symbol('OPS_AUDIT');
export const CHAIN_VERIFIER = Symbol('CHAIN_VERIFIER');
/** The AuditWitness and its WitnessStore, or null where ops has no partner province. */
export const AUDIT_WITNESS = Symbol('AUDIT_WITNESS');

/** The audit log as operators read it, and its verification (admins). */
@Controller('v1/audit')
export class AuditController {
  constructor(
    @Inject(OPS_AUDIT) private readonly audit: AuditLog,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
    @Inject(CHAIN_VERIFIER) private readonly verifier: ChainVerifier,
    @Inject(AUDIT_WITNESS) private readonly witness: { witness: AuditWitness; store: WitnessStore; partner: string } | null,
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
    // A group's records come whole on one page: the cursor is the page's, not a count of its items.
    const page = await this.audit.listPage(query);
    return { entries: page.entries, nextBefore: page.next };
  }

  /**
   * The inclusion proof of one record of a group (a disclosure record the gateway wrote with its group):
   * the record, its leaf hash, the sibling path to the group's Merkle root, and the chain entry carrying
   * that root, with whether they hold. One record is checked without the rest of its group.
   */
  @Get('records/:id/proof')
  async proof(@Req() req: Request, @Param('id') id: string): Promise<unknown> {
    operatorOf(this.operators, req, 'audit.read');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) failOn([{ path: 'id', problem: 'must be a record id (a UUID)' }]);
    const proof = await this.verifier.proofOf(id.toLowerCase());
    if (!proof)
      throw new NotFoundError(
        `no record ${id} in the audit chains ops reads (an entry that is no record of a group has no proof: verify checks it)`,
        'OPS.AUDIT_RECORD_NOT_FOUND',
      );
    return proof;
  }

  /**
   * Walks every chain; with `witness=true` also compares each with the heads the other province witnessed of it,
   * which finds a chain cut short or rewritten below a witnessed head even when it is consistent in itself.
   */
  @Get('verify')
  async verify(@Req() req: Request, @Query('witness') witnessParam?: string): Promise<unknown> {
    operatorOf(this.operators, req, 'audit.verify');
    if (witnessParam !== undefined && witnessParam !== 'true' && witnessParam !== 'false') {
      failOn([{ path: 'witness', problem: 'must be true or false' }]);
    }
    const withWitness = witnessParam === 'true';
    if (withWitness && !this.witness) throw this.noWitness();
    const report = await this.verifier.verifyAll();
    if (!withWitness) return report;
    const witness = await this.witness!.witness.check();
    const broken = witness.firstBroken;
    return {
      ...report,
      ok: report.ok && witness.ok,
      ...(!report.firstBroken && broken
        ? {
            firstBroken: {
              seq: broken.brokenAt ?? 0,
              problem: broken.status === 'rewritten' ? 'changed' : broken.status === 'truncated' ? 'truncated' : 'missing',
              message: broken.message ?? '',
              database: broken.database,
              chain: broken.chain,
            },
          }
        : {}),
      witness,
    };
  }

  /** What this province witnessed of the other province's chains: the longest head of each, and any contradiction. */
  @Get('witnessed')
  async witnessed(@Req() req: Request): Promise<unknown> {
    operatorOf(this.operators, req, 'audit.verify');
    if (!this.witness) throw this.noWitness();
    const { store, partner } = this.witness;
    return { owner: partner, heads: await store.longest(partner), conflicts: await store.conflicts(partner) };
  }

  private noWitness(): ConflictException {
    return new ConflictException(
      'this ops has no partner province to witness its audit chains: it serves both nodes or TONGBAN_OPS_WITNESS_INTERVAL_SECONDS is 0 (set TONGBAN_OPS_PROVINCE)',
    );
  }
}
