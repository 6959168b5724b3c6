import { ArgumentsHost, ConflictException, NotFoundException } from '@nestjs/common';
import { ERROR_KINDS, type ErrorKind, OverloadedError, TongbanError, UnavailableError, ValidationError } from '@tongban/errors';
import { DEPENDENCY_RETRY_AFTER_SECONDS, HttpErrorFilter, NotFoundError } from './http-error.filter';
import { STATUS_OF_KIND } from './problem-details';

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
    send(body: string) {
      this.body = JSON.parse(body);
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return { status: res.statusCode, body: res.body as Record<string, unknown>, headers };
}

describe('HttpErrorFilter', () => {
  it.each<[ErrorKind, number]>([
    ['Invalid', 400],
    ['Unauthenticated', 401],
    ['Forbidden', 403],
    ['NotFound', 404],
    ['Conflict', 409],
    ['TooLarge', 413],
    ['UnsupportedMediaType', 415],
    ['Unprocessable', 422],
    ['RateLimited', 429],
    ['Internal', 500],
    ['Unavailable', 503],
  ])('answers an error of kind %s with %i, whatever its code', (kind, status) => {
    // A code no entry knows: the status comes from the kind alone.
    const a = answer(new TongbanError('SOMEWHERE.SOMETHING_WENT_WRONG', 'it went wrong', kind === 'Unavailable', { kind }));
    expect(a.status).toBe(status);
    expect(a.body).toMatchObject({
      status,
      code: 'SOMEWHERE.SOMETHING_WENT_WRONG',
      type: 'https://tongban.example/problems/somewhere/something-went-wrong',
      detail: 'it went wrong',
    });
  });

  it('has a status for every kind', () => {
    expect(Object.keys(STATUS_OF_KIND).sort()).toEqual([...ERROR_KINDS].sort());
  });

  it.each([
    ['a registered code', new TongbanError('DELIVERY.NOT_PARKED', 'delivery 7 is sent'), 409, 'DELIVERY.NOT_PARKED', 'CONFLICT'],
    ['a not-found with its area', new NotFoundError('case X not found', 'CASE.NOT_FOUND'), 404, 'CASE.NOT_FOUND', 'NOT_FOUND'],
    ['a not-found without one', new NotFoundError('nothing'), 404, 'REQUEST.NOT_FOUND', 'NOT_FOUND'],
    ['an unregistered retriable code', new TongbanError('STORE_UNAVAILABLE', 'no store', true), 503, 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE'],
    ['an unregistered permanent code', new TongbanError('ILLEGAL_TRANSITION', 'no'), 500, 'ILLEGAL_TRANSITION', 'ILLEGAL_TRANSITION'],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'x')"), 500, 'SERVICE.INTERNAL', 'INTERNAL'],
    ['an unknown route', new NotFoundException('Cannot GET /nowhere'), 404, 'REQUEST.ROUTE_NOT_FOUND', 'NOT_FOUND'],
    ["the framework's conflict", new ConflictException('no partner'), 409, 'REQUEST.CONFLICT', 'HTTP_409'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      503,
      'DEPENDENCY.UNAVAILABLE',
      'DEPENDENCY_UNAVAILABLE',
    ],
  ])('answers %s as a problem with its code and the deprecated flat code', (_what, exception, status, code, legacy) => {
    const a = answer(exception);
    expect(a.status).toBe(status);
    expect(a.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(a.body).toMatchObject({ status, code, title: expect.any(String), error: { code: legacy, details: [] } });
    expect(a.body.detail).toBe((a.body.error as { message: string }).message);
  });

  it('lists the problems of a bad input in problems and in the deprecated error.details', () => {
    const problems = [
      { path: 'caseId', problem: 'required' },
      { path: 'payload.applicant.idNumber', problem: 'check character is 3, expected 2' },
    ];
    const a = answer(new ValidationError(problems));
    expect(a.body).toEqual({
      type: 'https://tongban.example/problems/request/invalid',
      title: 'The input breaks a rule; `problems` names each field',
      status: 400,
      detail: '2 problem(s) in the input',
      code: 'REQUEST.INVALID',
      problems,
      error: { code: 'VALIDATION_FAILED', message: '2 problem(s) in the input', details: problems },
    });
  });

  it('says nothing of an unexpected error but that it happened', () => {
    const a = answer(new Error('SELECT * FROM secrets failed at /srv/app.js:12'));
    expect(JSON.stringify(a.body)).not.toContain('secrets');
  });

  it.each([
    ['a full queue', new OverloadedError('the write queue', 2), 503, 'SERVICE.OVERLOADED', '2'],
    ['an unavailable dependency', new UnavailableError('MySQL'), 503, 'DEPENDENCY.UNAVAILABLE', String(DEPENDENCY_RETRY_AFTER_SECONDS)],
    [
      "a deadlock's victim (TypeORM's wrapping)",
      Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
        driverError: Object.assign(new Error('Deadlock'), { code: 'ER_LOCK_DEADLOCK' }),
      }),
      503,
      'DEPENDENCY.CONFLICT',
      '1',
    ],
    ['a rate limit with its wait', Object.assign(new TongbanError('AUTH.RATE_LIMITED', 'slow down'), { retryAfterSeconds: 3 }), 429, 'AUTH.RATE_LIMITED', '3'],
    ['bad input', new ValidationError([{ path: 'caseId', problem: 'required' }]), 400, 'REQUEST.INVALID', undefined],
  ])('answers %s with its status, code and Retry-After', (_name, exception, status, code, retryAfter) => {
    const a = answer(exception);
    expect(a.status).toBe(status);
    expect(a.body).toMatchObject({ code });
    expect(a.headers['retry-after']).toBe(retryAfter);
  });

  it('asks for a bearer credential with a 401', () => {
    expect(answer(new TongbanError('AUTH.UNAUTHENTICATED', 'missing Authorization')).headers['www-authenticate']).toBe('Bearer realm="tongban"');
    expect(answer(new TongbanError('AUTH.FORBIDDEN_REGION', 'not yours')).headers['www-authenticate']).toBeUndefined();
  });
});
