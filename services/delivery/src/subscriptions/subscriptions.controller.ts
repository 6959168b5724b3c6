import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiKeyService, Caller, ForbiddenRegionError } from '@tongban/auth';
import { NotFoundError } from '@tongban/http';
import { Problem, ValidationError } from '@tongban/errors';
import { isWellFormedDivision } from '@tongban/regions';
import { covers } from '@tongban/regions';
import { SubscriptionRepository } from './subscription.repository';

export const DELIVERY_KEYS = Symbol('DELIVERY_KEYS');
export const KNOWN_EVENT_TYPES = Symbol('KNOWN_EVENT_TYPES');
export const URL_POLICY = Symbol('URL_POLICY');

/** Whether a partner key may receive the events addressed to `region`. */
export function mayReceiveFor(caller: Caller, region: string): boolean {
  if (caller.office) return caller.office.districts.includes(region);
  return covers(caller.division, region);
}

/**
 * Webhook subscriptions, registered by a partner's own system with its own API key: events addressed
 * to a region its key covers, delivered to its URL, signed with the secret answered once here.
 */
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    @Inject(DELIVERY_KEYS) private readonly keys: ApiKeyService,
    private readonly subscriptions: SubscriptionRepository,
    @Inject(KNOWN_EVENT_TYPES) private readonly eventTypes: string[],
    @Inject(URL_POLICY) private readonly allowHttp: boolean,
  ) {}

  /** Body: `{ "url", "eventTypes": ["*"] or a list, "region" }`; answers the signing secret once. */
  @Post()
  @HttpCode(201)
  async create(@Headers('authorization') authorization: string | undefined, @Body() body: Record<string, unknown>) {
    const caller = await this.keys.authenticate(authorization);
    const problems: Problem[] = [];
    const url = typeof body?.url === 'string' ? body.url : '';
    problems.push(...urlProblems(url, this.allowHttp));
    const region = body?.region;
    if (typeof region !== 'string' || !isWellFormedDivision(region)) problems.push({ path: 'region', problem: 'must be a 6-digit division code' });
    const types = body?.eventTypes ?? ['*'];
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'string')) {
      problems.push({ path: 'eventTypes', problem: 'must be a non-empty list of event types, or ["*"]' });
    } else {
      for (const t of types as string[]) if (t !== '*' && !this.eventTypes.includes(t)) problems.push({ path: 'eventTypes', problem: `unknown event type "${t}"` });
    }
    if (problems.length) throw new ValidationError(problems);
    if (!mayReceiveFor(caller, region as string)) {
      throw new ForbiddenRegionError(`key for ${caller.office?.id ?? caller.division} may not subscribe to events addressed to ${region}`);
    }
    const { subscription, secret } = await this.subscriptions.create({
      keyId: caller.keyId,
      systemName: caller.system ?? caller.keyId,
      region: region as string,
      url,
      eventTypes: types as string[],
    });
    return { ...subscription, secret };
  }

  @Get()
  async list(@Headers('authorization') authorization: string | undefined) {
    const caller = await this.keys.authenticate(authorization);
    return { subscriptions: await this.subscriptions.listBySystem(caller.system ?? caller.keyId) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Headers('authorization') authorization: string | undefined, @Param('id') id: string): Promise<void> {
    const caller = await this.keys.authenticate(authorization);
    const found = await this.subscriptions.get(id);
    if (!found || found.systemName !== (caller.system ?? caller.keyId)) throw new NotFoundError(`no subscription ${id}`);
    await this.subscriptions.remove(id);
  }
}

function urlProblems(raw: string, allowHttp: boolean): Problem[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [{ path: 'url', problem: 'must be an absolute http(s) URL' }];
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && (allowHttp || loopback))) return [];
  return [{ path: 'url', problem: 'must be https (plain http only for loopback, or with TONGBAN_DELIVERY_ALLOW_HTTP=true)' }];
}
