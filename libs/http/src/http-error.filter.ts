import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { isDependencyFailure, TongbanError, ValidationError } from '@tongban/errors';
import type { JsonLogger } from '@tongban/observability';

/** HTTP status for each stable error code; anything not listed is a 500. */
const STATUS: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN_REGION: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IDEMPOTENCY_CONFLICT: 409,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  DEPENDENCY_UNAVAILABLE: 503,
  OVERLOADED: 503,
};

/** Seconds a client is asked to wait when a dependency (database, cache, registry) is down: 503 with Retry-After. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** Answers every error as `{ "error": { "code", "message", "details": [{ "path", "problem" }] } }`. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger?: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (isDependencyFailure(exception)) {
      // The database or another dependency is unreachable: nothing was accepted, the client may try again.
      this.logger?.event('warn', 'request refused: a dependency is unavailable', { error: (exception as Error)?.message });
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      res.status(503).json({ error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'a dependency of this service is unavailable; try again later', details: [] } });
      return;
    }
    if (exception instanceof TongbanError) {
      // A wrong credential answered other than 401 still counts against the caller's address.
      if ((exception as { failedAuthentication?: boolean }).failedAuthentication) res.locals.tongbanFailedAuth = true;
      const status = STATUS[exception.code] ?? (exception.retriable ? 503 : 500);
      if (status === 503 && !res.getHeader('Retry-After')) {
        const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        res.setHeader('Retry-After', String(typeof retryAfter === 'number' && retryAfter > 0 ? Math.ceil(retryAfter) : DEPENDENCY_RETRY_AFTER_SECONDS));
      }
      if (exception.code === 'OVERLOADED') this.logger?.event('warn', 'request refused: the service is at capacity', { error: exception.message });
      else if (status >= 500) this.logger?.event('error', 'request failed', { code: exception.code, error: exception.message });
      res.status(status).json({
        error: {
          code: exception.code,
          message: exception.message,
          details: exception instanceof ValidationError ? exception.problems : [],
        },
      });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
      const code = status === 400 ? 'BAD_REQUEST' : status === 404 ? 'NOT_FOUND' : status === 413 ? 'PAYLOAD_TOO_LARGE' : `HTTP_${status}`;
      res.status(status).json({ error: { code, message, details: [] } });
      return;
    }
    this.logger?.event('error', 'unexpected error', { error: (exception as Error)?.message, stack: (exception as Error)?.stack });
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error', details: [] } });
  }
}

export class NotFoundError extends TongbanError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}
