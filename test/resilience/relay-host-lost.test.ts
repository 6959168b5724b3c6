import { OutboxRelay } from '@tongban/kafka';
import { MysqlOutboxStore } from '@tongban/persistence';
import { example } from '../support/examples';
import { countRows, MYSQL, post, startTestStack, testLogger, TestStack } from '../support/test-stack';
import { TcpProxy } from '../support/tcp-proxy';
import { eventIdCounts } from '../support/topic-reader';
import { waitFor } from '../support/wait';

/**
 * A relay whose host vanished without closing its MySQL connection (its proxy freezes: nothing passes,
 * nothing closes). MySQL ends the silent session after the lock connection's short wait_timeout, and a
 * second relay takes the lanes over; whatever both sent is absorbed by the nodes' event-id check.
 */
describe('a relay host lost without closing its connections', () => {
  const LOCK_TIMEOUT_S = 3;
  let proxy: TcpProxy;
  let stack: TestStack;
  let lost: OutboxRelay;
  let survivor: OutboxRelay | undefined;

  beforeAll(async () => {
    proxy = await new TcpProxy({ host: MYSQL.host, port: MYSQL.port }).start();
    stack = await startTestStack({ relay: false });
    const relay = (mysql: typeof MYSQL) =>
      new OutboxRelay({
        kafka: stack.kafka,
        store: new MysqlOutboxStore({ mysql, database: stack.databases.gateway, lockTimeoutSeconds: LOCK_TIMEOUT_S }),
        pollIntervalMs: 20,
        claimIntervalMs: 200,
        logger: testLogger('relay'),
      });
    lost = relay({ ...MYSQL, port: proxy.port });
    await lost.start();
    survivor = relay(MYSQL);
  });
  afterAll(async () => {
    await proxy?.cut();
    await lost?.stop();
    await survivor?.stop();
    await stack?.stop();
  });

  it('hands its lanes to another relay within the lock timeout; every event applied once', async () => {
    await waitFor(async () => (lost.ownedLanes().length === lost.lanes ? true : undefined), 'the first relay to own every lane');
    const ids: string[] = [];
    const publish = async (tag: string) => {
      const r = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-${tag}`), 'dev-chengdu');
      expect(r.status).toBe(202);
      ids.push(r.body.eventId as string);
    };
    for (let i = 0; i < 10; i++) await publish(`a-${i}`);
    // The host goes silent while its relay is busy with these.
    proxy.freeze();
    const frozenAt = Date.now();
    await survivor!.start();
    for (let i = 0; i < 10; i++) await publish(`b-${i}`);
    await waitFor(async () => (survivor!.ownedLanes().length === survivor!.lanes ? true : undefined), 'the second relay to own every lane', 30_000, 100);
    const takeover = Date.now() - frozenAt;
    // wait_timeout, plus MySQL's check of idle sessions, plus one claim interval.
    expect(takeover).toBeLessThan((LOCK_TIMEOUT_S + 10) * 1000);

    for (const region of ['500000', '510000']) {
      await waitFor(
        async () =>
          (await countRows(stack.databases.nodes[region], 'SELECT COUNT(DISTINCT event_id) AS n FROM case_events WHERE event_id IN (?)', [ids])) === ids.length
            ? true
            : undefined,
        `every event applied at ${region}`,
        60_000,
        500,
      );
      expect(await countRows(stack.databases.nodes[region], 'SELECT COUNT(*) AS n FROM case_events WHERE event_id IN (?)', [ids])).toBe(ids.length);
    }
    expect(await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')).toBe(0);
    // A copy sent twice (by the lost relay before its silence and again by the survivor) is allowed on the topic only.
    const copies = await eventIdCounts(stack.kafka, stack.inbox('500000'));
    expect(ids.every((id) => (copies.get(id) ?? 0) >= 1)).toBe(true);
    console.log(
      `frozen at ${new Date(frozenAt).toISOString()}; lanes taken over after ${takeover} ms; extra copies on the topic: ${ids.reduce((n, id) => n + (copies.get(id) ?? 0) - 1, 0)}`,
    );
  });
});
