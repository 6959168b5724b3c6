import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Problem, ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { OperatorRegistry } from '../../operators/operator-registry';
import { OPERATORS, operatorOf } from '../../operators/operator-request';
import { BulkReplayService } from '../application/bulk-replay.service';
import { DeadLetterService, summary } from '../application/dead-letter.service';
import type { DeadLetterFilter } from '../domain/dead-letter';
import { residentIdNumber } from '../domain/triage';
import { failOn, parseFilter, parsePaging } from './dlq-filter';

function idOf(raw: string): number {
  const id = Number(raw);
  if (!/^\d{1,15}$/.test(raw) || id < 1) throw new NotFoundError(`dead letter ${raw} not found`, 'OPS.DEAD_LETTER_NOT_FOUND');
  return id;
}

/** A job id is a UUID; anything else names no job. */
function jobOf(raw: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw))
    throw new NotFoundError(`replay job ${raw.slice(0, 80)} not found`, 'OPS.REPLAY_JOB_NOT_FOUND');
  return raw.toLowerCase();
}

function optionalText(body: Record<string, unknown>, name: string, problems: Problem[], max = 2000): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') problems.push({ path: name, problem: 'must be a string' });
  else if (v.length > max) problems.push({ path: name, problem: `must be at most ${max} characters` });
  else return v;
  return undefined;
}

/** Bulk replays: a job per filtered set, polled for progress and its summary. */
/** A bulk replay's body, as starting one and its preview read it: the filter and the whole numbers; 400 naming each bad field. */
function replayRequest(body: Record<string, unknown>) {
  const problems: Problem[] = [];
  const filterProblems: Problem[] = [];
  const filter = parseFilter((body?.filter as Record<string, unknown> | undefined) ?? {}, filterProblems);
  problems.push(...filterProblems.map((p) => ({ path: `filter.${p.path}`, problem: p.problem })));
  const number = (name: string): number | undefined => {
    const v = body?.[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) problems.push({ path: name, problem: 'must be a whole number' });
    return v as number;
  };
  const request = { filter, ratePerSecond: number('ratePerSecond'), limit: number('limit'), waitSeconds: number('waitSeconds') };
  failOn(problems);
  return request;
}

@Controller('v1/dlq/replay-jobs')
export class ReplayJobsController {
  constructor(
    private readonly jobs: BulkReplayService,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Post()
  @HttpCode(202)
  start(@Req() req: Request, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.replay');
    const { filter, ratePerSecond, limit, waitSeconds } = replayRequest(body);
    return this.jobs.start(filter, operator, {
      ratePerSecond,
      limit,
      outcomeWaitMs: waitSeconds === undefined ? undefined : Math.min(600, Math.max(0, waitSeconds)) * 1000,
    });
  }

  @Get()
  list(@Req() req: Request, @Query('limit') limit?: string): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.read');
    return this.jobs.list(limit ? Number(limit) || 20 : 20).then((jobs) => ({ jobs }));
  }

  @Get(':jobId')
  get(@Req() req: Request, @Param('jobId') jobId: string): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.read');
    return this.jobs.get(jobOf(jobId));
  }

  /** Each letter of the job and its outcome so far. */
  @Get(':jobId/items')
  items(@Req() req: Request, @Param('jobId') jobId: string): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.read');
    return this.jobs.items(jobOf(jobId));
  }

  /**
   * Stops a running bulk replay at its next letter (whichever replica runs it): 202 with the job, whose state
   * becomes `cancelled` once it has stopped; 409 when it has ended already.
   */
  @Post(':jobId/cancel')
  @HttpCode(202)
  cancel(@Req() req: Request, @Param('jobId') jobId: string, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.replay');
    const problems: Problem[] = [];
    const reason = optionalText(body ?? {}, 'reason', problems, 500);
    failOn(problems);
    return this.jobs.cancel(jobOf(jobId), operator, reason);
  }
}

/** The dead letters: search, look, replay, correct and replay, discard. */
@Controller('v1/dlq')
export class DlqController {
  constructor(
    private readonly deadLetters: DeadLetterService,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Get()
  async list(@Req() req: Request, @Query() query: Record<string, unknown>): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.read');
    const problems: Problem[] = [];
    const filter = parseFilter(query, problems);
    const { limit, cursor } = parsePaging(query, problems);
    failOn(problems);
    const page = await this.deadLetters.list(filter, limit, cursor);
    return { items: page.items.map(summary), total: page.total, nextCursor: page.nextCursor ?? null };
  }

  /** How many letters of the list's filters, by workflow, event type, error code, region and age. */
  @Get('counts')
  counts(@Req() req: Request, @Query() query: Record<string, unknown>): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.read');
    const problems: Problem[] = [];
    const filter = parseFilter(query, problems);
    failOn(problems);
    return this.deadLetters.counts(filter);
  }

  @Get(':id')
  show(@Req() req: Request, @Param('id') id: string, @Query('view') view?: string, @Query('reason') reason?: unknown): Promise<unknown> {
    const clear = view === 'clear';
    if (view !== undefined && view !== 'clear' && view !== 'masked') throw new ValidationError([{ path: 'view', problem: 'must be masked or clear' }]);
    const operator = operatorOf(this.operators, req, clear ? 'dlq.read-clear' : 'dlq.read');
    if (!clear) return this.deadLetters.show(idOf(id), operator, false);
    // The stated reason goes into the audit entry of the access (PIPL: purpose of each processing).
    const problems: Problem[] = [];
    const text = optionalText({ reason }, 'reason', problems, 500);
    if (problems.length === 0 && !text?.trim())
      problems.push({ path: 'reason', problem: 'is required for the clear view: say why the personal data must be seen' });
    failOn(problems);
    return this.deadLetters.show(idOf(id), operator, true, text);
  }

  @Post(':id/replay')
  @HttpCode(200)
  replay(@Req() req: Request, @Param('id') id: string, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.replay');
    const problems: Problem[] = [];
    const note = optionalText(body ?? {}, 'note', problems);
    failOn(problems);
    return this.deadLetters.replay(idOf(id), operator, { note });
  }

  @Post(':id/edit')
  @HttpCode(200)
  edit(@Req() req: Request, @Param('id') id: string, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.edit');
    const problems: Problem[] = [];
    if (!body || typeof body.event !== 'object' || body.event === null || Array.isArray(body.event)) {
      problems.push({ path: 'event', problem: 'is required: the whole corrected event as JSON' });
    }
    const note = optionalText(body ?? {}, 'note', problems);
    const eventType = optionalText(body ?? {}, 'eventType', problems, 100);
    failOn(problems);
    return this.deadLetters.editAndReplay(idOf(id), operator, { event: body.event as Record<string, unknown>, eventType, note, dryRun: body.dryRun === true });
  }

  @Post(':id/discard')
  @HttpCode(200)
  discard(@Req() req: Request, @Param('id') id: string, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.discard');
    const problems: Problem[] = [];
    const reason = optionalText(body ?? {}, 'reason', problems);
    if (!reason?.trim()) problems.push({ path: 'reason', problem: 'is required: say why the message is dropped' });
    failOn(problems);
    return this.deadLetters.discard(idOf(id), operator, reason!);
  }
}

/**
 * The person and the list filters of a body that names a person by ID number; its problems go to `problems`, each
 * naming the field, never the value sent.
 */
function personRequest(body: unknown, problems: Problem[]): { idNumber: string | undefined; filter: DeadLetterFilter; b: Record<string, unknown> } {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const idNumber = residentIdNumber(b.idNumber) ?? undefined;
  if (!idNumber) problems.push({ path: 'idNumber', problem: 'must be an 18-character resident ID number (17 digits and a digit or X)' });
  if (b.personHash !== undefined) problems.push({ path: 'personHash', problem: 'is not a filter: give the idNumber' });
  return { idNumber, filter: parseFilter(b, problems), b };
}

/** The most letters one bulk discard takes. */
export const MAX_BULK_DISCARD = 200;

/**
 * Triage actions on sets of letters, at colon paths beside the collection:
 *
 * - `POST /v1/dlq:search` `{ idNumber, ...filters, limit?, cursor? }` (viewer) — the letters naming a person, matched
 *   by the keyed hash; the ID number travels in the body only and is never echoed
 * - `POST /v1/dlq/counts:search` `{ idNumber, ...filters }` (viewer) — the counts of those letters, as `GET /v1/dlq/counts`
 * - `POST /v1/dlq/replay-jobs:preview` `{ filter, ratePerSecond?, limit? }` (operator) — what a bulk replay would take
 * - `POST /v1/dlq:discard` `{ ids, reason }` (operator) — discards the selected letters, each audited; outcome per id
 */
@Controller()
export class DlqTriageController {
  constructor(
    private readonly deadLetters: DeadLetterService,
    private readonly jobs: BulkReplayService,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Post('v1/dlq\\:search')
  @HttpCode(200)
  async search(@Req() req: Request, @Body() body: unknown): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.read');
    const problems: Problem[] = [];
    const { idNumber, filter, b } = personRequest(body, problems);
    const paging = parsePaging(b, problems);
    failOn(problems);
    const page = await this.deadLetters.personLetters(idNumber!, filter, operator, paging.limit, paging.cursor);
    return { items: page.items.map(summary), total: page.total, nextCursor: page.nextCursor ?? null };
  }

  /** The counts of `GET /v1/dlq/counts`, of the letters naming a person (the ID number in the body, as for the search). */
  @Post('v1/dlq/counts\\:search')
  @HttpCode(200)
  async personCounts(@Req() req: Request, @Body() body: unknown): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.read');
    const problems: Problem[] = [];
    const { idNumber, filter } = personRequest(body, problems);
    failOn(problems);
    return this.deadLetters.personCounts(idNumber!, filter, operator);
  }

  @Post('v1/dlq/replay-jobs\\:preview')
  @HttpCode(200)
  preview(@Req() req: Request, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    operatorOf(this.operators, req, 'dlq.replay');
    const { filter, ratePerSecond, limit } = replayRequest(body);
    return this.jobs.preview(filter, { ratePerSecond, limit });
  }

  @Post('v1/dlq\\:discard')
  @HttpCode(200)
  discard(@Req() req: Request, @Body() body: Record<string, unknown> = {}): Promise<unknown> {
    const operator = operatorOf(this.operators, req, 'dlq.discard');
    const problems: Problem[] = [];
    const ids = body?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK_DISCARD) {
      problems.push({ path: 'ids', problem: `must be a list of 1 to ${MAX_BULK_DISCARD} dead-letter ids` });
    } else {
      ids.forEach((id, i) => {
        if (!Number.isSafeInteger(id) || (id as number) < 1) problems.push({ path: `ids[${i}]`, problem: 'must be a dead-letter id' });
      });
    }
    const reason = optionalText(body ?? {}, 'reason', problems);
    if (!reason?.trim()) problems.push({ path: 'reason', problem: 'is required: say why the messages are dropped' });
    failOn(problems);
    return this.deadLetters.discardMany([...new Set(ids as number[])], operator, reason!);
  }
}
