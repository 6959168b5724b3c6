import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Caller } from '@tongban/auth';
import type { GatewayAuth } from '../auth/gateway-auth';
import { UnavailableError } from '@tongban/errors';
import { RoutingTable } from '@tongban/regions';
import { API_KEYS } from '../events/infrastructure/events.controller';

export const NODE_URLS = Symbol('NODE_URLS');
export const ROUTING = Symbol('ROUTING');

/**
 * Case queries answered by the caller's own region node, which holds every case its region takes
 * part in and decides what the caller may see (the whole case, only its status, or nothing).
 */
@Controller('v1/cases')
export class CasesController {
  constructor(
    @Inject(API_KEYS) private readonly keys: GatewayAuth,
    @Inject(NODE_URLS) private readonly nodeUrls: Map<string, string>,
    @Inject(ROUTING) private readonly routing: RoutingTable,
  ) {}

  @Get(':caseId')
  async one(@Param('caseId') caseId: string, @Headers('authorization') auth: string | undefined, @Res() res: Response): Promise<void> {
    const caller = await this.keys.caller(auth, res);
    await this.forward(caller, `/internal/cases/${encodeURIComponent(caseId)}`, {}, res);
  }

  @Get()
  async search(@Query() query: Record<string, string>, @Headers('authorization') auth: string | undefined, @Res() res: Response): Promise<void> {
    const caller = await this.keys.caller(auth, res);
    await this.forward(caller, '/internal/cases', query, res);
  }

  private async forward(caller: Caller, path: string, query: Record<string, string>, res: Response): Promise<void> {
    const node = this.routing.nodeFor(caller.division);
    const base = this.nodeUrls.get(node);
    if (!base) throw new UnavailableError(`region node ${node} (no URL configured in TONGBAN_NODE_URLS)`);
    const params = new URLSearchParams({ ...query, viewer: caller.division, ...(caller.office ? { office: caller.office.id } : {}) });
    let answer: globalThis.Response;
    try {
      answer = await fetch(`${base}${path}?${params}`, { signal: AbortSignal.timeout(5000) });
    } catch (e) {
      throw new UnavailableError(`region node ${node}`, { cause: e });
    }
    res.status(answer.status).type('application/json').send(await answer.text());
  }
}
