import { Body, Controller, Get, Headers, HttpCode, Inject, Optional, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Caller, serviceHeaders } from '@tongban/auth';
import type { GatewayAuth } from '../auth/gateway-auth';
import { UnavailableError, ValidationError } from '@tongban/errors';
import { RoutingTable } from '@tongban/regions';
import { API_KEYS } from '../events/infrastructure/events.controller';
import { caseSearchFrom, searchQueryFrom } from './case-query';
import type { EventStatusReader } from '../event-status/event-status';

export const NODE_URLS = Symbol('NODE_URLS');
export const ROUTING = Symbol('ROUTING');
export const NODE_SERVICE_TOKEN = Symbol('NODE_SERVICE_TOKEN');
/** The caller's events of a case that cross to the other province (EventStatusReader.crossingsOf). */
export const CASE_CROSSINGS = Symbol('CASE_CROSSINGS');
export type CaseCrossings = Pick<EventStatusReader, 'crossingsOf'>;

/**
 * Case queries answered by the caller's own region node, which holds every case its region takes
 * part in and decides what the caller may see (the whole case, only its status, or nothing). The
 * viewer travels in headers the node believes only with the service token, taken from the
 * authenticated key and nothing the caller wrote; only the known query parameters are passed on.
 */
@Controller()
export class CasesController {
  constructor(
    @Inject(API_KEYS) private readonly keys: GatewayAuth,
    @Inject(NODE_URLS) private readonly nodeUrls: Map<string, string>,
    @Inject(ROUTING) private readonly routing: RoutingTable,
    @Inject(NODE_SERVICE_TOKEN) private readonly serviceToken: string,
    @Optional() @Inject(CASE_CROSSINGS) private readonly crossings?: CaseCrossings,
  ) {}

  /** A person search: the ID number travels in the body, never in a URL (URLs end up in logs). */
  @Post('v1/cases\\:search')
  @HttpCode(200)
  async searchByBody(@Body() body: unknown, @Headers('authorization') auth: string | undefined, @Res() res: Response): Promise<void> {
    const caller = await this.keys.caller(auth, res);
    const search = caseSearchFrom(body);
    if (!search.ok) throw new ValidationError(search.problems);
    await this.forward(caller, '/internal/cases/search', res, { method: 'POST', body: search.value });
  }

  @Get('v1/cases/:caseId')
  async one(@Param('caseId') caseId: string, @Headers('authorization') auth: string | undefined, @Res() res: Response): Promise<void> {
    const caller = await this.keys.caller(auth, res);
    // The accepting side's own events for the other province: where each is on its way (see README, Two provinces).
    const withCrossings = this.crossings
      ? async (body: Record<string, unknown>) => ({ ...body, crossings: await this.crossings!.crossingsOf(caller, caseId) })
      : undefined;
    await this.forward(caller, `/internal/cases/${encodeURIComponent(caseId)}`, res, { amend: withCrossings });
  }

  @Get('v1/cases')
  async search(@Query() query: Record<string, unknown>, @Headers('authorization') auth: string | undefined, @Res() res: Response): Promise<void> {
    const caller = await this.keys.caller(auth, res);
    const search = searchQueryFrom(query);
    if (!search.ok) throw new ValidationError(search.problems);
    const params = new URLSearchParams(search.value);
    await this.forward(caller, `/internal/cases${params.size ? `?${params}` : ''}`, res);
  }

  private async forward(
    caller: Caller,
    path: string,
    res: Response,
    o: { method?: string; body?: unknown; amend?: (body: Record<string, unknown>) => Promise<Record<string, unknown>> } = {},
  ): Promise<void> {
    const node = this.routing.nodeFor(caller.division);
    const base = this.nodeUrls.get(node);
    if (!base) throw new UnavailableError(`region node ${node} (no URL configured in TONGBAN_NODE_URLS)`);
    const headers = {
      ...serviceHeaders(this.serviceToken, `gateway:${caller.keyId}`, { division: caller.division, office: caller.office?.id }),
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    let answer: globalThis.Response;
    try {
      answer = await fetch(`${base}${path}`, {
        method: o.method ?? 'GET',
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(5000),
      });
    } catch (e) {
      throw new UnavailableError(`region node ${node}`, { cause: e });
    }
    const text = await answer.text();
    if (answer.status === 200 && o.amend) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        res.status(200).json(await o.amend(body as Record<string, unknown>));
        return;
      }
    }
    // The node's errors are problems already (application/problem+json): the type travels with them.
    res
      .status(answer.status)
      .type(answer.headers.get('content-type') ?? 'application/json')
      .send(text);
  }
}
