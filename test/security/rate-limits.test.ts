import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';
import { api, OPERATORS, TOKENS } from '../ops/ops-support';
import { createOpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { testLogger } from '../support/test-stack';
import { dropDatabase } from '@tongban/persistence';
import { MYSQL } from '../support/test-stack';
import { ADMIN_TOKEN, startDelivery } from '../partners/partner-support';

/** Every test here attacks from 127.0.0.1, so each service under attack gets its own instance. */
describe('attack: flood the gateway with a configured key', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_RATE_LIMIT_PER_SECOND: '1', TONGBAN_RATE_LIMIT_BURST: '3' } });
  });
  afterAll(() => stack?.stop());

  it('a key from TONGBAN_API_KEYS sending faster than its limit gets 429 with Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-flood-${i}`), 'dev-chengdu')),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(4);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The limit is the key's: another configured key still publishes.
    expect((await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-other-key`), 'dev-sichuan')).status).toBe(202);
  });
});

describe('attack: guess API keys and tokens from one address', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_AUTH_FAILURES_PER_MINUTE: '5', TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN } });
  });
  afterAll(() => stack?.stop());

  it('gateway: after 5 wrong keys and admin tokens in a minute, even a right key gets 429 with Retry-After; /health still answers', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-guess`);
    for (let i = 0; i < 3; i++) expect((await post(stack, body, `guessed-key-${i}`)).status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${stack.gatewayUrl}/v1/admin/api-keys`, { headers: { authorization: `Bearer guessed-admin-token-${i}` } });
      expect(res.status).toBe(403);
    }
    const refused = await post(stack, body, 'dev-chengdu');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${stack.gatewayUrl}/health`)).status).not.toBe(429);
  });

  it('ops: after 5 wrong operator tokens the address gets 429, even with the admin’s token', async () => {
    const database = `tb_${stack.id}_ops`;
    const ops = await createOpsApp(
      readOpsConfig({ ...stack.env, TONGBAN_OPS_DATABASE: database, TONGBAN_OPERATORS: OPERATORS, TONGBAN_AUTH_FAILURES_PER_MINUTE: '5' }),
      testLogger('ops'),
    );
    try {
      const url = await ops.start(0, '127.0.0.1');
      for (let i = 0; i < 5; i++) expect((await api({ url }, 'GET', '/v1/dlq', `guessed-token-${i}`)).status).toBe(401);
      const refused = await fetch(`${url}/v1/dlq`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await ops.close();
      await dropDatabase(MYSQL, database);
    }
  });

  it('delivery: after 5 wrong partner keys the address gets 429', async () => {
    const delivery = await startDelivery(stack, { TONGBAN_AUTH_FAILURES_PER_MINUTE: '5' });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${delivery.url}/v1/subscriptions`, { headers: { authorization: `Bearer guessed-partner-key-${i}` } });
        expect(res.status).toBe(401);
      }
      const refused = await fetch(`${delivery.url}/v1/subscriptions`, { headers: { authorization: 'Bearer dev-dazu' } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await delivery.stop();
    }
  });
});
