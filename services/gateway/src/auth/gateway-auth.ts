import type { Response } from 'express';
import { ApiKeyService, bearerToken, Caller, ForbiddenRegionError, RateLimitedError, secretEquals, UnauthenticatedError } from '@tongban/auth';
import { provinceOf } from '@tongban/regions';
import { TongbanError } from '@tongban/errors';

export const GATEWAY_AUTH = Symbol('GATEWAY_AUTH');

export class AdminForbiddenError extends TongbanError {
  /** A guess at the admin token: counted like a 401 by the per-address limit. */
  readonly failedAuthentication = true;
  constructor() {
    super('GATEWAY.ADMIN_TOKEN_REQUIRED', 'this endpoint needs the admin token');
  }
}

/**
 * Authentication for the gateway's controllers: municipal systems by API key (with the shared rate
 * limit; a 429 carries Retry-After), operators' tooling by the admin token.
 */
export class GatewayAuth {
  constructor(
    readonly keys: ApiKeyService,
    private readonly adminToken: string,
    /** The province this gateway serves; undefined serves every division (one gateway for both provinces). */
    private readonly province?: string,
  ) {}

  async caller(authorization: string | undefined, res?: Response): Promise<Caller> {
    let caller: Caller;
    try {
      caller = await this.keys.authenticate(authorization);
    } catch (e) {
      if (e instanceof RateLimitedError) res?.setHeader('Retry-After', String(e.retryAfterSeconds));
      throw e;
    }
    if (this.province && provinceOf(caller.division) !== this.province) {
      throw new ForbiddenRegionError(
        `this gateway serves province ${this.province}; a key of ${caller.division} publishes and reads through the gateway of province ${provinceOf(caller.division)}`,
      );
    }
    // For the access log: which system the answer went to.
    if (res && caller.system) res.locals.caller = caller.system;
    return caller;
  }

  admin(authorization: string | undefined): void {
    const token = bearerToken(authorization);
    if (!token) throw new UnauthenticatedError('missing Authorization: Bearer <admin token>');
    if (!secretEquals(token, this.adminToken)) throw new AdminForbiddenError();
  }
}
