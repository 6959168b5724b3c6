import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Problem } from '@tongban/errors';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS, operatorOf } from '../operators/operator-request';
import { failOn } from '../dead-letters/infrastructure/dlq-filter';
import { HoldsService } from './holds.service';

/**
 * The messages the nodes hold behind a failed one of the same case, across every configured node:
 *
 * - `GET  /v1/holds?all=true&node=510000&limit=100` (viewer) — open holds (all: closed ones too), each with its node
 * - `POST /v1/holds/:key/release` `{"resolution":"replayed"|"discarded","node"?,"reason"?}` — settles a hold whose
 *   blocker ops has no parked dead letter for (replay: operator; discard: operator, with a reason); audited.
 */
@Controller('v1/holds')
export class HoldsController {
  constructor(
    private readonly holds: HoldsService,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Get()
  list(@Req() req: Request, @Query('all') all?: string, @Query('node') node?: string, @Query('limit') limitText?: string): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.read');
    const problems: Problem[] = [];
    const limit = limitText === undefined || limitText === '' ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.push({ path: 'limit', problem: 'must be a whole number from 1 to 1000' });
    if (all !== undefined && all !== 'true' && all !== 'false') problems.push({ path: 'all', problem: 'must be true or false' });
    failOn(problems);
    return this.holds.list({ all: all === 'true', limit, node: node || undefined });
  }

  @Post(':key/release')
  @HttpCode(200)
  release(@Req() req: Request, @Param('key') key: string, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const resolution = body?.resolution;
    const problems: Problem[] = [];
    if (resolution !== 'replayed' && resolution !== 'discarded') problems.push({ path: 'resolution', problem: 'must be "replayed" or "discarded"' });
    const reason = typeof body?.reason === 'string' ? body.reason.trim() : undefined;
    if (body?.reason !== undefined && typeof body.reason !== 'string') problems.push({ path: 'reason', problem: 'must be a string' });
    else if (reason && reason.length > 2000) problems.push({ path: 'reason', problem: 'must be at most 2000 characters' });
    else if (resolution === 'discarded' && !reason) problems.push({ path: 'reason', problem: 'is required: say why the blocker is dropped' });
    if (body?.node !== undefined && typeof body.node !== 'string') problems.push({ path: 'node', problem: 'must be a division code' });
    if (key.length > 200) problems.push({ path: 'key', problem: 'must be at most 200 characters' });
    failOn(problems);
    const operator = operatorOf(this.operators, req, resolution === 'discarded' ? 'dlq.discard' : 'dlq.replay');
    return this.holds.release(key, operator, {
      node: (body.node as string | undefined) || undefined,
      resolution: resolution as 'replayed' | 'discarded',
      reason: reason || undefined,
    });
  }
}
