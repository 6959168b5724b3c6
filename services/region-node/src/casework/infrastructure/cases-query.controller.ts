import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { covers, SERVICE_OFFICES } from '@tongban/regions';
import { NotFoundError } from '@tongban/http';

export const NODE_DATA_SOURCE = Symbol('NODE_DATA_SOURCE');

interface CaseRow {
  case_id: string;
  workflow: string;
  state: string;
  accepting_region: string;
  responsible_region: string;
  accepting_office: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * The node's case store as the gateway asks it, on behalf of a caller (`viewer` division and an
 * optional `office`): the responsible (addressed) side sees the whole case, the accepting
 * (publishing) side its status, anyone else nothing. Bound to the internal interface only.
 */
@Controller('internal/cases')
export class CasesQueryController {
  constructor(@Inject(NODE_DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get(':caseId')
  async one(@Param('caseId') caseId: string, @Query('viewer') viewer = '', @Query('office') office?: string): Promise<unknown> {
    const [row]: CaseRow[] = await this.dataSource.query('SELECT * FROM cases WHERE case_id = ?', [caseId]);
    const role = row ? roleOf(row, viewer, office) : undefined;
    if (!row || !role) throw new NotFoundError(`case ${caseId} not found`);
    const summary = {
      caseId: row.case_id,
      workflow: row.workflow,
      state: row.state,
      acceptingRegion: row.accepting_region,
      responsibleRegion: row.responsible_region,
      updatedAt: new Date(row.updated_at).toISOString(),
      view: role,
    };
    if (role === 'status') return summary;
    const history = await this.dataSource.query(
      `SELECT event_id, seq, event_type, source_region, target_region, occurred_at, received_at, outcome, outcome_reason, state_after, payload
       FROM case_events WHERE case_id = ? ORDER BY seq`,
      [caseId],
    );
    return {
      ...summary,
      acceptingOffice: row.accepting_office,
      version: Number(row.version),
      createdAt: new Date(row.created_at).toISOString(),
      history: history.map((h: Record<string, unknown>) => ({
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
}

function roleOf(row: CaseRow, viewer: string, office?: string): 'full' | 'status' | undefined {
  const sees = (division: string) => {
    if (office) return SERVICE_OFFICES.find((o) => o.id === office)?.districts.includes(division) ?? false;
    return /^\d{6}$/.test(viewer) && covers(viewer, division);
  };
  if (sees(row.responsible_region)) return 'full';
  if (sees(row.accepting_region)) return 'status';
  return undefined;
}
