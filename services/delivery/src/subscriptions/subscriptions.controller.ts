import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiKeyService, Caller, ForbiddenRegionError } from '@tongban/auth';
import { NotFoundError } from '@tongban/http';
import { Problem, TongbanError, ValidationError } from '@tongban/errors';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { refusalFor } from '../targets/address-policy';
import { isWellFormedDivision } from '@tongban/regions';
import { covers } from '@tongban/regions';
import { SubscriptionRepository } from './subscription.repository';

export const DELIVERY_KEYS = Symbol('DELIVERY_KEYS');
export const KNOWN_EVENT_TYPES = Symbol('KNOWN_EVENT_TYPES');
export const URL_POLICY = Symbol('URL_POLICY');

/** What a subscription's URL may be, and how many one partner system may hold. */
export interface UrlPolicy {
  development: boolean;
  allowHttp: boolean;
  allowLoopback: boolean;
  maxSubscriptionsPerKey: number;
}

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
    @Inject(URL_POLICY) private readonly policy: UrlPolicy,
  ) {}

  /** Body: `{ "url", "eventTypes": ["*"] or a list, "region" }`; answers the signing secret once. */
  @Post()
  @HttpCode(201)
  async create(@Headers('authorization') authorization: string | undefined, @Body() body: Record<string, unknown>) {
    const caller = await this.keys.authenticate(authorization);
    const problems: Problem[] = [];
    const url = typeof body?.url === 'string' ? body.url : '';
    problems.push(...(await urlProblems(url, this.policy)));
    const region = body?.region;
    if (typeof region !== 'string' || !isWellFormedDivision(region)) problems.push({ path: 'region', problem: 'must be a 6-digit division code' });
    const types = body?.eventTypes ?? ['*'];
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'string')) {
      problems.push({ path: 'eventTypes', problem: 'must be a non-empty list of event types, or ["*"]' });
    } else {
      for (const t of types as string[])
        if (t !== '*' && !this.eventTypes.includes(t)) problems.push({ path: 'eventTypes', problem: `unknown event type "${t}"` });
    }
    if (problems.length) throw new ValidationError(problems);
    if (!mayReceiveFor(caller, region as string)) {
      throw new ForbiddenRegionError(`key for ${caller.office?.id ?? caller.division} may not subscribe to events addressed to ${region}`);
    }
    const owner = caller.system ?? caller.keyId;
    if ((await this.subscriptions.listBySystem(owner)).length >= this.policy.maxSubscriptionsPerKey) {
      throw new TongbanError(
        'DELIVERY.TOO_MANY_SUBSCRIPTIONS',
        `this key already holds ${this.policy.maxSubscriptionsPerKey} subscriptions, the most allowed; delete one first`,
      );
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
    if (!found || found.systemName !== (caller.system ?? caller.keyId)) throw new NotFoundError(`no subscription ${id}`, 'DELIVERY.SUBSCRIPTION_NOT_FOUND');
    await this.subscriptions.remove(id);
  }
}

/**
 * Where a webhook may point: https (plain http only in the development profile), never at a private,
 * link-local, metadata or other internal address, as the name resolves now (every connect checks again).
 */
async function urlProblems(raw: string, policy: UrlPolicy): Promise<Problem[]> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [{ path: 'url', problem: 'must be an absolute https URL' }];
  }
  if (url.username || url.password) return [{ path: 'url', problem: 'must not carry credentials' }];
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const plainHttpAllowed = policy.development && (policy.allowHttp || policy.allowLoopback);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && plainHttpAllowed))) {
    return [
      {
        path: 'url',
        problem: policy.development ? 'must be https (plain http with TONGBAN_DELIVERY_ALLOW_HTTP or _ALLOW_LOOPBACK in development)' : 'must be https',
      },
    ];
  }
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [{ path: 'url', problem: `host ${host} does not resolve` }];
  }
  for (const address of addresses) {
    const refused = refusalFor(address, { allowLoopback: policy.development && policy.allowLoopback });
    if (refused) return [{ path: 'url', problem: `${refused.replace(/^refused: /, 'points at a ')}, which is not a partner's receiver` }];
  }
  return [];
}
