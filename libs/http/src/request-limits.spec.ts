import { bodyParserRefusal, requestLimitProblem } from './request-limits';

describe('request limits', () => {
  const ok = { url: '/v1/events', headers: {} };

  it('lets an ordinary request pass', () => {
    expect(requestLimitProblem(ok)).toBeUndefined();
    expect(requestLimitProblem({ ...ok, headers: { 'x-correlation-id': 'chengdu-2026-000123' } })).toBeUndefined();
  });

  it.each([
    ['an over-long URL', { url: `/v1/cases/${'x'.repeat(3000)}`, headers: {} }, 'url'],
    ['a 129-character correlation id', { ...ok, headers: { 'x-correlation-id': 'c'.repeat(129) } }, 'X-Correlation-Id'],
    ['a correlation id with spaces and quotes', { ...ok, headers: { 'x-correlation-id': 'a b"c' } }, 'X-Correlation-Id'],
  ])('refuses %s with 400', (_what, req, path) => {
    const r = requestLimitProblem(req);
    expect(r?.status).toBe(400);
    expect(r?.body.error.details[0].path).toBe(path);
  });

  it('answers 413 for a body over the limit and 400 for one that is not JSON', () => {
    expect(bodyParserRefusal({ type: 'entity.too.large', status: 413 })).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(bodyParserRefusal({ type: 'entity.parse.failed', status: 400 })?.status).toBe(400);
    expect(bodyParserRefusal(new Error('database down'))).toBeUndefined();
  });
});
