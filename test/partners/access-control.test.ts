import { createConnection } from 'mysql2/promise';
import { example } from '../support/examples';
import { getCase, MYSQL, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

const ADMIN = 'test-admin-token-0123456789';

async function admin(stack: TestStack, method: string, path: string, body?: unknown, token = ADMIN) {
  const res = await fetch(`${stack.gatewayUrl}/v1/admin/api-keys${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { key: string; keyId: string } };
}

async function issue(stack: TestStack, systemName: string, division: string, extra: Record<string, unknown> = {}) {
  const r = await admin(stack, 'POST', '', { systemName, division, ...extra });
  expect(r.status).toBe(201);
  return r.body;
}

describe('API keys of municipal systems', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores keys only as salted hashes bound to a system and division', async () => {
    const issued = await issue(stack, 'chengdu-civil-affairs', '510100');
    expect(issued.key).toMatch(/^tbk_/);
    const conn = await createConnection({ ...MYSQL, database: stack.databases.gateway });
    try {
      const [rows] = await conn.query('SELECT * FROM api_keys WHERE key_id = ?', [issued.keyId]);
      const row = (rows as Array<Record<string, unknown>>)[0];
      expect(row).toMatchObject({ division: '510100', system_name: 'chengdu-civil-affairs', origin: 'issued' });
      expect(JSON.stringify(row)).not.toContain(issued.key.slice(21));
      const [all] = await conn.query('SELECT * FROM api_keys');
      expect(JSON.stringify(all)).not.toContain('dev-chengdu');
      expect((all as unknown[]).length).toBeGreaterThanOrEqual(7);
    } finally {
      await conn.end();
    }
  });

  it('refuses the admin endpoints without the admin token', async () => {
    expect((await admin(stack, 'GET', '', undefined, '')).status).toBe(401);
    expect((await admin(stack, 'GET', '', undefined, 'wrong-token-wrong-token')).status).toBe(403);
    expect((await admin(stack, 'GET', '')).status).toBe(200);
  });

  it('publishes only for its own division and reads only its region’s cases', async () => {
    const chengdu = await issue(stack, 'chengdu-civil-affairs', '510100');
    const jiulongpo = await issue(stack, 'jiulongpo-civil-affairs', '500107');
    const anyue = await issue(stack, 'anyue-civil-affairs', '512021');
    const body = example('SubsidyApplicationSubmitted', stack.id);
    const accepted = await post(stack, body, chengdu.key);
    expect(accepted.status).toBe(202);

    const forDazu = example('SubsidyApplicationAcknowledged', stack.id);
    const refused = await post(stack, forDazu, chengdu.key);
    expect(refused.status).toBe(403);
    expect((refused.body.error as { code: string }).code).toBe('FORBIDDEN_REGION');
    expect((await post(stack, body, jiulongpo.key)).status).toBe(403);

    await waitFor(async () => ((await getCase(stack, body.caseId, chengdu.key)).status === 200 ? true : undefined), 'the case at the Chengdu node');
    await waitFor(async () => ((await getCase(stack, body.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case at the Dazu node');
    expect((await getCase(stack, body.caseId, jiulongpo.key)).status).toBe(404);
    expect((await getCase(stack, body.caseId, anyue.key)).status).toBe(404);
  });

  it('answers 429 with Retry-After once a key has spent its bucket', async () => {
    const limited = await issue(stack, 'chatty-system', '510100', { ratePerSecond: 1, burst: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await post(stack, { eventType: 'Nope' }, limited.key);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses.slice(3)).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another key has its own bucket.
    expect((await post(stack, { eventType: 'Nope' }, 'dev-chengdu')).status).toBe(400);
  });

  it('keeps a rotated key valid for the overlap, then only the new one works', async () => {
    const old = await issue(stack, 'dazu-civil-affairs', '500111');
    const rotated = await admin(stack, 'POST', `/${old.keyId}/rotate`, { overlapSeconds: 2 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.rotatedFrom).toBe(old.keyId);
    expect(rotated.body.division).toBe('500111');
    const probe = (key: string) => post(stack, { eventType: 'Nope' }, key).then((r) => r.status);
    expect(await probe(old.key)).toBe(400);
    expect(await probe(rotated.body.key)).toBe(400);
    await waitFor(async () => ((await probe(old.key)) === 401 ? true : undefined), 'the old key to expire', 10_000, 250);
    expect(await probe(rotated.body.key)).toBe(400);
  });

  it('refuses a revoked key at once', async () => {
    const key = await issue(stack, 'to-be-revoked', '510100');
    expect((await post(stack, { eventType: 'Nope' }, key.key)).status).toBe(400);
    const revoked = await admin(stack, 'POST', `/${key.keyId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('revoked');
    const r = await post(stack, { eventType: 'Nope' }, key.key);
    expect(r.status).toBe(401);
    expect((await getCase(stack, 'ANY-CASE', key.key)).status).toBe(401);
  });
});
