import { errorCodeEntry } from '@tongban/errors';
import { statusOfCode } from '@tongban/http';
import { dependencyRefusal } from './dependency-refusal';

const refused = (status: number, body: Record<string, unknown>) =>
  dependencyRefusal('delivery service', { status, body }, 'TONGBAN_OPS_DELIVERY_TOKEN') as Error & { code: string; problems?: unknown };

describe('dependencyRefusal', () => {
  it('passes a registered refusal on under its code, saying who refused', () => {
    const e = refused(409, { code: 'DELIVERY.NOT_PARKED', detail: 'delivery 7 is delivered; only a parked delivery is redelivered' });
    expect(e.code).toBe('DELIVERY.NOT_PARKED');
    expect(statusOfCode(e.code)).toBe(409);
    expect(e.message).toBe('delivery service: delivery 7 is delivered; only a parked delivery is redelivered');
    expect(refused(404, { code: 'DELIVERY.NOT_FOUND', detail: 'no delivery 8' }).code).toBe('DELIVERY.NOT_FOUND');
  });

  it('keeps the problems of an invalid request', () => {
    const e = refused(400, { code: 'REQUEST.INVALID', detail: '1 problem(s)', problems: [{ path: 'limit', problem: 'must be 1–1000' }] });
    expect(e.code).toBe('REQUEST.INVALID');
    expect(e.problems).toEqual([{ path: 'limit', problem: 'must be 1–1000' }]);
  });

  it.each([
    [
      'a refused credential (never the operator’s token at fault)',
      401,
      { code: 'AUTH.UNAUTHENTICATED', detail: 'unknown key' },
      /check TONGBAN_OPS_DELIVERY_TOKEN/,
    ],
    ['a forbidden credential', 403, { code: 'AUTH.FORBIDDEN', detail: 'no' }, /check TONGBAN_OPS_DELIVERY_TOKEN/],
    ['a server error', 500, { code: 'INTERNAL.UNEXPECTED', detail: 'boom' }, /delivery service: boom/],
    ['an unknown code', 418, { code: 'TEAPOT.BREWING' }, /delivery service: HTTP 418/],
    ['a body without a code', 502, { detail: '<html>bad gateway' }, /bad gateway/],
  ])('answers %s as the dependency unavailable', (_name, status, body, message) => {
    const e = refused(status, body);
    expect(e.code).toBe('DEPENDENCY.UNAVAILABLE');
    expect(errorCodeEntry(e.code)).toBeDefined();
    expect(e.message).toMatch(message);
  });
});
