import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { example } from '../support/examples';
import { countRows, MYSQL, post, startTestStack, testLogger, TestStack } from '../support/test-stack';
import { eventIdCounts, readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait';
import { HEADERS, laneOf, OutboxRelay } from '@tongban/kafka';
import { MysqlOutboxStore, outboxBacklogAge } from '@tongban/persistence';
import { topics } from '@tongban/regions';

async function publishMany(stack: TestStack, n: number, tag: string): Promise<{ caseIds: string[]; eventIds: string[] }> {
  const caseIds: string[] = [];
  const eventIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-${tag}-${i}`);
    const r = await post(stack, body, 'dev-chengdu');
    expect(r.status).toBe(202);
    caseIds.push(body.caseId);
    eventIds.push(r.body.eventId as string);
  }
  return { caseIds, eventIds };
}

/** Each of `eventIds` is in the topic exactly once. */
async function expectEachOnce(stack: TestStack, topic: string, eventIds: string[]): Promise<void> {
  const counts = await eventIdCounts(stack.kafka, topic);
  expect(eventIds.map((id) => counts.get(id) ?? 0)).toEqual(eventIds.map(() => 1));
}

describe('outbox and relay', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ relay: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('accepts a burst of concurrent requests on a fresh gateway, more than its connection pool', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => example('SubsidyApplicationSubmitted', `${stack.id}-burst-${i}`));
    const answers = await Promise.all(bodies.map((b) => post(stack, b, 'dev-chengdu')));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202));
  });

  it('creates one event for a repeated Idempotency-Key with the same body', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-idem`);
    const key = `idem-${stack.id}`;
    const first = await post(stack, body, 'dev-chengdu', { 'idempotency-key': key });
    const again = await post(stack, body, 'dev-chengdu', { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.eventId).toBe(first.body.eventId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM accepted_events WHERE case_id = ?', [body.caseId])).toBe(1);
    // one copy for the Chongqing inbox, one for the publisher's own Sichuan node
    expect(await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE event_id = ?', [first.body.eventId])).toBe(2);
  });

  it('answers 409 when the same Idempotency-Key comes with another body', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-idem2`);
    const key = `idem2-${stack.id}`;
    expect((await post(stack, body, 'dev-chengdu', { 'idempotency-key': key })).status).toBe(202);
    body.payload.contactPhone = '13900001111';
    const conflict = await post(stack, body, 'dev-chengdu', { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } });
  });

  it('delivers rows left pending while the relay was stopped, each exactly once', async () => {
    const pendingBefore = await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL');
    const { caseIds, eventIds } = await publishMany(stack, 30, 'paused');
    expect(await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')).toBe(pendingBefore + 60);

    const relay = await stack.startRelay();
    await waitFor(
      async () => ((await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')) === 0 ? true : undefined),
      'the outbox to drain',
    );
    await relay.stop();

    const node = stack.databases.nodes['500000'];
    const stored = await waitFor(async () => {
      const n = await countRows(node, `SELECT COUNT(*) AS n FROM cases WHERE case_id IN (?)`, [caseIds]);
      return n === caseIds.length ? n : undefined;
    }, 'every case at the Chongqing node');
    expect(stored).toBe(30);
    await expectEachOnce(stack, stack.inbox('500000'), eventIds);
    // The publisher's own copies are on its node's local topic.
    await expectEachOnce(stack, topics.local(stack.namespace, '510000'), eventIds);
    expect(await countRows(node, 'SELECT COUNT(*) AS n FROM case_events WHERE event_id IN (?)', [eventIds])).toBe(30);
  });

  it('reports the backlog and the age of its oldest row, as the relay service exports them, and 0 once drained', async () => {
    const conn = await createConnection({ ...MYSQL, database: stack.databases.gateway });
    try {
      const before = await outboxBacklogAge(conn);
      const { eventIds } = await publishMany(stack, 2, 'age');
      const acceptedBy = Date.now();
      await new Promise((r) => setTimeout(r, 1200));
      const waiting = await outboxBacklogAge(conn);
      expect(waiting.pending).toBe(before.pending + 4);
      expect(waiting.oldestSeconds).toBeGreaterThanOrEqual(1.1);
      expect(waiting.oldestSeconds).toBeLessThan(120);
      const sentFrom = Date.now();
      const relay = await stack.startRelay();
      await waitFor(async () => ((await outboxBacklogAge(conn)).pending === 0 ? true : undefined), 'the outbox to drain');
      await relay.stop();
      expect(await outboxBacklogAge(conn)).toEqual({ pending: 0, oldestSeconds: 0 });
      // The records carry the time the events were accepted, not the time the relay sent them.
      const records = (await readTopic(stack.kafka, stack.inbox('500000'))).filter((m) => eventIds.includes(m.headers[HEADERS.eventId]));
      expect(records).toHaveLength(2);
      for (const r of records) {
        expect(r.timestamp).toBeLessThanOrEqual(acceptedBy + 50);
        expect(r.timestamp).toBeLessThan(sentFrom - 1000);
      }
    } finally {
      await conn.end();
    }
  });

  it('sends each row once when two relays run at the same time', async () => {
    const a = await stack.startRelay({ maxLanes: 8 });
    const b = await stack.startRelay({ maxLanes: 8 });
    try {
      await waitFor(async () => (a.ownedLanes().length + b.ownedLanes().length === 16 ? true : undefined), 'both relays to own their lanes');
      expect(a.ownedLanes().filter((l) => b.ownedLanes().includes(l))).toEqual([]);

      const { caseIds, eventIds } = await publishMany(stack, 60, 'twin');
      await waitFor(
        async () => ((await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')) === 0 ? true : undefined),
        'the outbox to drain',
      );
      expect(a.published).toBeGreaterThan(0);
      expect(b.published).toBeGreaterThan(0);
      // The counters move just after the rows are marked sent: wait for them, then make sure they stop at 120.
      await waitFor(async () => (a.published + b.published >= 120 ? true : undefined), 'both relays to count their rows');
      await new Promise((r) => setTimeout(r, 300));
      expect(a.published + b.published).toBe(120);
      await expectEachOnce(stack, stack.inbox('500000'), eventIds);
      const node = stack.databases.nodes['500000'];
      await waitFor(
        async () => ((await countRows(node, 'SELECT COUNT(*) AS n FROM cases WHERE case_id IN (?)', [caseIds])) === 60 ? true : undefined),
        'every case stored',
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('keeps each case in order through large batches split between two relays', async () => {
    const topic = `${stack.namespace}.relay-order`;
    const admin = stack.kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
    await admin.disconnect();
    const conn = await createConnection({ ...MYSQL, database: stack.databases.gateway });
    const cases = Array.from({ length: 60 }, (_, i) => `${stack.id}-order-${i}`);
    const written = new Map<string, number>(cases.map((c) => [c, 0]));
    // Rows written as the gateway writes them, many per case, the cases interleaved across all lanes.
    const write = async (rows: number) => {
      const values: unknown[] = [];
      for (let i = 0; i < rows; i++) {
        const key = cases[i % cases.length];
        const seq = written.get(key)!;
        written.set(key, seq + 1);
        values.push([randomUUID(), laneOf(key), topic, key, Buffer.from(`${key}:${seq}`), JSON.stringify({ seq: String(seq) }), new Date()]);
      }
      await conn.query('INSERT INTO outbox_events (event_id, lane, topic, message_key, value, headers, created_at) VALUES ?', [values]);
    };
    const batches: number[] = [];
    const relay = () =>
      new OutboxRelay({
        kafka: stack.kafka,
        store: new MysqlOutboxStore({ mysql: MYSQL, database: stack.databases.gateway }),
        maxLanes: 8,
        claimIntervalMs: 200,
        logger: testLogger('relay'),
        onPublished: (n) => batches.push(n),
      });
    const a = relay();
    const b = relay();
    try {
      // A backlog waiting before the relays start, then more rows while they run.
      await write(3000);
      await a.start();
      await b.start();
      for (let wave = 0; wave < 10; wave++) await write(200);
      await waitFor(
        async () =>
          (await countRows(stack.databases.gateway, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL AND topic = ?', [topic])) === 0
            ? true
            : undefined,
        'the outbox to drain',
        60_000,
      );
      expect(a.published).toBeGreaterThan(0);
      expect(b.published).toBeGreaterThan(0);
      // One send carried the rows of many lanes: more than the 500 rows a lane was once sent in.
      expect(Math.max(...batches)).toBeGreaterThan(500);
    } finally {
      await a.stop();
      await b.stop();
      await conn.end();
    }
    const arrived = new Map<string, number[]>();
    for (const m of await readTopic(stack.kafka, topic)) arrived.set(m.key, [...(arrived.get(m.key) ?? []), Number(m.headers.seq)]);
    expect(arrived.size).toBe(cases.length);
    for (const key of cases) expect(arrived.get(key)).toEqual(Array.from({ length: written.get(key)! }, (_, i) => i));
  });

  it('takes over the lanes of a relay that went away', async () => {
    const a = await stack.startRelay({ maxLanes: 16 });
    await waitFor(async () => (a.ownedLanes().length === 16 ? true : undefined), 'the first relay to own every lane');
    const b = await stack.startRelay({ maxLanes: 16 });
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(b.ownedLanes()).toEqual([]);
      await a.stop();
      await waitFor(async () => (b.ownedLanes().length === 16 ? true : undefined), 'the standby relay to take every lane');
      const { caseIds } = await publishMany(stack, 5, 'failover');
      const node = stack.databases.nodes['500000'];
      await waitFor(
        async () => ((await countRows(node, 'SELECT COUNT(*) AS n FROM cases WHERE case_id IN (?)', [caseIds])) === 5 ? true : undefined),
        'cases sent by the standby',
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
