import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

/**
 * `GET /v1/events/:eventId`: the publisher follows its event from accepted (in the gateway's outbox) to
 * sent (on Kafka); nobody else learns that it exists.
 */
describe('GET /v1/events/:eventId', () => {
  let stack: TestStack;

  async function getEvent(eventId: string, key?: string) {
    const res = await fetch(`${stack.gatewayUrl}/v1/events/${encodeURIComponent(eventId)}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    // No relay yet: what is accepted stays in the outbox until the test starts one.
    stack = await startTestStack({ relay: false });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers accepted while the event is in the outbox, then sent once the relay took it to Kafka', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-status`);
    const published = await post(stack, body, 'dev-chengdu', { 'x-correlation-id': `corr-${stack.id}` });
    expect(published.status).toBe(202);
    const eventId = published.body.eventId as string;

    const before = await getEvent(eventId, 'dev-chengdu');
    expect(before).toEqual({
      status: 200,
      body: {
        eventId,
        eventType: 'SubsidyApplicationSubmitted',
        caseId: body.caseId,
        sourceRegion: '510104',
        targetRegion: body.targetRegion,
        sourceOffice: null,
        correlationId: `corr-${stack.id}`,
        acceptedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        status: 'accepted',
        sentAt: null,
        // Both nodes get a copy (the publisher's own and the addressee's); neither has it yet.
        nodes: [
          { node: '500000', outcome: 'pending', reason: null, at: null },
          { node: '510000', outcome: 'pending', reason: null, at: null },
        ],
      },
    });
    expect(Math.abs(Date.parse(before.body.acceptedAt as string) - Date.now())).toBeLessThan(60_000);
    // The province's key speaks for Chengdu too.
    expect((await getEvent(eventId, 'dev-sichuan')).body.status).toBe('accepted');

    await stack.startRelay();
    const after = await waitFor(async () => {
      const r = await getEvent(eventId, 'dev-chengdu');
      return r.body.status === 'sent' ? r.body : undefined;
    }, 'the event sent');
    expect(Date.parse(after.sentAt as string)).toBeGreaterThanOrEqual(Date.parse(before.body.acceptedAt as string));
    // Then each node's own answer: the addressee and the publisher's node have applied it.
    const applied = await waitFor(async () => {
      const r = await getEvent(eventId, 'dev-chengdu');
      const nodes = r.body.nodes as Array<{ outcome: string }>;
      return nodes.every((n) => n.outcome === 'applied') ? nodes : undefined;
    }, 'both nodes to apply the event');
    expect(applied).toEqual([
      { node: '500000', outcome: 'applied', reason: null, at: expect.stringMatching(/Z$/) },
      { node: '510000', outcome: 'applied', reason: null, at: expect.stringMatching(/Z$/) },
    ]);
  });

  it('answers a node’s refusal with the case’s reason', async () => {
    await stack.startRelay();
    // A withdrawal of a case nobody opened: the addressee's node refuses it as an event of an unknown case.
    const body = example('SubsidyApplicationWithdrawn', `${stack.id}-refused`);
    const published = await post(stack, body, 'dev-chengdu');
    expect(published.status).toBe(202);
    const nodes = await waitFor(async () => {
      const r = (await getEvent(published.body.eventId as string, 'dev-chengdu')).body.nodes as Array<{ node: string; outcome: string; reason: string | null }>;
      return r.length > 0 && r.every((n) => n.outcome !== 'pending') ? r : undefined;
    }, 'the nodes to handle the withdrawal');
    const addressee = nodes.find((n) => n.node === '500000')!;
    expect(addressee).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^UNKNOWN_CASE: /) });
  });

  it("answers another division's event, and an office key's, exactly as a missing one", async () => {
    const published = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-other`), 'dev-chengdu');
    const eventId = published.body.eventId as string;
    const missing = await getEvent('4f0c8a52-5d6e-4c1b-9a7f-3e2d1c0b9a88', 'dev-dazu');
    expect(missing.status).toBe(404);
    for (const key of ['dev-dazu', 'dev-chongqing', 'dev-cqhtz', 'dev-anyue']) {
      const other = await getEvent(eventId, key);
      // The same problem as for a missing id, but for the id named in it.
      const same = (body: Record<string, unknown>, id: string) => JSON.parse(JSON.stringify(body).split(id).join('<id>'));
      expect({ key, status: other.status, body: same(other.body, eventId) }).toEqual({
        key,
        status: 404,
        body: same(missing.body, '4f0c8a52-5d6e-4c1b-9a7f-3e2d1c0b9a88'),
      });
      expect(other.body).toMatchObject({ code: 'GATEWAY.EVENT_NOT_FOUND', status: 404, detail: `event ${eventId} not found` });
    }
  });

  it("shows an office's event to that office's key only", async () => {
    const body = example('MarriageRegistrationRequested', `${stack.id}-office`);
    expect(body.sourceOffice).toBe('CQ-HTZ');
    const published = await post(stack, body, 'dev-cqhtz');
    expect(published.status).toBe(202);
    const eventId = published.body.eventId as string;
    expect(await getEvent(eventId, 'dev-cqhtz')).toMatchObject({ status: 200, body: { sourceOffice: 'CQ-HTZ', eventType: 'MarriageRegistrationRequested' } });
    expect((await getEvent(eventId, 'dev-chongqing')).status).toBe(404);
  });

  it('refuses a malformed id with 400 and a missing key with 401', async () => {
    const malformed = await getEvent("x' OR '1'='1", 'dev-chengdu');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'eventId', problem: expect.stringContaining('UUID') }] });
    expect((await getEvent('4f0c8a52-5d6e-4c1b-9a7f-3e2d1c0b9a88')).status).toBe(401);
  });
});
