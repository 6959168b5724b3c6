import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { HEADERS } from '@tongban/kafka';
import { topics } from '@tongban/regions';
import { example } from '../support/examples';
import { MYSQL, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

const CQ = '500000';

async function query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await createConnection({ ...MYSQL, database });
  try {
    const [rows] = await conn.query(sql, params);
    return rows as T[];
  } finally {
    await conn.end();
  }
}

type Event = Record<string, unknown> & { envelope: { eventId: string; eventType: string; caseId: string } };

/** An example event as the node reads it, for a case of its own (same applicant in every case). */
function event(eventType: string, caseId: string): Event {
  const body = example(eventType);
  return {
    envelope: {
      eventId: randomUUID(),
      eventType,
      caseId,
      sourceRegion: body.sourceRegion,
      targetRegion: body.targetRegion,
      sourceOffice: body.sourceOffice ?? null,
      occurredAt: body.occurredAt,
      correlationId: randomUUID(),
      causationId: null,
      producer: 'test',
      schemaVersion: 1,
    },
    ...body.payload,
  } as Event;
}

/**
 * The region node applies a run of a partition's inbox messages in one transaction: the cases decided on in
 * memory in offset order, duplicates (within the run, or applied before) skipped, a refusal an outcome among
 * the others; a run that fails for any other reason is applied again one message at a time, to the same end.
 */
describe('a partition batch applied by the region node in one transaction', () => {
  let stack: TestStack;
  let codec: AvroCodec;
  let nodeDb: string;
  let nodeUrl: string;

  const batchCount = async (result: 'applied' | 'fell-back') => {
    const text = await (await fetch(`${nodeUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('tongban_inbox_batch_messages_total{') && l.includes(`result="${result}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  const send = async (events: Event[], topic = stack.inbox(CQ)) => {
    const producer = stack.kafka.producer();
    await producer.connect();
    try {
      // One send to one partition: the records are appended together and fetched as one batch.
      await producer.send({
        topic,
        acks: -1,
        messages: await Promise.all(
          events.map(async (e) => ({
            partition: 0,
            key: e.envelope.caseId,
            value: await codec.encode(e.envelope.eventType, e),
            headers: { [HEADERS.eventId]: e.envelope.eventId, [HEADERS.eventType]: e.envelope.eventType },
          })),
        ),
      });
    } finally {
      await producer.disconnect();
    }
  };

  const history = (caseId: string) =>
    query<{ event_id: string; seq: number; event_type: string; outcome: string; state_after: string }>(
      nodeDb,
      'SELECT event_id, seq, event_type, outcome, state_after FROM case_events WHERE case_id = ? ORDER BY seq',
      [caseId],
    );
  const caseRow = async (caseId: string) =>
    (
      await query<{ state: string; version: number; last_event_id: string }>(nodeDb, 'SELECT state, version, last_event_id FROM cases WHERE case_id = ?', [
        caseId,
      ])
    )[0];
  /** How often each event is in the node's history, across cases: the history row is the node's record of applying it. */
  const claims = async (ids: string[]) =>
    (
      await query<{ event_id: string; n: number }>(
        nodeDb,
        'SELECT event_id, COUNT(*) AS n FROM case_events WHERE event_id IN (?) GROUP BY event_id ORDER BY event_id',
        [ids],
      )
    ).map((r) => [r.event_id, Number(r.n)]);

  beforeAll(async () => {
    stack = await startTestStack();
    codec = new AvroCodec(
      new SchemaCatalogue(join(__dirname, '../../contracts/avro')),
      new SchemaRegistryClient(stack.registryUrl, { auth: stack.registryAuth }),
    );
    nodeDb = stack.databases.nodes[CQ];
    nodeUrl = `http://127.0.0.1:${(stack.nodes.get(CQ)!.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /**
   * One run: case A opened and withdrawn; case B, the same applicant asking for the same subsidies, answered as a
   * duplicate of A, opened earlier in the run; in the middle a withdrawal of a case the node does not hold (refused);
   * A's opening delivered twice; and an event applied before the run delivered again. Returns what the node stored.
   */
  async function scenario(tag: string) {
    const caseA = `${example('SubsidyApplicationSubmitted').caseId}-${stack.id}-${tag}-a`;
    const caseB = `${example('SubsidyApplicationSubmitted').caseId}-${stack.id}-${tag}-b`;
    const caseU = `${example('SubsidyApplicationWithdrawn').caseId}-${stack.id}-${tag}-u`;
    const caseV = `${example('SubsidyApplicationWithdrawn').caseId}-${stack.id}-${tag}-v`;
    const before = event('SubsidyApplicationWithdrawn', caseU);
    await send([before]);
    await waitFor(async () => ((await history(caseU)).length ? true : undefined), 'the earlier event applied');

    const openA = event('SubsidyApplicationSubmitted', caseA);
    const openB = event('SubsidyApplicationSubmitted', caseB);
    const withdrawA = event('SubsidyApplicationWithdrawn', caseA);
    const refused = event('SubsidyApplicationWithdrawn', caseV);
    await send([openA, openB, openA, refused, withdrawA, before]);
    await waitFor(async () => ((await history(caseA)).length === 2 ? true : undefined), 'case A opened and withdrawn', 60_000);
    // B's answer (SubsidyRejected, published by the node) comes back through its own copy and is applied to B.
    const answered = await waitFor(async () => (await history(caseB)).find((h) => h.event_type === 'SubsidyRejected'), 'case B answered', 60_000);
    const [answer] = await query<{ payload: string }>(nodeDb, 'SELECT payload FROM case_events WHERE event_id = ?', [answered.event_id]);
    return {
      caseB,
      ids: {
        openA: openA.envelope.eventId,
        openB: openB.envelope.eventId,
        withdrawA: withdrawA.envelope.eventId,
        before: before.envelope.eventId,
        refused: refused.envelope.eventId,
      },
      a: { row: await caseRow(caseA), history: await history(caseA) },
      // B's opening, and the state the node's answer left (what the sending side makes of the answer may come before or after it).
      b: {
        state: (await caseRow(caseB))?.state,
        history: (await history(caseB)).filter((h) => h.event_id === openB.envelope.eventId),
        answer: { ...JSON.parse(answer.payload), outcome: answered.outcome, stateAfter: answered.state_after } as Record<string, unknown>,
      },
      // The refusals' answers come back as the node's own copies and are noted after them: only the entries of the run here.
      u: { history: (await history(caseU)).filter((h) => h.event_id === before.envelope.eventId) },
      v: { history: (await history(caseV)).filter((h) => h.event_id === refused.envelope.eventId) },
      claims: await claims([openA, openB, withdrawA, before, refused].map((e) => e.envelope.eventId)),
    };
  }

  /** What a scenario left, without its ids. */
  const shape = (r: Awaited<ReturnType<typeof scenario>>) => ({
    a: {
      row: { ...r.a.row, last_event_id: r.a.row?.last_event_id === r.ids.withdrawA ? 'withdrawA' : r.a.row?.last_event_id },
      history: r.a.history.map(({ event_id: _e, ...h }) => h),
    },
    b: {
      state: r.b.state,
      history: r.b.history.map(({ event_id: _e, ...h }) => h),
      answer: [r.b.answer.reasonCode, r.b.answer.outcome, r.b.answer.stateAfter],
    },
    u: r.u.history.map(({ event_id: _e, ...h }) => h),
    v: r.v.history.map(({ event_id: _e, ...h }) => h),
    claims: r.claims.map(([, n]) => n),
  });

  let batched: Awaited<ReturnType<typeof scenario>>;

  it('decides in offset order on the cases as the run left them, skips duplicates, keeps a refusal as an outcome', async () => {
    const appliedBefore = await batchCount('applied');
    batched = await scenario('batch');
    expect(await batchCount('applied')).toBeGreaterThanOrEqual(appliedBefore + 6);

    expect(batched.a.row).toEqual({ state: 'withdrawn', version: 2, last_event_id: batched.ids.withdrawA });
    expect(batched.a.history).toEqual([
      expect.objectContaining({ event_id: batched.ids.openA, seq: 1, event_type: 'SubsidyApplicationSubmitted', outcome: 'applied', state_after: 'submitted' }),
      expect.objectContaining({
        event_id: batched.ids.withdrawA,
        seq: 2,
        event_type: 'SubsidyApplicationWithdrawn',
        outcome: 'applied',
        state_after: 'withdrawn',
      }),
    ]);
    // B met A, opened a moment before in the same run: the applicant already asks for these subsidies.
    expect(batched.b.state).toBe('rejected');
    expect(batched.b.history).toEqual([
      expect.objectContaining({ event_id: batched.ids.openB, seq: 1, event_type: 'SubsidyApplicationSubmitted', outcome: 'applied', state_after: 'submitted' }),
    ]);
    expect(batched.b.answer).toMatchObject({
      reasonCode: 'DUPLICATE_APPLICATION',
      openCaseId: expect.stringMatching(/-batch-a$/),
      outcome: 'applied',
      stateAfter: 'rejected',
    });
    // The refusal in the middle of the run: recorded with its reason, answered to the sender.
    expect(batched.v.history).toEqual([expect.objectContaining({ event_id: batched.ids.refused, seq: 1, outcome: 'rejected', state_after: '-' })]);
    // The event applied before the run, delivered again, is in its case's history once.
    expect(batched.u.history).toEqual([expect.objectContaining({ event_id: batched.ids.before, seq: 1, outcome: 'rejected' })]);
    expect(Object.fromEntries(batched.claims)).toEqual({
      [batched.ids.openA]: 1,
      [batched.ids.openB]: 1,
      [batched.ids.withdrawA]: 1,
      [batched.ids.before]: 1,
      [batched.ids.refused]: 1,
    });
    // No second record of the same fact: the node writes no applied_events rows beside its history.
    expect(await query(nodeDb, 'SELECT event_id FROM applied_events WHERE event_id IN (?)', [Object.values(batched.ids)])).toEqual([]);
  });

  it('a run that fails for another reason is rolled back and applied one message at a time, to the same end', async () => {
    // A real failure of the database, once: a trigger refuses the first history row of case A. Its counter is in
    // a MEMORY table, which a rollback does not restore, so the retry message by message goes through.
    const conn = await createConnection({ ...MYSQL, database: nodeDb });
    const caseA = `${example('SubsidyApplicationSubmitted').caseId}-${stack.id}-fallback-a`;
    try {
      await conn.query('CREATE TABLE test_fail_once (case_id VARCHAR(100) NOT NULL PRIMARY KEY, n INT NOT NULL) ENGINE=MEMORY DEFAULT CHARSET=utf8mb4');
      await conn.query('INSERT INTO test_fail_once (case_id, n) VALUES (?, 1)', [caseA]);
      await conn.query(`CREATE TRIGGER test_fail_once_case_events BEFORE INSERT ON case_events FOR EACH ROW
        BEGIN
          IF EXISTS (SELECT 1 FROM test_fail_once WHERE case_id = CONVERT(NEW.case_id USING utf8mb4) AND n > 0) THEN
            UPDATE test_fail_once SET n = n - 1 WHERE case_id = CONVERT(NEW.case_id USING utf8mb4);
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault: the database refuses this history row once';
          END IF;
        END`);
    } finally {
      await conn.end();
    }
    const fellBack = await batchCount('fell-back');
    const retried = await scenario('fallback');
    expect(await batchCount('fell-back')).toBeGreaterThanOrEqual(fellBack + 6);
    expect(await query<{ n: number }>(nodeDb, 'SELECT n FROM test_fail_once WHERE case_id = ?', [caseA])).toEqual([{ n: 0 }]);
    expect(shape(retried)).toEqual(shape(batched));
  });

  it('the deadlines a run starts go to BullMQ after its commit, and fire', async () => {
    // The accepting side's node runs the acknowledgement deadline; the example's date makes it due at once.
    const sc = stack.databases.nodes['510000'];
    const ids = [1, 2, 3].map((i) => `${example('SubsidyApplicationSubmitted').caseId}-${stack.id}-deadline-${i}`);
    await send(
      ids.map((caseId) => event('SubsidyApplicationSubmitted', caseId)),
      topics.local(stack.namespace, '510000'),
    );
    // Well within the reconciliation's minute: scheduled by the batch itself, not caught up later.
    for (const caseId of ids) {
      await waitFor(
        async () => {
          const rows = await query<{ event_type: string }>(sc, 'SELECT event_type FROM case_events WHERE case_id = ? ORDER BY seq', [caseId]);
          return rows.some((r) => r.event_type === 'deadline:subsidy.acknowledge') ? rows : undefined;
        },
        `the deadline of ${caseId} fired`,
        15_000,
        300,
      );
    }
  });
});
