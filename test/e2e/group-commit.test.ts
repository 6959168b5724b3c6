import { AuditLog, DISCLOSURE_ACTION, DISCLOSURE_CHAIN } from '@tongban/audit';
import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';

const CHENGDU = 'dev-chengdu';
const EVENTS = 200;

/**
 * Many concurrent requests are written by the gateway in groups (one transaction per group): each is still
 * accepted once, stored once with its outbox rows and its disclosure record, and an Idempotency-Key repeated
 * while its first request is being written is answered with the first one's event.
 */
describe('the gateway writes concurrent requests in groups', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      relay: false,
      env: { TONGBAN_RATE_LIMIT_BOOTSTRAP_KEYS: 'false', TONGBAN_GATEWAY_GROUP_MAX: '32' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(`accepts ${EVENTS} concurrent events once each, with their outbox rows and an intact disclosure chain`, async () => {
    const bodies = Array.from({ length: EVENTS }, (_, i) => example('SubsidyApplicationSubmitted', `${stack.id}-g${i}`));
    const keyOf = (i: number) => `group-${stack.id}-${i}`;
    // Every tenth request is sent twice at once with the same key and body.
    const requests = [
      ...bodies.map((b, i) => post(stack, b, CHENGDU, { 'idempotency-key': keyOf(i) })),
      ...bodies.filter((_, i) => i % 10 === 0).map((b, n) => post(stack, b, CHENGDU, { 'idempotency-key': keyOf(n * 10) })),
    ];
    const answers = await Promise.all(requests);
    const conflict = await post(stack, { ...bodies[1], occurredAt: '2025-01-02T03:04:05.000Z' }, CHENGDU, { 'idempotency-key': keyOf(1) });

    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    const firsts = answers.slice(0, EVENTS);
    const repeats = answers.slice(EVENTS);
    repeats.forEach((r, n) => expect(r.body).toEqual(firsts[n * 10].body));
    expect(
      repeats.filter((r) => r.headers.get('idempotent-replayed') === 'true').length +
        firsts.filter((r) => r.headers.get('idempotent-replayed') === 'true').length,
    ).toBe(repeats.length);
    const eventIds = firsts.map((a) => a.body.eventId as string);
    expect(new Set(eventIds).size).toBe(EVENTS);
    firsts.forEach((a, i) => expect(a.body.caseId).toBe(bodies[i].caseId));
    // The same key with another body is still refused.
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } });

    const ds = stack.gateway.dataSource;
    const accepted: Array<{ event_id: string; n: number }> = await ds.query(
      `SELECT event_id, COUNT(*) AS n FROM accepted_events WHERE case_id LIKE ? GROUP BY event_id`,
      [`%-${stack.id}-g%`],
    );
    expect(accepted.map((r) => r.event_id).sort()).toEqual([...eventIds].sort());
    expect(accepted.every((r) => Number(r.n) === 1)).toBe(true);
    const outbox: Array<{ event_id: string; n: number; topics: number }> = await ds.query(
      `SELECT event_id, COUNT(*) AS n, COUNT(DISTINCT topic) AS topics FROM outbox_events WHERE event_id IN (${eventIds.map(() => '?').join(',')}) GROUP BY event_id`,
      eventIds,
    );
    expect(outbox).toHaveLength(EVENTS);
    // One row per copy (the addressee's and the origin's), each to its own topic: none written twice.
    expect(outbox.every((r) => Number(r.n) === 2 && Number(r.topics) === 2)).toBe(true);

    // The gateway's metrics account for every queued request once: the group sizes sum to the requests written
    // (each repeat of a key is one, answered from its first), each waited once, and fewer transactions than requests.
    const metrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
    const queued = answers.length + 1;
    expect(sample('tongban_gateway_group_size_sum')).toBe(queued);
    expect(sample('tongban_gateway_group_wait_seconds_count')).toBe(queued);
    expect(sample('tongban_gateway_group_write_seconds_count')).toBe(sample('tongban_gateway_group_size_count'));
    expect(sample('tongban_gateway_group_size_count')).toBeLessThan(queued);

    const chain = new AuditLog(ds, { personKey: 'any-key-to-read-the-chain', chain: DISCLOSURE_CHAIN });
    expect(await chain.verify()).toMatchObject({ ok: true });
    const disclosed = (await chain.list({ action: DISCLOSURE_ACTION, limit: 1000 })).flatMap((e) => e.subject.messages);
    expect(disclosed.filter((m) => eventIds.includes(m)).sort()).toEqual([...eventIds].sort());
  });
});
