import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import type { JsonLogger } from '@tongban/observability';
import { RegistryApiError } from '../domain/registry-errors';
import { sendApiError, sendRegistryError } from './registry-http';

/** Answers every error as Confluent does: `{ "error_code": n, "message": "..." }`. */
@Catch()
export class RegistryErrorFilter implements ExceptionFilter {
  constructor(private readonly logger?: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof RegistryApiError) {
      if (exception.httpStatus >= 500) this.logger?.event('error', 'registry request failed', { code: exception.errorCode, error: exception.message });
      sendApiError(res, exception);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      sendRegistryError(res, status, status, exception.message);
      return;
    }
    this.logger?.event('error', 'unexpected error', { error: (exception as Error)?.message, stack: (exception as Error)?.stack });
    sendRegistryError(res, 500, 500, 'Internal server error');
  }
}
