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
    expect(r?.body).toMatchObject({ status: 400, problems: [{ path }], error: { code: 'VALIDATION_FAILED', details: [{ path }] } });
  });

  it('answers 413 for a body over the limit and 400 for one that is not JSON', () => {
    expect(bodyParserRefusal({ type: 'entity.too.large', status: 413 })).toMatchObject({
      status: 413,
      body: {
        status: 413,
        code: 'REQUEST.BODY_TOO_LARGE',
        type: 'https://tongban.example/problems/request/body-too-large',
        error: { code: 'PAYLOAD_TOO_LARGE' },
      },
    });
    expect(bodyParserRefusal({ type: 'entity.parse.failed', status: 400 })?.status).toBe(400);
    expect(bodyParserRefusal({ type: 'entity.parse.failed', status: 400 })?.body.code).toBe('REQUEST.MALFORMED_JSON');
    expect(bodyParserRefusal({ type: 'charset.unsupported', status: 415, message: 'unsupported charset "LATIN-9"' })).toMatchObject({
      status: 415,
      body: { code: 'REQUEST.UNSUPPORTED_ENCODING' },
    });
    expect(bodyParserRefusal({ status: 405, message: 'no' })).toMatchObject({
      status: 405,
      body: { status: 405, code: 'REQUEST.REFUSED', error: { code: 'HTTP_405' } },
    });
    expect(bodyParserRefusal(new Error('database down'))).toBeUndefined();
  });
});
