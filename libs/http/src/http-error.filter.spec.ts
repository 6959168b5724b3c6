import type { ArgumentsHost } from '@nestjs/common';
import { OverloadedError, UnavailableError, ValidationError } from '@tongban/errors';
import { DEPENDENCY_RETRY_AFTER_SECONDS, HttpErrorFilter } from './http-error.filter';

/** A response that keeps what the filter set. */
function answer(exception: unknown) {
  const headers: Record<string, string> = {};
  const res = {
    locals: {} as Record<string, unknown>,
    statusCode: 0,
    body: undefined as unknown,
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    getHeader: (name: string) => headers[name.toLowerCase()],
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return { status: res.statusCode, body: res.body, retryAfter: headers['retry-after'] };
}

describe('HttpErrorFilter', () => {
  it.each([
    ['a full queue', new OverloadedError('the write queue', 2), 503, 'OVERLOADED', '2'],
    ['an unavailable dependency', new UnavailableError('MySQL'), 503, 'DEPENDENCY_UNAVAILABLE', String(DEPENDENCY_RETRY_AFTER_SECONDS)],
    ['bad input', new ValidationError([{ path: 'caseId', problem: 'required' }]), 400, 'VALIDATION_FAILED', undefined],
  ])('answers %s with its status, code and Retry-After', (_name, exception, status, code, retryAfter) => {
    const a = answer(exception);
    expect(a.status).toBe(status);
    expect(a.body).toMatchObject({ error: { code } });
    expect(a.retryAfter).toBe(retryAfter);
  });
});
