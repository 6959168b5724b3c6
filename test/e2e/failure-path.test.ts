import type { AddressInfo } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { Partitioners } from 'kafkajs';
import { FAILURE_HEADERS, HEADERS } from '@tongban/kafka';
import { example } from '../support/examples';
import { MYSQL, post, queryRows, startTestStack, TestStack } from '../support/test-stack';
import { readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait';
import { internalHeaders } from '../support/internal-api';

const CQ = '500000';

/**
 * A real refusal by the node's database: a trigger fails every history insert of the listed cases,
 * so the handler's transaction rolls back with a driver error (not a TongbanError, hence retriable).
 */
async function installFaults(database: string): Promise<void> {
  const conn = await createConnection({ ...MYSQL, database });
  try {
    const [cols] = await conn.query(
      "SELECT COLLATION_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'case_events' AND COLUMN_NAME = 'case_id'",
      [database],
    );
    const collation = (cols as Array<{ c: string }>)[0].c;
    await conn.query(`CREATE TABLE test_faults (case_id VARCHAR(100) NOT NULL PRIMARY KEY) DEFAULT CHARSET=utf8mb4 COLLATE ${collation}`);
    await conn.query(`CREATE TRIGGER test_faults_case_events BEFORE INSERT ON case_events FOR EACH ROW
      BEGIN
        IF EXISTS (SELECT 1 FROM test_faults WHERE case_id = NEW.case_id) THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault: the database refuses this case';
        END IF;
      END`);
  } finally {
    await conn.end();
  }
}

describe('the failure path of the region node’s inbox', () => {
  let stack: TestStack;
  let nodeDb: string;
  let inbox: string;
  let nodeUrl: string;

  const fault = (caseId: string) => queryRows(nodeDb, 'INSERT IGNORE INTO test_faults (case_id) VALUES (?)', [caseId]);
  const heal = (caseId: string) => queryRows(nodeDb, 'DELETE FROM test_faults WHERE case_id = ?', [caseId]);
  const history = (caseId: string) =>
    queryRows<{ event_id: string; seq: number; event_type: string }>(
      nodeDb,
      'SELECT event_id, seq, event_type FROM case_events WHERE case_id = ? ORDER BY seq',
      [caseId],
    );
  const inTopic = async (topic: string, eventId: string) => (await readTopic(stack.kafka, topic)).filter((m) => m.headers[HEADERS.eventId] === eventId);
  const waitInTopic = (topic: string, eventId: string, timeoutMs = 30_000) =>
    waitFor(
      async () => ((await inTopic(topic, eventId)).length ? (await inTopic(topic, eventId))[0] : undefined),
      `event ${eventId} in ${topic}`,
      timeoutMs,
      300,
    );
  const heldRows = (caseId: string) =>
    queryRows<{ event_id: string; status: string; waits_for_ref: string; waits_for_event_id: string }>(
      nodeDb,
      'SELECT event_id, status, waits_for_ref, waits_for_event_id FROM held_messages WHERE case_key = ? ORDER BY id',
      [caseId],
    );
  const holdOf = async (caseId: string) =>
    (
      await queryRows<{ status: string; resolution: string | null; blocker_event_id: string }>(nodeDb, 'SELECT * FROM held_cases WHERE case_key = ?', [caseId])
    )[0];

  beforeAll(async () => {
    // Short retry delays for the test, through the node's configuration.
    stack = await startTestStack({
      env: { TONGBAN_RETRY_DELAYS: '3s,1s,1s', TONGBAN_RETRY_IN_PLACE_ATTEMPTS: '2', TONGBAN_RETRY_IN_PLACE_BACKOFF_MS: '50' },
    });
    nodeDb = stack.databases.nodes[CQ];
    inbox = stack.inbox(CQ);
    nodeUrl = `http://127.0.0.1:${(stack.nodes.get(CQ)!.app.getHttpServer().address() as AddressInfo).port}`;
    await installFaults(nodeDb);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('creates the retry and dead-letter topics at start-up', async () => {
    const admin = stack.kafka.admin();
    await admin.connect();
    const names = await admin.listTopics();
    await admin.disconnect();
    for (const t of [`${inbox}.retry.1`, `${inbox}.retry.2`, `${inbox}.retry.3`, `${inbox}.dlq`]) expect(names).toContain(t);
  });

  it('retries a failing event in place, then through .retry.1 where it succeeds; a later event of the case waits for it', async () => {
    const first = example('SubsidyApplicationSubmitted', `${stack.id}-retry`);
    await fault(first.caseId);
    const accepted = await post(stack, first, 'dev-chengdu');
    expect(accepted.status).toBe(202);
    const eventId = accepted.body.eventId as string;

    const retried = await waitInTopic(`${inbox}.retry.1`, eventId);
    expect(retried.key).toBe(first.caseId);
    expect(retried.headers).toMatchObject({
      [FAILURE_HEADERS.originalTopic]: inbox,
      [FAILURE_HEADERS.originalKey]: first.caseId,
      [FAILURE_HEADERS.attempts]: '2',
      [FAILURE_HEADERS.retryLevel]: '1',
      [FAILURE_HEADERS.failedTopic]: inbox,
      [FAILURE_HEADERS.consumerGroup]: `${stack.namespace}.region-node.${CQ}`,
    });

    const second = example('SubsidyApplicationAcknowledged', `${stack.id}-retry`);
    const ack = await post(stack, second, 'dev-dazu');
    expect(ack.status).toBe(202);
    const held = await waitFor(async () => {
      const rows = await heldRows(first.caseId);
      return rows.find((r) => r.event_id === ack.body.eventId);
    }, 'the later event to be held');
    expect(held).toMatchObject({
      status: 'held',
      waits_for_event_id: eventId,
      waits_for_ref: `${inbox}/${retried.headers[FAILURE_HEADERS.originalPartition]}/${retried.headers[FAILURE_HEADERS.originalOffset]}`,
    });
    expect(await history(first.caseId)).toEqual([]);

    await heal(first.caseId);
    const events = await waitFor(
      async () => {
        const ids = (await history(first.caseId)).map((e) => e.event_id);
        return ids.includes(ack.body.eventId as string) ? ids : undefined;
      },
      'both events applied after the retry',
      30_000,
    );
    // in order: the blocker first, then what waited behind it
    expect(events[0]).toBe(eventId);
    expect(events.indexOf(ack.body.eventId as string)).toBeGreaterThan(0);
    // The hold closes once everything that waited in it (the acknowledgement's copies) is through.
    const closed = await waitFor(
      async () => ((await holdOf(first.caseId))?.status === 'closed' ? holdOf(first.caseId) : undefined),
      'the hold to close',
      10_000,
    );
    expect(closed).toMatchObject({ status: 'closed', resolution: 'applied' });
    expect(await inTopic(`${inbox}.retry.2`, eventId)).toEqual([]);
    expect(await inTopic(`${inbox}.dlq`, eventId)).toEqual([]);
  });

  it('dead-letters an event that keeps failing, with its origin, reason, attempts and times; its case waits, others flow, a replay releases it', async () => {
    const first = example('SubsidyApplicationSubmitted', `${stack.id}-dlq`);
    await fault(first.caseId);
    const accepted = await post(stack, first, 'dev-chengdu');
    const eventId = accepted.body.eventId as string;

    const dead = await waitInTopic(`${inbox}.dlq`, eventId, 60_000);
    for (const level of [1, 2, 3]) expect(await inTopic(`${inbox}.retry.${level}`, eventId)).toHaveLength(1);
    const h = dead.headers;
    expect(dead.key).toBe(first.caseId);
    expect(h).toMatchObject({
      [FAILURE_HEADERS.originalTopic]: inbox,
      [FAILURE_HEADERS.originalKey]: first.caseId,
      [FAILURE_HEADERS.errorClass]: 'QueryFailedError',
      [FAILURE_HEADERS.errorCode]: 'UNEXPECTED',
      // two tries in place on the inbox and on each of the three retry topics
      [FAILURE_HEADERS.attempts]: '8',
      [FAILURE_HEADERS.consumerGroup]: `${stack.namespace}.region-node.${CQ}`,
      [FAILURE_HEADERS.failedTopic]: `${inbox}.retry.3`,
      [FAILURE_HEADERS.failureKind]: 'retriable',
      [HEADERS.eventId]: eventId,
    });
    expect(h[FAILURE_HEADERS.errorMessage]).toContain('injected fault');
    // Counted by workflow, event type and code (a database refusal is not a TongbanError: the service's internal error).
    const metrics = await (await fetch(`${nodeUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^tongban_events_dead_lettered_total\{workflow="disability-subsidy",event_type="SubsidyApplicationSubmitted",error_code="SERVICE\.INTERNAL",service="region-node",region="500000"\} [1-9]\d*$/m,
    );
    expect(h[FAILURE_HEADERS.originalPartition]).toMatch(/^\d+$/);
    expect(h[FAILURE_HEADERS.originalOffset]).toMatch(/^\d+$/);
    expect(Date.parse(h[FAILURE_HEADERS.lastFailureAt]) - Date.parse(h[FAILURE_HEADERS.firstFailureAt])).toBeGreaterThanOrEqual(5_000);

    const parked = await waitFor(async () => {
      const hold = await holdOf(first.caseId);
      return hold?.status === 'parked' ? hold : undefined;
    }, 'the case parked');
    expect(parked.blocker_event_id).toBe(eventId);

    // A later event of the parked case is held; another case flows past.
    const later = await post(stack, example('SubsidyApplicationAcknowledged', `${stack.id}-dlq`), 'dev-dazu');
    const other = example('SubsidyApplicationSubmitted', `${stack.id}-other`);
    const otherAccepted = await post(stack, other, 'dev-chengdu');
    await waitFor(
      async () => ((await history(other.caseId)).some((e) => e.event_id === otherAccepted.body.eventId) ? true : undefined),
      'the other case applied',
    );
    await waitFor(async () => ((await heldRows(first.caseId)).some((r) => r.event_id === later.body.eventId) ? true : undefined), 'the later event held');
    expect(await history(first.caseId)).toEqual([]);

    const listed = (await (await fetch(`${nodeUrl}/internal/holds`, { headers: internalHeaders(stack, 'test') })).json()) as {
      holds: Array<{ caseKey: string; status: string; heldCount: number }>;
    };
    const mine = listed.holds.find((x) => x.caseKey === first.caseId);
    // the later event, and any follow-up the Sichuan node sent about the case meanwhile
    expect(mine).toMatchObject({ status: 'parked' });
    expect(mine!.heldCount).toBeGreaterThanOrEqual(1);
    const described = (await (
      await fetch(`${nodeUrl}/internal/holds/${encodeURIComponent(first.caseId)}`, { headers: internalHeaders(stack, 'test') })
    ).json()) as {
      messages: Array<{ eventId: string; status: string; waitsForEventId: string }>;
    };
    expect(described.messages).toContainEqual(expect.objectContaining({ eventId: later.body.eventId, status: 'held', waitsForEventId: eventId }));

    const refused = await fetch(`${nodeUrl}/internal/holds/${encodeURIComponent(first.caseId)}/release`, {
      method: 'POST',
      headers: internalHeaders(stack, 'test:operator', { 'content-type': 'application/json' }),
      body: JSON.stringify({ resolution: 'forgotten' }),
    });
    expect(refused.status).toBe(400);

    await heal(first.caseId);
    const released = await fetch(`${nodeUrl}/internal/holds/${encodeURIComponent(first.caseId)}/release`, {
      method: 'POST',
      headers: internalHeaders(stack, 'test:operator', { 'content-type': 'application/json' }),
      body: JSON.stringify({ resolution: 'replayed' }),
    });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ outcome: 'replay-published' });

    const events = await waitFor(async () => {
      const ids = (await history(first.caseId)).map((e) => e.event_id);
      return ids.includes(later.body.eventId as string) ? ids : undefined;
    }, 'the replayed blocker and then the held event applied');
    expect(events[0]).toBe(eventId);
    expect(events.indexOf(later.body.eventId as string)).toBeGreaterThan(0);
    const closed = await waitFor(
      async () => ((await holdOf(first.caseId))?.status === 'closed' ? holdOf(first.caseId) : undefined),
      'the hold to close',
      10_000,
    );
    expect(closed).toMatchObject({ status: 'closed', resolution: 'replayed' });
    const replays = (await readTopic(stack.kafka, inbox)).filter((m) => m.headers['tongban-replay-of']);
    expect(replays).toContainEqual(expect.objectContaining({ key: first.caseId, headers: expect.objectContaining({ [HEADERS.eventId]: eventId }) }));
  });

  it('dead-letters garbage bytes at once with WIRE_FORMAT_INVALID and the partition moves on; discarding releases its key', async () => {
    const good = example('SubsidyApplicationSubmitted', `${stack.id}-after-garbage`);
    const admin = stack.kafka.admin();
    await admin.connect();
    const [meta] = (await admin.fetchTopicMetadata({ topics: [inbox] })).topics;
    await admin.disconnect();
    // The garbage goes to the partition the good event's key will be written to, just before it.
    const partition = Partitioners.DefaultPartitioner()({ topic: inbox, partitionMetadata: meta.partitions, message: { key: good.caseId, value: null } });
    const garbageKey = `GARBAGE-${stack.id}`;
    const producer = stack.kafka.producer();
    await producer.connect();
    const [written] = await producer.send({ topic: inbox, acks: -1, messages: [{ partition, key: garbageKey, value: Buffer.from('{"not":"avro"}') }] });
    await producer.disconnect();

    const accepted = await post(stack, good, 'dev-chengdu');
    const applied = await waitFor(async () => {
      const rows = await queryRows<{ kafka_partition: number; kafka_offset: string }>(
        nodeDb,
        'SELECT kafka_partition, kafka_offset FROM case_events WHERE event_id = ?',
        [accepted.body.eventId],
      );
      return rows[0];
    }, 'the good event after the garbage applied');
    expect(Number(applied.kafka_partition)).toBe(partition);
    expect(Number(applied.kafka_offset)).toBeGreaterThan(Number(written.baseOffset));

    const dead = (await readTopic(stack.kafka, `${inbox}.dlq`)).find((m) => m.key === garbageKey);
    expect(dead).toBeDefined();
    expect(dead!.value?.toString()).toBe('{"not":"avro"}');
    expect(dead!.headers).toMatchObject({
      [FAILURE_HEADERS.errorCode]: 'WIRE_FORMAT_INVALID',
      [FAILURE_HEADERS.errorClass]: 'DecodeFailure',
      [FAILURE_HEADERS.attempts]: '1',
      [FAILURE_HEADERS.failureKind]: 'permanent',
      [FAILURE_HEADERS.originalPartition]: String(partition),
      [FAILURE_HEADERS.originalOffset]: String(written.baseOffset),
    });
    for (const level of [1, 2, 3]) expect((await readTopic(stack.kafka, `${inbox}.retry.${level}`)).filter((m) => m.key === garbageKey)).toEqual([]);

    expect(await holdOf(garbageKey)).toMatchObject({ status: 'parked' });
    const res = await fetch(`${nodeUrl}/internal/holds/${garbageKey}/release`, {
      method: 'POST',
      headers: internalHeaders(stack, 'test:operator', { 'content-type': 'application/json' }),
      body: JSON.stringify({ resolution: 'discarded' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'released', resolution: 'discarded', applied: 0 });
    expect(await holdOf(garbageKey)).toMatchObject({ status: 'closed', resolution: 'discarded' });
    expect(
      (
        await fetch(`${nodeUrl}/internal/holds/${garbageKey}/release`, {
          method: 'POST',
          headers: internalHeaders(stack, 'test:operator', { 'content-type': 'application/json' }),
          body: JSON.stringify({ resolution: 'discarded' }),
        })
      ).status,
    ).toBe(404);
  });
});
