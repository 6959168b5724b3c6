import type { Response } from 'express';
import { ApiKeyService, bearerToken, Caller, RateLimitedError, secretEquals, UnauthenticatedError } from '@tongban/auth';
import { TongbanError } from '@tongban/errors';

export const GATEWAY_AUTH = Symbol('GATEWAY_AUTH');

export class AdminForbiddenError extends TongbanError {
  /** A guess at the admin token: counted like a 401 by the per-address limit. */
  readonly failedAuthentication = true;
  constructor() {
    super('FORBIDDEN', 'this endpoint needs the admin token');
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
  ) {}

  async caller(authorization: string | undefined, res?: Response): Promise<Caller> {
    try {
      return await this.keys.authenticate(authorization);
    } catch (e) {
      if (e instanceof RateLimitedError) res?.setHeader('Retry-After', String(e.retryAfterSeconds));
      throw e;
    }
  }

  admin(authorization: string | undefined): void {
    const token = bearerToken(authorization);
    if (!token) throw new UnauthenticatedError('missing Authorization: Bearer <admin token>');
    if (!secretEquals(token, this.adminToken)) throw new AdminForbiddenError();
  }
}
