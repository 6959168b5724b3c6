import { createDataSource, mysqlProbe } from '@tongban/persistence';
import { example } from '../support/examples';
import { MYSQL, post, startTestStack, TestStack } from '../support/test-stack';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

/**
 * MariaDB lost without a word (a proxy in front of it carries nothing and closes nothing): requests
 * must not pile up waiting for it. Past TONGBAN_GATEWAY_MAX_IN_FLIGHT the gateway answers 503 at once;
 * a request admitted waits for a pool connection at most TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS; health
 * answers; every answer is 503 with Retry-After, never 500; and when the database is back the gateway
 * accepts again by itself.
 */
describe('MySQL hanging: bounded waiting', () => {
  let proxy: TcpProxy;
  let stack: TestStack;

  beforeAll(async () => {
    proxy = await new TcpProxy({ host: MYSQL.host, port: MYSQL.port }).start();
    stack = await startTestStack({
      relay: false,
      env: {
        TONGBAN_MYSQL_PORT: String(proxy.port),
        TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS: '1000',
        TONGBAN_MYSQL_CONNECT_TIMEOUT_MS: '1000',
        TONGBAN_GATEWAY_MAX_IN_FLIGHT: '15',
      },
    });
  });
  afterAll(async () => {
    await proxy?.restore();
    await stack?.stop();
    await proxy?.stop();
  });

  it('answers 503 with Retry-After while MySQL hangs, and accepts again when it is back', async () => {
    expect((await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-before`), 'dev-chengdu')).status).toBe(202);
    proxy.freeze();

    const answers: Array<{ status: number; code?: string; retryAfter: string | null }> = [];
    const requests = Array.from({ length: 30 }, (_, i) =>
      post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-during-${i}`), 'dev-chengdu').then((r) => {
        answers.push({ status: r.status, code: (r.body.error as { code?: string } | undefined)?.code, retryAfter: r.headers.get('retry-after') });
      }),
    );
    // Those beyond the in-flight limit are refused at once, those waiting for a connection after the acquire bound.
    await waitFor(
      async () => (answers.some((a) => a.code === 'OVERLOADED') && answers.some((a) => a.code === 'DEPENDENCY_UNAVAILABLE') ? true : undefined),
      'both refusals',
      30_000,
      100,
    );
    const health = await fetch(`${stack.gatewayUrl}/health`);
    expect(health.status).toBe(503);

    await proxy.restore();
    await Promise.all(requests);
    expect(answers).toHaveLength(30);
    for (const a of answers) {
      // Work that started after the database came back may be accepted; nothing is ever a 500.
      expect([202, 503]).toContain(a.status);
      if (a.status === 503) expect(a.retryAfter).toMatch(/^\d+$/);
    }

    const back = await waitFor(
      async () => {
        const r = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-after`), 'dev-chengdu');
        return r.status === 202 ? r : undefined;
      },
      'the gateway to accept again',
      30_000,
      250,
    );
    expect(back.status).toBe(202);
  });
});

/** The health probe asks MySQL on a connection of its own and never waits on a silent one past its bound. */
describe('MySQL hanging: the health probe', () => {
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await new TcpProxy({ host: MYSQL.host, port: MYSQL.port }).start();
  });
  afterAll(async () => {
    await proxy?.restore();
    await proxy?.stop();
  });

  it('answers, gives up on a silent database, and answers again when it is back', async () => {
    const ds = createDataSource({ mysql: { ...MYSQL, port: proxy.port }, database: 'information_schema', entities: [], migrations: [] });
    const probe = mysqlProbe(ds, { queueLimit: 10, acquireTimeoutMs: 500, connectTimeoutMs: 500 });
    try {
      await expect(probe.query('SELECT 1')).resolves.toBeUndefined();
      proxy.freeze();
      await expect(probe.query('SELECT 1')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      // A new connection to a silent host is given up too, within the connect bound.
      await expect(probe.query('SELECT 1')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await proxy.restore();
      await expect(probe.query('SELECT 1')).resolves.toBeUndefined();
    } finally {
      await probe.close();
    }
  });
});
