import { OutboxRelay } from '@tongban/kafka';
import { MysqlOutboxStore } from '@tongban/persistence';
import { topics } from '@tongban/regions';
import { example } from '../support/examples';
import { MYSQL, post, queryRows, startTestStack, testLogger, TestStack } from '../support/test-stack';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

async function appliedOnce(database: string, eventIds: string[]): Promise<number> {
  const rows = await queryRows<{ n: number }>(database, 'SELECT event_id, COUNT(*) AS n FROM case_events WHERE event_id IN (?) GROUP BY event_id', [eventIds]);
  return rows.filter((r) => Number(r.n) === 1).length;
}

/**
 * MariaDB unreachable for the gateway, its relay and the region nodes (a proxy in front of the real
 * server is cut, then restored): the gateway answers 503 with Retry-After and still refuses what needs
 * no database; everything resumes by itself and nothing accepted is lost.
 */
describe('MySQL down', () => {
  let proxy: TcpProxy;
  let stack: TestStack;
  let relay: OutboxRelay;
  const accepted: string[] = [];

  beforeAll(async () => {
    proxy = await new TcpProxy({ host: MYSQL.host, port: MYSQL.port }).start();
    stack = await startTestStack({ relay: false, env: { TONGBAN_MYSQL_PORT: String(proxy.port) } });
    relay = new OutboxRelay({
      kafka: stack.kafka,
      store: new MysqlOutboxStore({ mysql: { ...MYSQL, port: proxy.port }, database: stack.databases.gateway }),
      pollIntervalMs: 20,
      claimIntervalMs: 200,
      logger: testLogger('relay'),
    });
    await relay.start();
  });
  afterAll(async () => {
    await proxy?.restore();
    await relay?.stop();
    await stack?.stop();
    await proxy?.stop();
  });

  const publish = async (tag: string) => {
    const r = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-${tag}`), 'dev-chengdu');
    return r;
  };

  it('answers 503 with Retry-After while the database is down, and what needs no database as before', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await publish(`before-${i}`);
      expect(r.status).toBe(202);
      accepted.push(r.body.eventId as string);
    }
    await proxy.cut();

    const refused = await publish('during');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ error: { code: 'DEPENDENCY_UNAVAILABLE' } });
    // An unknown key cannot be told from a known one without the database: 503, never 500 or a false 401.
    const unknownKey = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-unknown`), 'not-a-known-key-at-all');
    expect(unknownKey.status).toBe(503);
    expect(unknownKey.headers.get('retry-after')).toMatch(/^\d+$/);

    expect((await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-nokey`))).status).toBe(401);
    expect((await post(stack, '{"eventType":', 'dev-chengdu')).status).toBe(400);
    const invalid = { ...example('SubsidyApplicationSubmitted', `${stack.id}-invalid`), targetRegion: '50011' };
    const invalidAnswer = await post(stack, invalid, 'dev-chengdu');
    expect(invalidAnswer.status).toBe(400);
    expect(invalidAnswer.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });

    const health = await fetch(`${stack.gatewayUrl}/health`);
    expect(health.status).toBe(503);
  });

  it('recovers by itself when the database is back; relay and nodes resume; nothing accepted is lost', async () => {
    // The relay and the nodes met the outage too (the events above were in flight): give them a few seconds of it.
    await new Promise((r) => setTimeout(r, 3000));
    await proxy.restore();
    const back = await waitFor(
      async () => {
        const r = await publish('after-0');
        return r.status === 202 ? r : undefined;
      },
      'the gateway to accept again',
      30_000,
      250,
    );
    accepted.push(back.body.eventId as string);
    for (let i = 1; i < 5; i++) {
      const r = await publish(`after-${i}`);
      expect(r.status).toBe(202);
      accepted.push(r.body.eventId as string);
    }
    for (const region of ['500000', '510000']) {
      await waitFor(
        async () => ((await appliedOnce(stack.databases.nodes[region], accepted)) === accepted.length ? true : undefined),
        `every accepted event applied once at ${region}`,
        60_000,
        500,
      );
    }
    // The nodes waited for the database in place: nothing of it went to the retry or dead-letter topics.
    const admin = stack.kafka.admin();
    await admin.connect();
    try {
      const inbox = topics.inbox(stack.namespace, '500000');
      for (const topic of [`${inbox}.retry.1`, topics.dlq(inbox)]) {
        const offsets = await admin.fetchTopicOffsets(topic);
        expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(0);
      }
    } finally {
      await admin.disconnect();
    }
    expect(relay.ownedLanes().length).toBe(relay.lanes);
  });
});
