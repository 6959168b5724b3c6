import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { authenticateService, SERVICE_HEADERS } from '@tongban/auth';
import { TongbanError, ValidationError } from '@tongban/errors';
import type { ReceiptStore, StoredReceipt } from './receipt-store';

export const TRANSIT_STORE = Symbol('TRANSIT_STORE');
export const OPS_SERVICE_TOKEN = Symbol('OPS_SERVICE_TOKEN');

const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_RECEIPT_LOOKUP = 500;

const header = (req: Request, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The receipts of events this province's gateway accepted for the other province, for the gateway
 * (`GET /v1/events/:eventId`, `GET /v1/cases/:caseId`). Behind the service token the gateway, the nodes
 * and ops share; never for operators or municipal systems.
 */
@Controller('internal/transit')
export class TransitController {
  constructor(
    @Inject(TRANSIT_STORE) private readonly store: Pick<ReceiptStore, 'find'>,
    @Inject(OPS_SERVICE_TOKEN) private readonly token: string,
  ) {}

  /** `{"eventIds": [...]}` → `{"receipts": [...]}`: one per event that has one, none for the others. */
  @Post('receipts')
  @HttpCode(200)
  async receipts(@Req() req: Request, @Body() body: unknown): Promise<{ receipts: StoredReceipt[] }> {
    const caller = authenticateService({ token: header(req, SERVICE_HEADERS.token), actor: header(req, SERVICE_HEADERS.actor) }, this.token, false);
    if (!caller.ok) throw new TongbanError(caller.code, caller.message, false);
    const ids = (body as { eventIds?: unknown } | null)?.eventIds;
    if (!Array.isArray(ids) || ids.length > MAX_RECEIPT_LOOKUP || !ids.every((id) => typeof id === 'string' && EVENT_ID.test(id))) {
      throw new ValidationError([{ path: 'eventIds', problem: `must be a list of at most ${MAX_RECEIPT_LOOKUP} event ids (UUIDs)` }]);
    }
    return { receipts: await this.store.find(ids as string[]) };
  }
}
