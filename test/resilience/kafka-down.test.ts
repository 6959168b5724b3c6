import { OutboxRelay } from '@tongban/kafka';
import { example } from '../support/examples';
import { OwnBroker } from '../support/own-broker';
import { countRows, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

/**
 * The broker killed with kill -9 (a broker of this test's own): the gateway keeps accepting into the
 * outbox, the relay backs off without giving up its lanes, and everything arrives once it is back.
 */
describe('Kafka down', () => {
  const broker = new OwnBroker(19292);
  let stack: TestStack;
  let relay: OutboxRelay;
  const accepted: string[] = [];

  beforeAll(async () => {
    await broker.fresh();
    stack = await startTestStack({ relay: false, brokers: broker.brokers });
    relay = await stack.startRelay();
  });
  afterAll(async () => {
    await stack?.stop().catch(() => undefined);
    await broker.remove();
  });

  const publish = async (tag: string) => {
    const r = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-${tag}`), 'dev-chengdu');
    expect(r.status).toBe(202);
    accepted.push(r.body.eventId as string);
  };

  it('accepts into the outbox while the broker is down; the relay keeps its lanes', async () => {
    await publish('before');
    await waitFor(
      async () => ((await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')) === 0 ? true : undefined),
      'the first event sent',
    );
    const lanes = relay.ownedLanes();
    expect(lanes.length).toBe(relay.lanes);
    await broker.infra('kafka-kill');
    for (let i = 0; i < 10; i++) await publish(`down-${i}`);
    // Two copies per event (the addressed node and the publisher's own), all waiting in the outbox.
    expect(
      await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL AND event_id IN (?)', [accepted.slice(1)]),
    ).toBe(20);
    // Several failed sends later the relay still owns every lane.
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      expect(relay.ownedLanes()).toEqual(lanes);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('sends everything once the broker is back, each event applied once at each node', async () => {
    await broker.infra('kafka-start');
    for (const region of ['500000', '510000']) {
      await waitFor(
        async () => {
          const n = await countRows(stack.databases.nodes[region], 'SELECT COUNT(DISTINCT event_id) AS n FROM case_events WHERE event_id IN (?)', [accepted]);
          return n === accepted.length ? true : undefined;
        },
        `every accepted event applied at ${region}`,
        180_000,
        1000,
      );
      expect(await countRows(stack.databases.nodes[region], 'SELECT COUNT(*) AS n FROM case_events WHERE event_id IN (?)', [accepted])).toBe(accepted.length);
    }
    expect(await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')).toBe(0);
  });
});
