import { createConnection } from 'mysql2/promise';
import { FAILURE_HEADERS, HEADERS } from '@tongban/kafka';
import { topics } from '@tongban/regions';
import { api, eventHeaders, exampleEvent, OpsTestStack, startOpsStack, TOKENS } from '../ops/ops-support';
import { ADMIN_TOKEN, startDelivery, startTestReceiver } from '../partners/partner-support';
import { MYSQL } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

/**
 * Delivery and the ops ingest park what they cannot process, with its reason, where an operator sees it
 * (the ops API behind the console), and go on with the rest of the partition.
 */
describe('every consumer has a dead-letter path', () => {
  let t: OpsTestStack;
  let delivery: Awaited<ReturnType<typeof startDelivery>>;
  let receiver: Awaited<ReturnType<typeof startTestReceiver>>;

  beforeAll(async () => {
    t = await startOpsStack({ TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN });
    delivery = await startDelivery(t.stack);
    let secret = '';
    receiver = await startTestReceiver(() => secret);
    const issued = await fetch(`${t.stack.gatewayUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ systemName: `partner-dlq-${t.stack.id}`, division: '500111' }),
    });
    expect(issued.status).toBe(201);
    const { key } = (await issued.json()) as { key: string };
    const res = await fetch(`${delivery.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ url: receiver.url, eventTypes: ['SubsidyApplicationSubmitted'], region: '500111' }),
    });
    expect(res.status).toBe(201);
    secret = ((await res.json()) as { secret: string }).secret;
  });
  afterAll(async () => {
    await receiver?.close();
    await delivery?.stop();
    await t?.stop();
  });

  const producer = () => {
    const p = t.stack.kafka.producer();
    return p.connect().then(() => p);
  };

  it('delivery parks an event it cannot turn into a delivery and delivers the next one of the partition', async () => {
    // An event the delivery store refuses for good (a real fault, injected with a MariaDB trigger).
    const poison = exampleEvent('SubsidyApplicationSubmitted', `${t.stack.id}-poison`);
    const conn = await createConnection({ ...MYSQL, database: `tb_${t.stack.id}_delivery` });
    try {
      await conn.query(`CREATE TRIGGER test_fault_deliveries BEFORE INSERT ON deliveries FOR EACH ROW
        BEGIN
          IF NEW.case_id LIKE '%-poison' THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault: the delivery store refuses this case';
          END IF;
        END`);
    } finally {
      await conn.end();
    }
    const next = exampleEvent('SubsidyApplicationSubmitted', `${t.stack.id}-following`);
    // Both on one partition, the poison first.
    const q = await producer();
    try {
      await q.send({
        topic: t.stack.inbox('500000'),
        acks: -1,
        messages: [
          { partition: 0, key: 'poison', value: await t.codec.encode('SubsidyApplicationSubmitted', poison), headers: eventHeaders(poison) },
          { partition: 0, key: 'next', value: await t.codec.encode('SubsidyApplicationSubmitted', next), headers: eventHeaders(next) },
        ],
      });
    } finally {
      await q.disconnect();
    }
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === next.envelope.eventId) ? true : undefined), 'the next event delivered', 60_000);
    const parked = await waitFor(
      async () => {
        const r = await api(t, 'GET', `/v1/dlq?eventId=${poison.envelope.eventId}`, TOKENS.viewer);
        for (const item of (r.body.items as Array<{ id: number }> | undefined) ?? []) {
          const shown = await api(t, 'GET', `/v1/dlq/${item.id}`, TOKENS.viewer);
          if (JSON.stringify(shown.body).includes(`${t.stack.namespace}.delivery`)) return shown.body;
        }
        return undefined;
      },
      'the poison parked by delivery, in the ops API',
      60_000,
      500,
    );
    expect(parked).toMatchObject({ state: 'parked' });
    expect(JSON.stringify(parked)).toContain('injected fault: the delivery store refuses this case');
    expect(receiver.applied.some((e) => e.eventId === poison.envelope.eventId)).toBe(false);
  });

  it('the ops ingest stores a dead letter it cannot store as it came, with the reason, and goes on', async () => {
    const caseId = `CASE-BAD-HEADERS-${uniqueId()}`;
    const dlq = topics.dlq(t.stack.inbox('500000'));
    const p = await producer();
    try {
      await p.send({
        topic: dlq,
        acks: -1,
        messages: [
          {
            key: caseId,
            value: Buffer.from('\u0001 garbage on the dead-letter topic'),
            headers: {
              [FAILURE_HEADERS.originalTopic]: t.stack.inbox('500000'),
              [FAILURE_HEADERS.originalPartition]: 'not-a-partition',
              [FAILURE_HEADERS.originalOffset]: 'not-an-offset',
              [FAILURE_HEADERS.originalKey]: caseId,
              [FAILURE_HEADERS.errorMessage]: 'y'.repeat(70_000),
              [HEADERS.eventType]: 'SubsidyApplicationSubmitted',
            },
          },
        ],
      });
    } finally {
      await p.disconnect();
    }
    const after = `CASE-AFTER-${uniqueId()}`;
    await t.park('500000', Buffer.from('also not avro'), new Error('a later failure'), {}, after);
    const bad = await waitFor(
      async () => {
        const r = await api(t, 'GET', `/v1/dlq?caseId=${caseId}`, TOKENS.viewer);
        return r.body.items?.[0];
      },
      'the bad dead letter stored with its reason',
      60_000,
      500,
    );
    expect(bad).toMatchObject({ errorCode: 'OPS.INGEST_FAILED', state: 'parked' });
    const shown = await api(t, 'GET', `/v1/dlq/${bad.id}`, TOKENS.viewer);
    expect(JSON.stringify(shown.body)).toContain('could not be stored as it came');
    await waitFor(
      async () => ((await api(t, 'GET', `/v1/dlq?caseId=${after}`, TOKENS.viewer)).body.total === 1 ? true : undefined),
      'the next dead letter stored',
      60_000,
      500,
    );
  });
});
