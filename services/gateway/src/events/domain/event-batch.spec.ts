import { ForbiddenRegionError, UnauthenticatedError } from '@tongban/auth';
import { UnavailableError, ValidationError } from '@tongban/errors';
import { IdempotencyConflictError } from '../application/accept-event.service';
import { errorAnswerOf } from '../infrastructure/error-answer';
import { AcceptedAnswer, batchResults, MAX_BATCH_EVENTS, splitBatch } from './event-batch';

const event = (caseId: string) => ({ eventType: 'SubsidyApplicationSubmitted', caseId, payload: {} });

describe('splitting a batch body', () => {
  it.each([
    ['an object', { eventType: 'SubsidyApplicationSubmitted' }, false, 'body must be a JSON array of 1–500 event requests'],
    ['a string', 'events', false, 'body must be a JSON array of 1–500 event requests'],
    ['nothing', undefined, false, 'body must be a JSON array of 1–500 event requests'],
    ['an empty array', [], false, 'holds no event; a batch holds 1–500'],
    ['501 events', Array.from({ length: 501 }, (_, i) => event(`c-${i}`)), true, 'holds 501 events; a batch holds at most 500'],
  ])('refuses %s as a whole', (_what, body, tooMany, problem) => {
    expect(splitBatch(body)).toEqual({ ok: false, tooMany, problem: { path: '', problem } });
  });

  it('takes 500 events, in order', () => {
    const split = splitBatch(Array.from({ length: MAX_BATCH_EVENTS }, (_, i) => event(`c-${i}`)));
    expect(split.ok && split.items.map((i) => (i.body as { caseId: string }).caseId)).toEqual(Array.from({ length: 500 }, (_, i) => `c-${i}`));
  });

  it('takes each item’s idempotencyKey out of its request, whatever its value, and leaves the request otherwise as sent', () => {
    const split = splitBatch([
      { ...event('a'), idempotencyKey: 'k-1' },
      event('b'),
      { ...event('c'), idempotencyKey: 42 },
      { ...event('d'), idempotencyKey: undefined },
      'not an object',
      null,
      [event('e')],
    ]);
    expect(split).toEqual({
      ok: true,
      items: [
        { body: event('a'), idempotencyKey: 'k-1' },
        { body: event('b') },
        { body: event('c'), idempotencyKey: 42 },
        { body: event('d'), idempotencyKey: undefined },
        { body: 'not an object' },
        { body: null },
        { body: [event('e')] },
      ],
    });
  });
});

describe('the 207 answer', () => {
  const accepted = (eventId: string, replayed = false): PromiseSettledResult<AcceptedAnswer> => ({
    status: 'fulfilled',
    value: { eventId, caseId: `case-${eventId}`, correlationId: `corr-${eventId}`, replayed },
  });
  const refused = (reason: unknown): PromiseSettledResult<AcceptedAnswer> => ({ status: 'rejected', reason });

  it('gives one result per item in order: 202 with the event, or the status and error body of POST /v1/events', () => {
    const results = batchResults(
      [
        accepted('e1'),
        refused(new ValidationError([{ path: 'payload.applicant.idNumber', problem: 'check character is 3, expected 2' }])),
        refused(new ForbiddenRegionError('key for division 510100 may not publish for 500111')),
        accepted('e0', true),
        refused(new IdempotencyConflictError('k-1')),
      ],
      errorAnswerOf,
    );
    expect(
      results.map((r) => ({ index: r.index, status: r.status, code: r.problem?.code, legacy: r.error?.code, eventId: r.eventId, replayed: r.replayed })),
    ).toEqual([
      { index: 0, status: 202, code: undefined, legacy: undefined, eventId: 'e1', replayed: undefined },
      { index: 1, status: 400, code: 'REQUEST.INVALID', legacy: 'VALIDATION_FAILED', eventId: undefined, replayed: undefined },
      { index: 2, status: 403, code: 'AUTH.FORBIDDEN_REGION', legacy: 'FORBIDDEN_REGION', eventId: undefined, replayed: undefined },
      { index: 3, status: 202, code: undefined, legacy: undefined, eventId: 'e0', replayed: true },
      { index: 4, status: 409, code: 'GATEWAY.IDEMPOTENCY_CONFLICT', legacy: 'IDEMPOTENCY_CONFLICT', eventId: undefined, replayed: undefined },
    ]);
    // A refused item carries the whole problem of the single call, its problems per field included.
    expect(results[1].problem).toEqual({
      type: 'https://tongban.example/problems/request/invalid',
      title: expect.any(String),
      status: 400,
      detail: '1 problem(s) in the input',
      code: 'REQUEST.INVALID',
      problems: [{ path: 'payload.applicant.idNumber', problem: 'check character is 3, expected 2' }],
    });
    expect(results[0]).toEqual({ index: 0, status: 202, eventId: 'e1', caseId: 'case-e1', correlationId: 'corr-e1' });
  });
});

describe('errorAnswerOf', () => {
  it.each([
    [new ValidationError([{ path: 'caseId', problem: 'is required' }]), 400, 'REQUEST.INVALID'],
    [new UnauthenticatedError('unknown API key'), 401, 'AUTH.UNAUTHENTICATED'],
    [new ForbiddenRegionError('no'), 403, 'AUTH.FORBIDDEN_REGION'],
    [new IdempotencyConflictError('k'), 409, 'GATEWAY.IDEMPOTENCY_CONFLICT'],
    [new UnavailableError('the database'), 503, 'DEPENDENCY.UNAVAILABLE'],
    [new Error('a bug'), 500, 'SERVICE.INTERNAL'],
  ])('answers %p as every route of the gateway answers it', (error, status, code) => {
    expect(errorAnswerOf(error)).toMatchObject({ status, body: { status, code } });
  });
});
