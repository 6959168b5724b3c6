import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ValidationError } from '@tongban/errors';
import { Hold, HoldAdministration, HoldDescription, HoldNotFoundError, ReleaseResult } from '@tongban/kafka';

/** Injection token of the object that administers holds (`ServerTongbanKafka.holdAdministration`). */
export const HOLD_ADMINISTRATION = Symbol('HOLD_ADMINISTRATION');

/**
 * The node's internal API over per-case holds, for the ops service (not exposed through the gateway):
 *
 * - `GET  /internal/holds?all=true&limit=100` — open holds (all: closed ones too), with held counts
 * - `GET  /internal/holds/:key` — one hold and the messages waiting in it (ids and places, no payloads)
 * - `POST /internal/holds/:key/release` `{"resolution":"replayed"|"discarded","republish":true}` — settle a
 *   dead-lettered blocker: replay it (the node re-publishes its original bytes with `tongban-replay-of`
 *   unless `republish` is false because the caller did) or discard it; the held messages then follow in order.
 *
 * Like every route of the node but health and metrics, behind the service token (`internalAccess`);
 * a release names its actor and is recorded in `internal_actions`.
 */
@Controller('internal/holds')
export class HoldsController {
  constructor(@Inject(HOLD_ADMINISTRATION) private readonly holds: HoldAdministration) {}

  @Get()
  async list(@Query('all') all?: string, @Query('limit') limitText = '100'): Promise<{ holds: Hold[] }> {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError([{ path: 'limit', problem: 'must be 1–1000' }]);
    return { holds: await this.holds.listHolds({ includeClosed: all === 'true', limit }) };
  }

  @Get(':key')
  async get(@Param('key') key: string): Promise<HoldDescription> {
    const found = await this.holds.describeHold(key);
    if (!found) throw new HoldNotFoundError(key);
    return found;
  }

  @Post(':key/release')
  @HttpCode(200)
  async release(@Param('key') key: string, @Body() body: { resolution?: unknown; republish?: unknown } = {}): Promise<ReleaseResult> {
    const problems = [];
    if (body?.resolution !== 'replayed' && body?.resolution !== 'discarded') {
      problems.push({ path: 'resolution', problem: 'must be "replayed" or "discarded"' });
    }
    if (body?.republish !== undefined && typeof body.republish !== 'boolean') problems.push({ path: 'republish', problem: 'must be true or false' });
    if (problems.length) throw new ValidationError(problems);
    return this.holds.releaseHold(key, body.resolution as 'replayed' | 'discarded', { republish: body.republish as boolean | undefined });
  }
}
