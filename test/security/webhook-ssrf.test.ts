import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localSecret } from '@tongban/config';
import { kafkaCredentialsFile } from '@tongban/kafka';
import { example } from '../support/examples';
import { BROKERS, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';
import { dropProvinceRedisUser, ensureProvinceRedisUser } from '../../tools/stack/redis-users';
import { ADMIN_TOKEN, startDelivery } from '../partners/partner-support';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A loopback HTTP server that counts what reaches it; `answer` decides the reply. */
async function target(answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200 })) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('attack: webhook subscriptions aimed at internal addresses', () => {
  let stack: TestStack;
  let strict: Awaited<ReturnType<typeof startDelivery>>;
  let local: Awaited<ReturnType<typeof startDelivery>>;
  let production: Awaited<ReturnType<typeof startDelivery>>;
  let inside: Awaited<ReturnType<typeof target>>;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN } });
    inside = await target();
    const fast = { TONGBAN_DELIVERY_RETRY_WINDOW_SECONDS: '2', TONGBAN_DELIVERY_BACKOFF_INITIAL_MS: '100', TONGBAN_DELIVERY_BACKOFF_MAX_MS: '300' };
    // Development without loopback enabled, development with it (a developer's local receiver), and production.
    strict = await startDelivery(stack, {
      ...fast,
      TONGBAN_DELIVERY_ALLOW_HTTP: 'true',
      TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'false',
      TONGBAN_DELIVERY_GROUP: `${stack.namespace}.delivery-strict`,
    });
    local = await startDelivery(stack, {
      ...fast,
      TONGBAN_DELIVERY_GROUP: `${stack.namespace}.delivery-local`,
      TONGBAN_DELIVERY_DATABASE: `tb_${stack.id}_delivery_local`,
    });
    const kafka = kafkaCredentialsFile(BROKERS)?.content;
    // Production takes no development secret: delivery reaches Redis as a user of its own, confined to its keys.
    const redisUser = {
      username: `${stack.namespace}-prod`,
      password: randomBytes(18).toString('base64url'),
      keyPrefix: stack.env.TONGBAN_REDIS_PREFIX ?? stack.namespace,
    };
    await ensureProvinceRedisUser(redisUser);
    stops.push(() => dropProvinceRedisUser(redisUser.username));
    production = await startDelivery(stack, {
      TONGBAN_PROFILE: 'production',
      TONGBAN_DELIVERY_ALLOW_LOOPBACK: '',
      TONGBAN_DELIVERY_DATABASE: `tb_${stack.id}_delivery_prod`,
      TONGBAN_DELIVERY_GROUP: `${stack.namespace}.delivery-prod`,
      TONGBAN_API_KEY_ID_KEY: localSecret('api-key-id-key'),
      TONGBAN_DELIVERY_SECRET_KEY: 'delivery-secret-key-from-the-store',
      TONGBAN_AUDIT_PERSON_KEY: 'audit-person-key-from-the-store',
      TONGBAN_MYSQL_PASSWORD: '',
      TONGBAN_KAFKA_USERNAME: kafka?.defaultUser ?? 'admin',
      TONGBAN_KAFKA_PASSWORD: kafka?.users?.[kafka?.defaultUser ?? 'admin'] ?? '',
      TONGBAN_SCHEMA_REGISTRY_USERNAME: stack.registryAuth.username,
      TONGBAN_SCHEMA_REGISTRY_PASSWORD: stack.registryAuth.password,
      TONGBAN_REDIS_USERNAME: redisUser.username,
      TONGBAN_REDIS_PASSWORD: redisUser.password,
    });
    stops.unshift(
      () => production.stop(),
      () => local.stop(),
      () => strict.stop(),
      () => inside.close(),
    );
  });
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    await stack?.stop();
  });

  async function issueKey(systemName: string, division = '500111'): Promise<{ key: string; keyId: string }> {
    const res = await fetch(`${stack.gatewayUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ systemName, division }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { key: string; keyId: string };
  }

  async function subscribe(service: { url: string }, key: string, url: string) {
    const res = await fetch(`${service.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ url, eventTypes: ['SubsidyApplicationSubmitted'], region: '500111' }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  async function publish(suffix: string): Promise<string> {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-${suffix}`);
    body.occurredAt = new Date().toISOString();
    const r = await post(stack, body, 'dev-chengdu');
    expect(r.status).toBe(202);
    return r.body.eventId as string;
  }

  async function deliveryOf(service: { url: string }, key: string, caseSuffix: string) {
    const res = await fetch(
      `${service.url}/v1/deliveries?caseId=${encodeURIComponent(`${example('SubsidyApplicationSubmitted', `${stack.id}-${caseSuffix}`).caseId}`)}`,
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
    return ((await res.json()) as { deliveries: Array<Record<string, unknown>> }).deliveries[0];
  }

  it.each([
    ['127.0.0.1 (loopback not enabled)', () => `http://127.0.0.1:${inside.port}/hook`, /loopback address/],
    ['localhost, a name that resolves to loopback', () => `http://localhost:${inside.port}/hook`, /loopback address/],
    ['[::1]', () => `http://[::1]:${inside.port}/hook`, /loopback address/],
    ['[::ffff:127.0.0.1], IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${inside.port}/hook`, /loopback address/],
    ['0.0.0.0', () => `http://0.0.0.0:${inside.port}/hook`, /unspecified address/],
    ['169.254.169.254, the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /metadata address/],
    ['[fd00:ec2::254], the IPv6 metadata address', () => 'http://[fd00:ec2::254]/latest/meta-data/', /metadata address/],
    ['10.0.0.1, a private address', () => 'http://10.0.0.1/hook', /private address/],
    ['172.16.5.4, a private address', () => 'http://172.16.5.4/hook', /private address/],
    ['192.168.1.1, a private address', () => 'http://192.168.1.1/hook', /private address/],
    ['100.64.0.1, carrier-grade NAT', () => 'http://100.64.0.1/hook', /private address/],
  ])('subscribing to %s answers 400 naming the url, and nothing is stored', async (_what, url, problem) => {
    const { key } = await issueKey(`ssrf-${Math.random().toString(36).slice(2, 8)}`);
    const r = await subscribe(strict, key, url());
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([{ path: 'url', problem: expect.stringMatching(problem) }]);
    const list = await fetch(`${strict.url}/v1/subscriptions`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await list.json()) as { subscriptions: unknown[] }).subscriptions).toEqual([]);
    expect(inside.hits).toEqual([]);
  });

  it('in production, plain http answers 400 "must be https", and https to loopback is still refused', async () => {
    const { key } = await issueKey('ssrf-production');
    const http = await subscribe(production, key, 'http://partner.example.org/hook');
    expect(http.status).toBe(400);
    expect(http.body.error.details).toEqual([{ path: 'url', problem: 'must be https' }]);
    const loop = await subscribe(production, key, `https://127.0.0.1:${inside.port}/hook`);
    expect(loop.status).toBe(400);
    expect(loop.body.error.details[0].problem).toMatch(/loopback address/);
  });

  it('a receiver that redirects to another loopback service is not followed; lastError says so, not the receiver’s words', async () => {
    const other = await target();
    const redirector = await target(() => ({ status: 302, headers: { location: `http://127.0.0.1:${other.port}/admin` }, body: 'secret internal page' }));
    stops.push(
      () => other.close(),
      () => redirector.close(),
    );
    const { key } = await issueKey('ssrf-redirect');
    expect((await subscribe(local, key, `http://127.0.0.1:${redirector.port}/hook`)).status).toBe(201);
    await publish('redirect');
    const parked = await waitFor(
      async () => {
        const d = await deliveryOf(local, key, 'redirect');
        return d?.state === 'parked' ? d : undefined;
      },
      'the delivery parked after its retry window',
      30_000,
    );
    expect(redirector.hits.length).toBeGreaterThan(0);
    expect(other.hits).toEqual([]);
    expect(parked).toMatchObject({ lastStatus: 302, lastError: 'refused: redirect not followed' });
  });

  it('a receiver that fails with an internal error page: lastError is "receiver answered 500", not the page', async () => {
    const failing = await target(() => ({ status: 500, body: 'stack trace of the internal service at 10.1.2.3' }));
    stops.push(() => failing.close());
    const { key } = await issueKey('ssrf-verbatim');
    expect((await subscribe(local, key, `http://127.0.0.1:${failing.port}/hook`)).status).toBe(201);
    await publish('verbatim');
    const d = await waitFor(
      async () => {
        const found = await deliveryOf(local, key, 'verbatim');
        return found?.lastError ? found : undefined;
      },
      'an attempt',
      30_000,
    );
    expect(d.lastError).toBe('receiver answered 500');
    expect(JSON.stringify(d)).not.toContain('stack trace');
  });

  it('a subscription made while loopback was allowed is refused at connect time once it is not', async () => {
    // The same subscription row, read by a delivery that does not allow loopback: checked again at every connect.
    const receiver = await target();
    stops.push(() => receiver.close());
    const { key } = await issueKey('ssrf-connect');
    const allowed = await startDelivery(stack, {
      TONGBAN_DELIVERY_GROUP: `${stack.namespace}.delivery-connect-a`,
      TONGBAN_DELIVERY_DATABASE: `tb_${stack.id}_delivery_connect`,
    });
    expect((await subscribe(allowed, key, `http://127.0.0.1:${receiver.port}/hook`)).status).toBe(201);
    // `allowed` reads the inboxes from the beginning: the events published by the tests above match this
    // subscription too, and while loopback is allowed it may deliver them. Only what reaches the receiver
    // once `allowed` is closed (its worker waits for the jobs it runs) counts.
    await allowed.app.close();
    const whileAllowed = receiver.hits.length;
    const refusing = await startDelivery(stack, {
      TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'false',
      TONGBAN_DELIVERY_GROUP: `${stack.namespace}.delivery-connect-b`,
      TONGBAN_DELIVERY_DATABASE: `tb_${stack.id}_delivery_connect`,
      TONGBAN_DELIVERY_RETRY_WINDOW_SECONDS: '1',
      TONGBAN_DELIVERY_BACKOFF_INITIAL_MS: '100',
    });
    stops.push(() => refusing.stop());
    await publish('connect');
    const d = await waitFor(
      async () => {
        const found = await deliveryOf(refusing, key, 'connect');
        return found?.lastError ? found : undefined;
      },
      'an attempt',
      30_000,
    );
    expect(d.lastError).toBe('refused: loopback address');
    expect(receiver.hits.slice(whileAllowed)).toEqual([]);
  });
});

describe('attack: many subscriptions, and subscriptions of a revoked key', () => {
  let stack: TestStack;
  let delivery: Awaited<ReturnType<typeof startDelivery>>;
  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN } });
    delivery = await startDelivery(stack, {
      TONGBAN_DELIVERY_MAX_SUBSCRIPTIONS_PER_KEY: '3',
      TONGBAN_DELIVERY_RETRY_WINDOW_SECONDS: '2',
      TONGBAN_DELIVERY_BACKOFF_INITIAL_MS: '100',
      TONGBAN_DELIVERY_BACKOFF_MAX_MS: '300',
    });
  });
  afterAll(async () => {
    await delivery?.stop();
    await stack?.stop();
  });

  const admin = (path: string, body?: unknown) =>
    fetch(`${stack.gatewayUrl}/v1/admin/api-keys${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify(body ?? {}),
    });
  const subscribe = (key: string, url: string) =>
    fetch(`${delivery.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ url, eventTypes: ['SubsidyApplicationSubmitted'], region: '500111' }),
    });

  it('a fourth subscription with a key capped at 3 answers 409; deleting one makes room', async () => {
    const { key } = (await (await admin('', { systemName: 'cap-partner', division: '500111' })).json()) as { key: string };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await subscribe(key, `http://127.0.0.1:9/hook-${i}`);
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { subscriptionId: string }).subscriptionId);
    }
    const fourth = await subscribe(key, 'http://127.0.0.1:9/hook-3');
    expect(fourth.status).toBe(409);
    expect(((await fourth.json()) as { error: { message: string } }).error.message).toMatch(/already holds 3 subscriptions/);
    await fetch(`${delivery.url}/v1/subscriptions/${ids[0]}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    expect((await subscribe(key, 'http://127.0.0.1:9/hook-3')).status).toBe(201);
  });

  it('after the key is revoked, its subscription gets no further delivery', async () => {
    const receiver = await target();
    try {
      const { key, keyId } = (await (await admin('', { systemName: 'revoked-partner', division: '500111' })).json()) as { key: string; keyId: string };
      const subscribed = await subscribe(key, `http://127.0.0.1:${receiver.port}/hook`);
      expect(subscribed.status).toBe(201);
      const { subscriptionId } = (await subscribed.json()) as { subscriptionId: string };
      const first = example('SubsidyApplicationSubmitted', `${stack.id}-before-revoke`);
      first.occurredAt = new Date().toISOString();
      expect((await post(stack, first, 'dev-chengdu')).status).toBe(202);
      await waitFor(async () => (receiver.hits.length === 1 ? true : undefined), 'the delivery before revocation', 30_000);
      expect((await admin(`/${keyId}/revoke`)).status).toBe(200);
      const second = example('SubsidyApplicationSubmitted', `${stack.id}-after-revoke`);
      second.occurredAt = new Date().toISOString();
      expect((await post(stack, second, 'dev-chengdu')).status).toBe(202);
      const parked = await waitFor(
        async () => {
          const res = await fetch(`${delivery.url}/v1/deliveries?caseId=${encodeURIComponent(second.caseId)}`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          // Other subscriptions of this stack (the capped partner's) get the same event: look at this one's.
          const d = ((await res.json()) as { deliveries: Array<Record<string, unknown>> }).deliveries.find((x) => x.subscriptionId === subscriptionId);
          return d?.state === 'parked' ? d : undefined;
        },
        'the delivery after revocation parked',
        30_000,
      );
      expect(parked.lastError).toBe('refused: key revoked or expired');
      expect(receiver.hits.length).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
