import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { covers, parseIdNumber, SERVICE_OFFICES } from '@tongban/regions';
import { CaseRepository, toSnapshot } from './case.repository';

export const NODE_DATA_SOURCE = Symbol('NODE_DATA_SOURCE');
export const CASE_REPOSITORY = Symbol('CASE_REPOSITORY');

type Row = Record<string, unknown>;

/**
 * The node's cases as the gateway asks for them on behalf of a caller (`viewer` division, optional
 * `office`): the responsible (addressed) side sees the whole case with its history and open deadlines,
 * the accepting (publishing) side its state and deadlines, anyone else nothing (404). Internal only.
 */
@Controller('internal/cases')
export class CasesQueryController {
  constructor(
    @Inject(NODE_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(CASE_REPOSITORY) private readonly cases: CaseRepository,
  ) {}

  @Get()
  async search(
    @Query('viewer') viewer = '',
    @Query('office') office?: string,
    @Query('workflow') workflow?: string,
    @Query('state') state?: string,
    @Query('person') person?: string,
    @Query('limit') limitText = '50',
  ): Promise<unknown> {
    const problems = [];
    if (!office && !/^\d{6}$/.test(viewer)) problems.push({ path: 'viewer', problem: 'must be a division code' });
    if (person !== undefined && typeof parseIdNumber(person) === 'string') problems.push({ path: 'person', problem: 'must be a valid resident ID number' });
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) problems.push({ path: 'limit', problem: 'must be 1–500' });
    if (problems.length) throw new ValidationError(problems);
    const where: string[] = [];
    const params: unknown[] = [];
    if (workflow) {
      where.push('c.workflow = ?');
      params.push(workflow);
    }
    if (state) {
      where.push('c.state = ?');
      params.push(state);
    }
    if (person) {
      where.push('c.case_id IN (SELECT case_id FROM case_persons WHERE person_hash = ?)');
      params.push(this.cases.personHash(person));
    }
    const rows: Row[] = await this.dataSource.query(
      `SELECT c.* FROM cases c ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.updated_at DESC LIMIT 2000`,
      params,
    );
    const visible = rows
      .map((r) => ({ row: r, role: roleOf(r, viewer, office) }))
      .filter((x) => x.role)
      .slice(0, limit);
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
    };
  }

  @Get(':caseId')
  async one(@Param('caseId') caseId: string, @Query('viewer') viewer = '', @Query('office') office?: string): Promise<unknown> {
    const [row]: Row[] = await this.dataSource.query('SELECT * FROM cases WHERE case_id = ?', [caseId]);
    if (!row) return this.participation(caseId, viewer, office);
    const role = roleOf(row, viewer, office);
    if (!role) throw new NotFoundError(`case ${caseId} not found`);
    const deadlines: Row[] = await this.dataSource.query(
      'SELECT name, started_at, due_at, must_act_division FROM case_timers WHERE case_id = ? ORDER BY due_at',
      [caseId],
    );
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
    const history: Row[] = await this.dataSource.query(
      `SELECT event_id, seq, event_type, source_region, target_region, occurred_at, received_at, outcome, outcome_reason, state_after, payload
       FROM case_events WHERE case_id = ? ORDER BY seq`,
      [caseId],
    );
    if (role === 'status') {
      // The publishing side follows its case: the events and outcomes, not the other side's data.
      return {
        ...summary,
        history: history.map((h) => ({ seq: Number(h.seq), eventType: h.event_type, outcome: h.outcome, reason: h.outcome_reason, stateAfter: h.state_after, at: new Date(h.received_at as string).toISOString() })),
      };
    }
    return {
      ...summary,
      version: Number(row.version),
      data: snapshot.data,
      history: history.map((h) => ({
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
        payload: JSON.parse(h.payload as string),
      })),
    };
  }

  /**
   * A case held by another node, seen from a region that took part in it (a hukou region answering a
   * status check): the events it sent or received, nothing else.
   */
  private async participation(caseId: string, viewer: string, office?: string): Promise<unknown> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT event_id, seq, event_type, source_region, target_region, occurred_at, received_at, payload FROM case_events WHERE case_id = ? ORDER BY seq`,
      [caseId],
    );
    const mine = rows.filter((h) => seesDivision(h.source_region as string, viewer, office) || seesDivision(h.target_region as string, viewer, office));
    if (mine.length === 0) throw new NotFoundError(`case ${caseId} not found`);
    return {
      caseId,
      view: 'participant',
      history: mine.map((h) => ({
        eventId: h.event_id,
        eventType: h.event_type,
        sourceRegion: h.source_region,
        targetRegion: h.target_region,
        occurredAt: new Date(h.occurred_at as string).toISOString(),
        receivedAt: new Date(h.received_at as string).toISOString(),
        payload: JSON.parse(h.payload as string),
      })),
    };
  }
}

function seesDivision(division: string, viewer: string, office?: string): boolean {
  if (office) return SERVICE_OFFICES.find((o) => o.id === office)?.districts.includes(division) ?? false;
  return /^\d{6}$/.test(viewer) && covers(viewer, division);
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

function roleOf(row: Row, viewer: string, office?: string): 'full' | 'status' | undefined {
  const sides = { accepting: row.accepting_region as string, responsible: row.responsible_region as string };
  const full = FULL_VIEW[row.workflow as string] ?? ['responsible'];
  if (full.some((side) => seesDivision(sides[side], viewer, office))) return 'full';
  if (Object.values(sides).some((d) => seesDivision(d, viewer, office))) return 'status';
  return undefined;
}
