import { Body, Controller, Get, HttpCode, Inject, Optional, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditLog } from '@tongban/audit';
import { Problem, ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { covers, parseIdNumber } from '@tongban/regions';
import { CARRIED_OVER_TOPIC } from '../domain';
import { internalCallerOf } from '../../internal/internal-access.middleware';
import type { Minimiser } from '@tongban/masking';
import { personsInRead, ReadEvent } from './case-read.disclosure';
import { CaseRepository, toSnapshot } from './case.repository';
import { CASE_SEARCH_CAP, CaseQueryRepository } from './case-query.repository';
import { decodeCursor, encodeCursor } from './case-cursor';

export const CASE_REPOSITORY = Symbol('CASE_REPOSITORY');
export const READ_DISCLOSURES = Symbol('READ_DISCLOSURES');
export const CASE_QUERIES = Symbol('CASE_QUERIES');

/** Where a read that answers with personal data is recorded: the node's disclosures chain. */
export interface ReadDisclosures {
  audit: AuditLog;
  minimiser: Pick<Minimiser, 'personalData'>;
  /** The node that answers (its region id). */
  node: string;
}

type Row = Record<string, unknown>;

/** Entries carried over with a hand-over are marked as such (they came from the region that held the case). */
const carried = (h: Row): { carriedOver?: true } => (h.kafka_topic === CARRIED_OVER_TOPIC ? { carriedOver: true } : {});

/** The key a query is made for: its division, and its service office when it is an office key. */
export interface Viewer {
  division: string;
  office?: string;
}

/** The viewer the gateway named in its authenticated headers; the query string is never asked. */
function viewerOf(req: Request): Viewer {
  const viewer = internalCallerOf(req).viewer;
  if (!viewer) throw new ValidationError([{ path: 'x-tongban-viewer-division', problem: 'a case query must name the viewer' }]);
  return viewer;
}

/**
 * The node's cases as the gateway asks for them on behalf of a caller (the viewer comes from the
 * gateway's authenticated headers): the parties of a case see it, the deciding side whole, the other
 * its state and events; anyone else gets 404, as if the case did not exist. Internal only.
 * A read answered with payloads (the full or participant view) is recorded in the node's disclosures
 * chain before it is answered, naming the reader, the case and the persons whose fields it carried.
 */
@Controller('internal/cases')
export class CasesQueryController {
  constructor(
    @Inject(CASE_QUERIES) private readonly queries: CaseQueryRepository,
    @Inject(CASE_REPOSITORY) private readonly cases: CaseRepository,
    @Optional() @Inject(READ_DISCLOSURES) private readonly disclosures?: ReadDisclosures,
  ) {}

  @Get()
  async search(
    @Req() req: Request,
    @Query('workflow') workflow?: string,
    @Query('state') state?: string,
    @Query('limit') limitText = '50',
    @Query('cursor') cursor?: string,
    @Query('updatedSince') updatedSince?: string,
  ): Promise<unknown> {
    return this.find(viewerOf(req), { workflow, state, limit: limitText, cursor, updatedSince });
  }

  /** Search by person: the ID number travels in the body, never in a URL. */
  @Post('search')
  @HttpCode(200)
  async searchByBody(@Req() req: Request, @Body() body: unknown): Promise<unknown> {
    const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const problems: Problem[] = [];
    for (const k of ['workflow', 'state', 'person', 'cursor', 'updatedSince'] as const) {
      if (b[k] !== undefined && typeof b[k] !== 'string') problems.push({ path: k, problem: 'must be a string' });
    }
    if (problems.length) throw new ValidationError(problems);
    return this.find(viewerOf(req), {
      workflow: b.workflow as string | undefined,
      state: b.state as string | undefined,
      person: b.person as string | undefined,
      limit: b.limit === undefined ? '50' : String(b.limit),
      cursor: b.cursor as string | undefined,
      updatedSince: b.updatedSince as string | undefined,
    });
  }

  private async find(
    viewer: Viewer,
    q: { workflow?: string; state?: string; person?: string; limit: string; cursor?: string; updatedSince?: string },
  ): Promise<unknown> {
    const { workflow, state, person } = q;
    const problems: Problem[] = [];
    if (person !== undefined && typeof parseIdNumber(person) === 'string') problems.push({ path: 'person', problem: 'must be a valid resident ID number' });
    const limit = Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) problems.push({ path: 'limit', problem: 'must be 1–500' });
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !after)
      problems.push({ path: 'cursor', problem: 'is not a cursor this search handed out (use nextCursor of the page before)' });
    const since = q.updatedSince === undefined ? undefined : new Date(q.updatedSince);
    if (
      q.updatedSince !== undefined &&
      (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(q.updatedSince) || Number.isNaN(since!.getTime()))
    ) {
      problems.push({ path: 'updatedSince', problem: 'must be an ISO-8601 time with its offset, such as 2026-11-30T00:00:00Z' });
    }
    if (problems.length) throw new ValidationError(problems);
    const rows = await this.queries.search({ workflow, state, personHash: person ? this.cases.personHash(person) : undefined, updatedSince: since, after });
    const readable = rows.map((r) => ({ row: r, role: roleOf(r, viewer) })).filter((x) => x.role);
    const visible = readable.slice(0, limit);
    // More may follow when this page is full and either more readable cases were read or the read hit its cap.
    const last = visible.at(-1);
    const more = visible.length === limit && (readable.length > limit || rows.length >= CASE_SEARCH_CAP);
    const nextCursor = more && last ? encodeCursor({ updatedAt: new Date(last.row.updated_at as string), caseId: String(last.row.case_id) }) : null;
    return {
      cases: visible.map(({ row, role }) => ({
        caseId: row.case_id,
        workflow: row.workflow,
        state: row.state,
        acceptingRegion: row.accepting_region,
        responsibleRegion: row.responsible_region,
        updatedAt: new Date(row.updated_at as string).toISOString(),
        view: role,
      })),
      nextCursor,
    };
  }

  @Get(':caseId')
  async one(@Param('caseId') caseId: string, @Req() req: Request): Promise<unknown> {
    const viewer = viewerOf(req);
    const row = await this.queries.caseRow(caseId);
    if (!row) return this.participation(caseId, viewer, internalCallerOf(req).actor);
    const role = roleOf(row, viewer);
    if (!role) throw new NotFoundError(`case ${caseId} not found`, 'CASE.NOT_FOUND');
    const deadlines = await this.queries.deadlines(caseId);
    const snapshot = toSnapshot(row as never);
    const summary = {
      caseId,
      workflow: snapshot.workflow,
      state: snapshot.state,
      acceptingRegion: snapshot.acceptingDivision,
      responsibleRegion: snapshot.responsibleDivision,
      acceptingOffice: snapshot.acceptingOffice,
      openedAt: snapshot.openedAt,
      updatedAt: snapshot.updatedAt,
      view: role,
      deadlines: deadlines.map((d) => ({
        name: d.name,
        startedAt: new Date(d.started_at as string).toISOString(),
        dueAt: new Date(d.due_at as string).toISOString(),
        mustAct: d.must_act_division,
      })),
    };
    const history = await this.queries.history(caseId);
    if (role === 'status') {
      // The publishing side follows its case: the events and outcomes, not the other side's data.
      return {
        ...summary,
        history: history.map((h) => ({
          seq: Number(h.seq),
          eventType: h.event_type,
          outcome: h.outcome,
          reason: h.outcome_reason,
          stateAfter: h.state_after,
          at: new Date(h.received_at as string).toISOString(),
          ...carried(h),
        })),
      };
    }
    const payloads = history.map((h) => ({ eventType: h.event_type as string, payload: JSON.parse(h.payload as string) as Record<string, unknown> }));
    await this.recordRead(internalCallerOf(req).actor, viewer, caseId, 'full', payloads);
    return {
      ...summary,
      version: Number(row.version),
      data: snapshot.data,
      history: history.map((h, i) => ({
        eventId: h.event_id,
        seq: Number(h.seq),
        eventType: h.event_type,
        sourceRegion: h.source_region,
        targetRegion: h.target_region,
        occurredAt: new Date(h.occurred_at as string).toISOString(),
        receivedAt: new Date(h.received_at as string).toISOString(),
        outcome: h.outcome,
        reason: h.outcome_reason,
        stateAfter: h.state_after,
        payload: payloads[i].payload,
        ...carried(h),
      })),
    };
  }

  /** One append per answered read that carries personal data; nothing when it carries none. */
  private async recordRead(actor: string, viewer: Viewer, caseId: string, view: 'full' | 'participant', events: ReadEvent[]): Promise<void> {
    if (!this.disclosures) return;
    await this.queries.recordRead(this.disclosures.audit, {
      actor,
      eventType: 'case-read',
      caseId,
      fromRegion: this.disclosures.node,
      toRegion: viewer.division,
      channel: 'read',
      recipientRole: view,
      recipient: `viewer:${viewer.division}${viewer.office ? `:${viewer.office}` : ''}`,
      persons: personsInRead(this.disclosures.minimiser, events),
    });
  }

  /**
   * A case held by another node, seen from a region that took part in it (a hukou region answering a
   * status check): the events it sent or received, nothing else.
   */
  private async participation(caseId: string, viewer: Viewer, actor: string): Promise<unknown> {
    const rows = await this.queries.participationEvents(caseId);
    const mine = rows.filter(
      (h) => isSide(viewer, h.source_region as string, (h.source_office as string | null) ?? null) || isSide(viewer, h.target_region as string, null),
    );
    if (mine.length === 0) throw new NotFoundError(`case ${caseId} not found`, 'CASE.NOT_FOUND');
    const payloads = mine.map((h) => ({ eventType: h.event_type as string, payload: JSON.parse(h.payload as string) as Record<string, unknown> }));
    await this.recordRead(actor, viewer, caseId, 'participant', payloads);
    return {
      caseId,
      view: 'participant',
      history: mine.map((h, i) => ({
        eventId: h.event_id,
        eventType: h.event_type,
        sourceRegion: h.source_region,
        targetRegion: h.target_region,
        occurredAt: new Date(h.occurred_at as string).toISOString(),
        receivedAt: new Date(h.received_at as string).toISOString(),
        payload: payloads[i].payload,
      })),
    };
  }
}

/**
 * Whether a key is one side of a case: an office key (CQ-HTZ) is the side whose office is that office,
 * whatever district it serves; a division key is a side whose division it covers (a city key its
 * districts, a province key the province) and whose office, if any, is not a service office's.
 */
export function isSide(viewer: Viewer, division: string, office: string | null): boolean {
  if (viewer.office) return office === viewer.office;
  return !office && /^\d{6}$/.test(division ?? '') && covers(viewer.division, division);
}

/**
 * Which side sees a case whole: the side that decides and the side the data is about. For subsidies
 * the paying hukou region; for marriages the registering office; funerals and economic checks both sides
 * (an economic-check answer is for the requesting office). The other side sees the state and its events.
 */
const FULL_VIEW: Record<string, Array<'accepting' | 'responsible'>> = {
  'disability-subsidy': ['responsible'],
  'marriage-registration': ['accepting'],
  'funeral-transfer': ['accepting', 'responsible'],
  'economic-check': ['accepting', 'responsible'],
};

/**
 * The parties of a case (see the README's query section): the accepting side (its office when a service
 * office opened it, else its division) and the responsible side (the hukou or data-holding division).
 */
export function roleOf(row: Row, viewer: Viewer): 'full' | 'status' | undefined {
  const party = {
    accepting: isSide(viewer, row.accepting_region as string, (row.accepting_office as string | null) ?? null),
    responsible: isSide(viewer, row.responsible_region as string, null),
  };
  const full = FULL_VIEW[row.workflow as string] ?? ['responsible'];
  if (full.some((side) => party[side])) return 'full';
  if (party.accepting || party.responsible) return 'status';
  return undefined;
}
