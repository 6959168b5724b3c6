import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';

describe('the gateway refuses bad input with every problem listed', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ regions: ['510000', '500000'], relay: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const details = (body: Record<string, unknown>) => (body.error as { details: Array<{ path: string; problem: string }> }).details;
  /** An RFC 9457 problem of `code`, with the deprecated `error` of before beside it. */
  const expectProblem = (r: { status: number; body: Record<string, unknown>; headers: Headers }, code: string, type: string) => {
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      type: `https://tongban.example/problems/${type}`,
      title: expect.any(String),
      status: r.status,
      code,
      detail: expect.any(String),
    });
    expect(r.body.detail).toBe((r.body.error as { message: string }).message);
  };

  it.each([
    ['an unknown event type', (b: Record<string, unknown>) => (b.eventType = 'SubsidyGranted'), 'eventType', 'unknown event type "SubsidyGranted"'],
    [
      'a malformed target region',
      (b: Record<string, unknown>) => (b.targetRegion = '50011'),
      'targetRegion',
      '"50011" is not a 6-digit administrative division code (GB/T 2260)',
    ],
    ['an unknown target region', (b: Record<string, unknown>) => (b.targetRegion = '500199'), 'targetRegion', 'division 500199 is not served by tongban'],
    [
      'an ID number with a bad check character',
      (b: { payload: { applicant: { idNumber: string } } }) => (b.payload.applicant.idNumber = '500111196804170023'),
      'payload.applicant.idNumber',
      'check character is 3, expected 2',
    ],
    ['a missing field', (b: { payload: Record<string, unknown> }) => delete b.payload.consentRef, 'payload.consentRef', 'is required'],
    ['a mistyped field', (b: { payload: Record<string, unknown> }) => (b.payload.subsidyTypes = 'LIVING'), 'payload.subsidyTypes', 'must be an array'],
    [
      'an enum value outside the set',
      (b: { payload: Record<string, unknown> }) => (b.payload.disabilityGrade = 'GRADE_5'),
      'payload.disabilityGrade',
      'must be one of GRADE_1, GRADE_2, GRADE_3, GRADE_4, got "GRADE_5"',
    ],
    [
      'an unknown field',
      (b: { payload: Record<string, unknown> }) => (b.payload.bankAccount = '6222020200001234567'),
      'payload.bankAccount',
      'is not a field of SubsidyApplicationSubmitted',
    ],
  ])('refuses %s with 400', async (_what, mutate, path, problem) => {
    const body = example('SubsidyApplicationSubmitted', stack.id);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    mutate(body as any);
    const r = await post(stack, body, 'dev-chengdu');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(details(r.body)).toContainEqual({ path, problem });
    expectProblem(r, 'REQUEST.INVALID', 'request/invalid');
    expect(r.body.problems).toContainEqual({ path, problem });
  });

  it('lists every problem of a request, not the first', async () => {
    const body = example('SubsidyApplicationSubmitted', stack.id) as Record<string, unknown> & { payload: Record<string, unknown> };
    body.sourceRegion = 'abc';
    body.occurredAt = 'yesterday';
    (body.payload.applicant as Record<string, string>).idNumber = '500111196804170023';
    delete body.payload.contactPhone;
    const r = await post(stack, body, 'dev-chengdu');
    expect(r.status).toBe(400);
    expect(
      details(r.body)
        .map((d) => d.path)
        .sort(),
    ).toEqual(['occurredAt', 'payload.applicant.idNumber', 'payload.contactPhone', 'sourceRegion']);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const r = await post(stack, '{"eventType":', 'dev-chengdu');
    expect(r.status).toBe(400);
    expect(r.body).toHaveProperty('error.code');
    expectProblem(r, 'REQUEST.MALFORMED_JSON', 'request/malformed-json');
  });

  it('answers 401 without a key and for an unknown key', async () => {
    const body = example('SubsidyApplicationSubmitted', stack.id);
    const none = await post(stack, body);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: 'missing Authorization: Bearer <api key>' } });
    const unknown = await post(stack, body, 'not-a-real-key');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: 'unknown API key' } });
    expectProblem(unknown, 'AUTH.UNAUTHENTICATED', 'auth/unauthenticated');
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('answers 403 when the key does not cover the source region', async () => {
    const body = example('SubsidyApplicationSubmitted', stack.id);
    const r = await post(stack, body, 'dev-dazu');
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: { code: 'FORBIDDEN_REGION', message: 'key for division 500111 may not publish for 510104' } });
    expectProblem(r, 'AUTH.FORBIDDEN_REGION', 'auth/forbidden-region');
  });

  it("answers a case it does not know with the node's 404 problem", async () => {
    const res = await fetch(`${stack.gatewayUrl}/v1/cases/SUB-510104-2026-${stack.id}`, { headers: { authorization: 'Bearer dev-chengdu' } });
    const r = { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    expect(r.status).toBe(404);
    expectProblem(r, 'CASE.NOT_FOUND', 'case/not-found');
    expect(r.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('answers a route it does not have with a 404 problem', async () => {
    const res = await fetch(`${stack.gatewayUrl}/v1/nowhere`, { headers: { authorization: 'Bearer dev-chengdu' } });
    const r = { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    expect(r.status).toBe(404);
    expectProblem(r, 'REQUEST.ROUTE_NOT_FOUND', 'request/route-not-found');
  });

  it('lets a province key publish for any of its districts', async () => {
    const r = await post(stack, example('SubsidyApplicationSubmitted', stack.id), 'dev-sichuan');
    expect(r.status).toBe(202);
  });
});
