import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { isDependencyFailure, isTransientConflict, TongbanError } from '@tongban/errors';
import type { JsonLogger } from '@tongban/observability';
import { problemDetails, problemOf, sendProblem } from './problem-details';

/** Seconds a client is asked to wait when a dependency (database, cache, registry) is down: 503 with Retry-After. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** The codes of the HTTP framework's own refusals (an unknown route, a body the parser refused …), by status. */
const FRAMEWORK_CODES: Record<number, string> = {
  400: 'REQUEST.BAD_REQUEST',
  404: 'REQUEST.ROUTE_NOT_FOUND',
  409: 'REQUEST.CONFLICT',
  413: 'REQUEST.BODY_TOO_LARGE',
};

/**
 * Answers every error as an RFC 9457 problem (`application/problem+json`): `{ type, title, status, detail,
 * code, problems?, error }`, the status following from the error's kind alone. `error` is the deprecated
 * body of before (`{ code, message, details }`), kept for the clients that read it.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger?: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (isDependencyFailure(exception)) {
      // The database or another dependency is unreachable: nothing was accepted, the client may try again.
      this.logger?.event('warn', 'request refused: a dependency is unavailable', { error: (exception as Error)?.message });
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      sendProblem(res, problemDetails({ code: 'DEPENDENCY.UNAVAILABLE', detail: 'a dependency of this service is unavailable; try again later' }));
      return;
    }
    if (isTransientConflict(exception)) {
      // A deadlock's victim or a lock wait that timed out: its transaction was rolled back whole.
      this.logger?.event('warn', 'request refused: lost a lock conflict in the database', { error: (exception as Error)?.message });
      res.setHeader('Retry-After', '1');
      sendProblem(
        res,
        problemDetails({
          code: 'DEPENDENCY.CONFLICT',
          detail: 'the database gave this request up in a lock conflict with concurrent work; nothing was done, try again',
        }),
      );
      return;
    }
    if (exception instanceof TongbanError) {
      // A wrong credential answered other than 401 still counts against the caller's address.
      if ((exception as { failedAuthentication?: boolean }).failedAuthentication) res.locals.tongbanFailedAuth = true;
      const problem = problemOf(exception);
      if ((problem.status === 503 || problem.status === 429) && !res.getHeader('Retry-After')) {
        const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        if (typeof retryAfter === 'number' && retryAfter > 0) res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
        else if (problem.status === 503) res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      }
      if (problem.status === 401 && !res.getHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="tongban"');
      if (exception.code === 'SERVICE.OVERLOADED') this.logger?.event('warn', 'request refused: the service is at capacity', { error: exception.message });
      else if (problem.status >= 500) this.logger?.event('error', 'request failed', { code: exception.code, error: exception.message });
      sendProblem(res, problem);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
      const code = FRAMEWORK_CODES[status] ?? 'REQUEST.REFUSED';
      const legacyCode = status === 400 ? 'BAD_REQUEST' : status === 404 ? 'NOT_FOUND' : status === 413 ? 'PAYLOAD_TOO_LARGE' : `HTTP_${status}`;
      sendProblem(res, problemDetails({ code, detail, status, legacyCode }));
      return;
    }
    this.logger?.event('error', 'unexpected error', { error: (exception as Error)?.message, stack: (exception as Error)?.stack });
    sendProblem(res, problemDetails({ code: 'SERVICE.INTERNAL', detail: 'internal error' }));
  }
}

/** Nothing there, or nothing the caller may see (the same answer). `code` names what was looked for. */
export class NotFoundError extends TongbanError {
  constructor(message: string, code = 'REQUEST.NOT_FOUND') {
    super(code, message, false, { kind: 'NotFound' });
  }
}
