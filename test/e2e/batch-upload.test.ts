import { AuditLog, DISCLOSURE_ACTION, DISCLOSURE_CHAIN } from '@tongban/audit';
import { example, EventBody } from '../support/examples';
import { MYSQL, post, startTestStack, TestStack } from '../support/test-stack';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHENGDU = 'dev-chengdu';

async function batch(stack: TestStack, body: unknown, key = CHENGDU): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${stack.gatewayUrl}/v1/events:batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

interface OutboxRow {
  event_id: string;
  lane: number;
  topic: string;
  message_key: string;
  value: Buffer;
  headers: string;
}

/**
 * A municipal system's nightly upload through POST /v1/events:batch: a mixed batch is answered item by item
 * exactly as POST /v1/events answers each item alone, only the valid items are stored (in one transaction,
 * with their outbox rows and disclosure records), keys repeated within the batch or used by an earlier single
 * call are replays, and what the relay will send for a batch item is byte for byte what it sends for the same
 * request published alone. With the database cut off, the whole batch is 503 with Retry-After, nothing stored.
 */
describe('POST /v1/events:batch', () => {
  let proxy: TcpProxy;
  let stack: TestStack;

  beforeAll(async () => {
    proxy = await new TcpProxy({ host: MYSQL.host, port: MYSQL.port }).start();
    stack = await startTestStack({ relay: false, env: { TONGBAN_MYSQL_PORT: String(proxy.port), TONGBAN_RATE_LIMIT_BOOTSTRAP_KEYS: 'false' } });
  });
  afterAll(async () => {
    await proxy?.restore();
    await stack?.stop();
    await proxy?.stop();
  });

  const outboxOf = async (eventIds: string[]): Promise<OutboxRow[]> =>
    stack.gateway.dataSource.query('SELECT event_id, lane, topic, message_key, value, headers FROM outbox_events WHERE event_id IN (?) ORDER BY id', [
      eventIds,
    ]);

  it('answers a mixed batch item by item as POST /v1/events would, and stores only the valid items', async () => {
    const id = stack.id;
    // An earlier single call with an Idempotency-Key.
    const earlierBody = example('SubsidyApplicationSubmitted', `${id}-earlier`);
    const earlier = await post(stack, earlierBody, CHENGDU, { 'idempotency-key': `earlier-${id}` });
    expect(earlier.status).toBe(202);

    const valid = example('SubsidyApplicationSubmitted', `${id}-a`);
    const invalid = example('SubsidyApplicationSubmitted', `${id}-bad`);
    (invalid.payload.applicant as Json).idNumber = '5101';
    const otherOffice: EventBody = { ...example('SubsidyApplicationSubmitted', `${id}-office`), sourceOffice: 'CQ-HTZ', sourceRegion: '500107' };
    const otherDivision: EventBody = { ...example('SubsidyApplicationSubmitted', `${id}-dazu`), sourceRegion: '500111', targetRegion: '510104' };
    const plain = example('SubsidyApplicationSubmitted', `${id}-b`);
    const items = [
      { ...valid, idempotencyKey: `a-${id}` }, // 0: accepted
      invalid, // 1: 400, the schema's format check
      otherOffice, // 2: 403, another office
      { ...valid, idempotencyKey: `a-${id}` }, // 3: the same key and body within the batch: a replay of 0
      { ...plain, occurredAt: '2025-01-02T03:04:05.000Z', idempotencyKey: `a-${id}` }, // 4: the same key, another body: 409
      { ...earlierBody, idempotencyKey: `earlier-${id}` }, // 5: the key of the earlier single call, same body: its event
      plain, // 6: accepted, no key
      { ...plain, idempotencyKey: 'has a space' }, // 7: 400, a malformed key
      otherDivision, // 8: 403, another division
      'not an event', // 9: 400, not an object
      { eventType: 'NoSuchEvent' }, // 10: 400
    ];
    const answer = await batch(stack, items);
    expect(answer.status).toBe(207);
    const results = answer.body.results as Json[];
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [0, 202],
      [1, 400],
      [2, 403],
      [3, 202],
      [4, 409],
      [5, 202],
      [6, 202],
      [7, 400],
      [8, 403],
      [9, 400],
      [10, 400],
    ]);
    expect(results[9].error.details).toEqual([{ path: '', problem: 'body must be a JSON object' }]);
    expect(results[0]).toEqual({ index: 0, status: 202, eventId: expect.any(String), caseId: valid.caseId, correlationId: results[0].eventId });
    expect(results[3]).toEqual({ ...results[0], index: 3, replayed: true });
    expect(results[5]).toEqual({
      index: 5,
      status: 202,
      eventId: earlier.body.eventId,
      caseId: earlierBody.caseId,
      correlationId: earlier.body.correlationId,
      replayed: true,
    });
    expect(results[7].error).toEqual({
      code: 'VALIDATION_FAILED',
      message: '1 problem(s) in the input',
      details: [{ path: 'idempotencyKey', problem: 'must be 1–200 visible ASCII characters' }],
    });

    // Each refused item gets exactly the status and error body of the single call (the key as the header).
    const alone = async (i: number, key?: string) => post(stack, stripKey(items[i] as Json), CHENGDU, key ? { 'idempotency-key': key } : {});
    for (const [i, key] of [[1], [2], [4, `a-${id}`], [7, 'has a space'], [8], [10]] as Array<[number, string?]>) {
      const single = await alone(i, key);
      const item = results[i];
      const expected =
        i === 7
          ? { ...(single.body.error as Json), details: [{ path: 'idempotencyKey', problem: (single.body.error as Json).details[0].problem }] }
          : single.body.error;
      expect({ i, status: item.status, error: item.error }).toEqual({ i, status: single.status, error: expected });
      // And the same problem (RFC 9457 members) as the single call's answer.
      const { error: _legacy, ...problem } = single.body as Json;
      if (i !== 7) expect({ i, problem: item.problem }).toEqual({ i, problem });
      else expect(item.problem).toMatchObject({ code: problem.code, status: problem.status, problems: [{ path: 'idempotencyKey' }] });
    }

    // Stored: the two new events (0 and 6) once each with both copies, and nothing of the refused items.
    const ds = stack.gateway.dataSource;
    const accepted: Array<{ event_id: string; case_id: string; key_id: string; correlation_id: string }> = await ds.query(
      'SELECT event_id, case_id, key_id, correlation_id FROM accepted_events WHERE case_id LIKE ? ORDER BY case_id',
      [`%-${id}-%`],
    );
    expect(accepted.map((r) => [r.case_id, r.event_id])).toEqual(
      [
        [earlierBody.caseId, earlier.body.eventId],
        [valid.caseId, results[0].eventId],
        [plain.caseId, results[6].eventId],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    const outbox = await outboxOf([results[0].eventId, results[6].eventId]);
    expect(outbox.map((r) => r.event_id).sort()).toEqual([results[0].eventId, results[0].eventId, results[6].eventId, results[6].eventId].sort());
    const keys: Array<{ idempotency_key: string; event_id: string }> = await ds.query(
      'SELECT idempotency_key, event_id FROM idempotency_keys WHERE idempotency_key IN (?) ORDER BY idempotency_key',
      [[`a-${id}`, `earlier-${id}`]],
    );
    expect(keys).toEqual([
      { idempotency_key: `a-${id}`, event_id: results[0].eventId },
      { idempotency_key: `earlier-${id}`, event_id: earlier.body.eventId },
    ]);

    // The disclosure records of the stored items, and the chain intact.
    const chain = new AuditLog(ds, { personKey: 'any-key-to-read-the-chain', chain: DISCLOSURE_CHAIN });
    expect(await chain.verify()).toMatchObject({ ok: true });
    const disclosed = (await chain.list({ action: DISCLOSURE_ACTION, limit: 1000 })).flatMap((e) => e.subject.messages);
    expect(disclosed).toEqual(expect.arrayContaining([results[0].eventId, results[6].eventId]));

    // A repeat of the whole batch stores nothing new for the keyed items and answers them as replays.
    const again = await batch(stack, [items[0], items[5]]);
    expect(again.body.results).toEqual([
      { ...results[0], replayed: true },
      { ...results[5], index: 1 },
    ]);
  });

  it('stores for a batch item what it stores for the same request sent alone: outbox row and disclosure record alike', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-same`);
    const single = await post(stack, body, CHENGDU);
    const inBatch = await batch(stack, [body]);
    expect(single.status).toBe(202);
    expect(inBatch.body.results[0].status).toBe(202);
    const ids = [single.body.eventId as string, inBatch.body.results[0].eventId as string];
    const rows = await outboxOf(ids);
    // Alike but for the event id (and the correlation id, which is the event id): the same topics, keys, lanes, headers and Avro bytes.
    const normalised = (eventId: string) =>
      rows
        .filter((r) => r.event_id === eventId)
        .map((r) => ({
          topic: r.topic,
          key: r.message_key,
          lane: r.lane,
          headers: r.headers.split(eventId).join('<event>'),
          value: Buffer.from(r.value).toString('latin1').split(eventId).join('<event>'),
        }))
        .sort((a, b) => a.topic.localeCompare(b.topic));
    expect(normalised(ids[0])).toHaveLength(2);
    expect(normalised(ids[1])).toEqual(normalised(ids[0]));

    const chain = new AuditLog(stack.gateway.dataSource, { personKey: 'any-key-to-read-the-chain', chain: DISCLOSURE_CHAIN });
    const entryOf = async (eventId: string) => {
      const [entry] = await chain.list({ action: DISCLOSURE_ACTION, message: eventId });
      // Each a record of its group (the batch of one, the single's group commit), with its own id and leaf hash.
      const { seq, entryId, at, prevHash, hash, record, ...rest } = entry;
      expect(record).toMatchObject({ id: entryId, leafHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      return JSON.parse(JSON.stringify(rest).split(eventId).join('<event>'));
    };
    expect(await entryOf(ids[1])).toEqual(await entryOf(ids[0]));

    // And the relay sends it like any other event.
    const relay = await stack.startRelay();
    try {
      for (const eventId of ids) {
        await waitFor(async () => {
          const res = await fetch(`${stack.gatewayUrl}/v1/events/${eventId}`, { headers: { authorization: `Bearer ${CHENGDU}` } });
          const status = (await res.json()) as Json;
          return status.status === 'sent' ? status : undefined;
        }, `event ${eventId} to be sent`);
      }
    } finally {
      await relay.stop();
    }
  });

  it('refuses a body that is not a batch as a whole', async () => {
    const one = example('SubsidyApplicationSubmitted', `${stack.id}-whole`);
    const notArray = await batch(stack, one);
    expect(notArray.status).toBe(400);
    expect(notArray.body).toMatchObject({
      code: 'REQUEST.INVALID',
      status: 400,
      problems: [{ path: '', problem: 'body must be a JSON array of 1–500 event requests' }],
      error: {
        code: 'VALIDATION_FAILED',
        message: '1 problem(s) in the input',
        details: [{ path: '', problem: 'body must be a JSON array of 1–500 event requests' }],
      },
    });
    const empty = await batch(stack, []);
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].problem).toBe('holds no event; a batch holds 1–500');
    expect((await batch(stack, '[{"eventType":')).status).toBe(400);
  });

  it('takes a full batch of 500 events in one request', async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({
      ...example('SubsidyApplicationSubmitted', `${stack.id}-n${i}`),
      idempotencyKey: `n-${stack.id}-${i}`,
    }));
    const started = Date.now();
    const answer = await batch(stack, items);
    const ms = Date.now() - started;
    expect(answer.status).toBe(207);
    expect((answer.body.results as Json[]).every((r, i) => r.index === i && r.status === 202)).toBe(true);
    const [{ n }] = await stack.gateway.dataSource.query('SELECT COUNT(*) AS n FROM accepted_events WHERE case_id LIKE ?', [`%-${stack.id}-n%`]);
    expect(Number(n)).toBe(500);
    // The same 500 requests one by one (16 at a time) for comparison, in the same run.
    const singlesStarted = Date.now();
    const queue = Array.from({ length: 500 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          expect(
            (await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-s${i}`), CHENGDU, { 'idempotency-key': `s-${stack.id}-${i}` })).status,
          ).toBe(202);
        }
      }),
    );
    console.log(`500 events: one batch answered in ${ms} ms; 500 single requests, 16 at a time, in ${Date.now() - singlesStarted} ms`);
  });

  it('answers the whole batch 503 with Retry-After while the database is down, and stores nothing of it', async () => {
    const items = [0, 1, 2].map((i) => ({ ...example('SubsidyApplicationSubmitted', `${stack.id}-down${i}`), idempotencyKey: `down-${stack.id}-${i}` }));
    // The key is authenticated (and cached) before the cut, as a running system's is.
    expect((await batch(stack, [example('SubsidyApplicationSubmitted', `${stack.id}-warm`)])).status).toBe(207);
    await proxy.cut();
    let answer: Awaited<ReturnType<typeof batch>>;
    try {
      answer = await batch(stack, [...items, { ...items[0], payload: {} }]);
    } finally {
      await proxy.restore();
    }
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answer.body.error.code).toMatch(/DEPENDENCY_UNAVAILABLE|OVERLOADED/);
    const stored = await waitFor(async () => {
      try {
        return (await stack.gateway.dataSource.query('SELECT COUNT(*) AS n FROM accepted_events WHERE case_id LIKE ?', [`%-${stack.id}-down%`])) as Array<{
          n: number;
        }>;
      } catch {
        return undefined;
      }
    }, 'the database to answer again');
    expect(Number(stored[0].n)).toBe(0);
    // Sent again once the database is back, the same batch is stored.
    const retried = await waitFor(async () => {
      const r = await batch(stack, items);
      return r.status === 207 ? r : undefined;
    }, 'the batch to be taken again');
    expect((retried.body.results as Json[]).map((r) => r.status)).toEqual([202, 202, 202]);
  });
});

function stripKey(item: Json): Json {
  const { idempotencyKey, ...rest } = item;
  return rest;
}
