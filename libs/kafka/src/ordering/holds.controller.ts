import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ValidationError } from '@tongban/errors';
import { HoldNotFoundError } from './hold-state';
import type { Hold, HoldResolution } from './hold-store.port';

/** Injection token of the object that administers holds (the node's `ServerTongbanKafka`). */
export const HOLD_ADMINISTRATION = Symbol('HOLD_ADMINISTRATION');

export interface HeldMessageSummary {
  id: string;
  ref: string;
  eventId: string | null;
  eventType: string | null;
  status: string;
  waitsForRef: string;
  waitsForEventId: string | null;
  heldAt: Date;
}

export interface HoldDescription {
  hold: Hold;
  messages: HeldMessageSummary[];
}

export interface ReleaseResult {
  caseKey: string;
  resolution: HoldResolution;
  /** `released`: every held message processed, hold closed; `reblocked`: one of them failed and now blocks;
   *  `replay-published`: the blocker is back on its topic, the rest follow once it is applied; `busy`: someone else is releasing. */
  outcome: 'released' | 'reblocked' | 'replay-published' | 'busy';
  applied: number;
  blockerRef?: string;
}

export interface HoldAdministration {
  listHolds(o?: { includeClosed?: boolean; limit?: number }): Promise<Hold[]>;
  describeHold(caseKey: string): Promise<HoldDescription | undefined>;
  releaseHold(caseKey: string, resolution: 'replayed' | 'discarded', o?: { republish?: boolean }): Promise<ReleaseResult>;
}

/**
 * The node's internal API over per-case holds, for the ops service (not exposed through the gateway):
 *
 * - `GET  /internal/holds?all=true&limit=100` — open holds (all: closed ones too), with held counts
 * - `GET  /internal/holds/:key` — one hold and the messages waiting in it (ids and places, no payloads)
 * - `POST /internal/holds/:key/release` `{"resolution":"replayed"|"discarded","republish":true}` — settle a
 *   dead-lettered blocker: replay it (the node re-publishes its original bytes with `tongban-replay-of`
 *   unless `republish` is false because the caller did) or discard it; the held messages then follow in order.
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
