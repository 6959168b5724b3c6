import { Webhook } from 'standardwebhooks';
import { signWebhook, verifyWebhook } from '@tongban/partner-client';
import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';
import { ADMIN_TOKEN, startDelivery, startTestReceiver } from './partner-support';

type Receiver = Awaited<ReturnType<typeof startTestReceiver>>;

describe('webhook deliveries to partner systems', () => {
  let stack: TestStack;
  let delivery: Awaited<ReturnType<typeof startDelivery>>;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN } });
    delivery = await startDelivery(stack, {
      TONGBAN_DELIVERY_RETRY_WINDOW_SECONDS: '3',
      TONGBAN_DELIVERY_BACKOFF_INITIAL_MS: '100',
      TONGBAN_DELIVERY_BACKOFF_MAX_MS: '400',
      TONGBAN_DELIVERY_TIMEOUT_MS: '700',
    });
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await delivery?.stop();
    await stack?.stop();
  });

  /** A receiver registered with a fresh partner key for `region` (its own API key, issued by an operator). */
  async function subscribe(region: string, eventTypes = ['*']) {
    let secret = '';
    const receiver = await startTestReceiver(() => secret);
    receivers.push(receiver);
    const issued = await fetch(`${stack.gatewayUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ systemName: `partner-${region}-${receivers.length}`, division: region }),
    });
    expect(issued.status).toBe(201);
    const { key } = (await issued.json()) as { key: string };
    const res = await fetch(`${delivery.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ url: receiver.url, eventTypes, region }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { secret: string; subscriptionId: string };
    secret = body.secret;
    return { receiver, key, secret, subscriptionId: body.subscriptionId };
  }

  async function publish(eventType: string, suffix: string, change: (b: ReturnType<typeof example>) => void = () => undefined) {
    const body = example(eventType, `${stack.id}-${suffix}`);
    body.occurredAt = new Date().toISOString();
    change(body);
    const r = await post(stack, body, 'dev-chengdu');
    expect({ status: r.status, body: r.status === 202 ? undefined : r.body }).toEqual({ status: 202 });
    return { eventId: r.body.eventId as string, caseId: body.caseId, body };
  }

  it('refuses a subscription to another region’s events', async () => {
    const res = await fetch(`${delivery.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev-dazu' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', eventTypes: ['*'], region: '510104' }),
    });
    expect(res.status).toBe(403);
    const anonymous = await fetch(`${delivery.url}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
  });

  it('delivers a signed, minimised event that the reference receiver verifies', async () => {
    const { receiver, secret } = await subscribe('500111', ['SubsidyApplicationSubmitted']);
    const { eventId, body } = await publish('SubsidyApplicationSubmitted', 'signed');
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === eventId) ? true : undefined), 'the delivery');
    const got = receiver.receptions.find((r) => r.headers['tongban-event-id'] === eventId)!;
    expect(got.headers['tongban-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(got.headers['webhook-id']).toBe(eventId);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // A partner verifies with a stock Standard Webhooks library, given the secret as issued.
    expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({ eventId });
    expect(() => new Webhook(secret).verify(got.body.replace('500111', '500112'), got.headers as Record<string, string>)).toThrow();
    expect(verifyWebhook({ secret, headers: got.headers, body: got.body })).toEqual({ eventId, timestamp: Number(got.headers['webhook-timestamp']) });
    // tongban's own headers verify too; tampered and stale copies of the same delivery are refused.
    const own = Object.fromEntries(Object.entries(got.headers).filter(([name]) => !name.startsWith('webhook-')));
    expect(verifyWebhook({ secret, headers: own, body: got.body })).toEqual({ eventId, timestamp: Number(got.headers['tongban-timestamp']) });
    expect(() => verifyWebhook({ secret, headers: own, body: got.body.replace('500111', '500112') })).toThrow(/signature/);
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect(() =>
      verifyWebhook({ secret, headers: { ...own, 'tongban-timestamp': String(old), 'tongban-signature': signWebhook(secret, old, got.body) }, body: got.body }),
    ).toThrow(/more than 300 s/);

    // Minimisation proven on the bytes that arrived: the phone and the street address never left.
    const phone = body.payload.contactPhone as string;
    const street = (body.payload.residence as { detail: string }).detail;
    expect(got.body).not.toContain(phone);
    expect(got.body).not.toContain(street);
    const event = JSON.parse(got.body);
    expect(event.payload.contactPhone).toBe('[withheld]');
    expect(event.payload.residence).toEqual({ division: (body.payload.residence as { division: string }).division, detail: '[withheld]' });
    expect(event.payload.applicant.idNumber).toBe('500111196804170022');
    expect(event).toMatchObject({ eventId, eventType: 'SubsidyApplicationSubmitted', targetRegion: '500111' });
  });

  it('retries a receiver that fails, and applies the event once when it recovers', async () => {
    const { receiver } = await subscribe('500111', ['DeathRegistered']);
    receiver.state.behave = (_id, n) => (n <= 2 ? { fail: 503 } : {});
    const { eventId } = await publish('DeathRegistered', 'retry');
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === eventId) ? true : undefined), 'the delivery after retries');
    expect(receiver.receptions.filter((r) => r.headers['tongban-event-id'] === eventId).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(receiver.applied.filter((e) => e.eventId === eventId)).toHaveLength(1);
  });

  it('has no duplicate effect when the receiver answers 2xx too late', async () => {
    const { receiver } = await subscribe('500111', ['FuneralSubsidyClaimed']);
    receiver.state.behave = (_id, n) => (n === 1 ? { delayMs: 1500 } : {});
    const { eventId } = await publish('FuneralSubsidyClaimed', 'late');
    await waitFor(
      async () => (receiver.receptions.filter((r) => r.headers['tongban-event-id'] === eventId).length >= 2 ? true : undefined),
      'a second delivery',
    );
    await waitFor(async () => {
      const rows = (
        (await (await fetch(`${delivery.url}/v1/deliveries?state=delivered&limit=1000`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
          deliveries: Array<{ eventId: string }>;
        }
      ).deliveries;
      return rows.some((d) => d.eventId === eventId) ? true : undefined;
    }, 'the delivery to be recorded as delivered');
    expect(receiver.applied.filter((e) => e.eventId === eventId)).toHaveLength(1);
  });

  it('keeps the order of a case: event n+1 waits until n was delivered', async () => {
    const { receiver } = await subscribe('500111', ['SubsidyApplicationSubmitted']);
    const first = await publish('SubsidyApplicationSubmitted', 'order', (b) => (b.payload.consentRef = 'CONSENT-FIRST'));
    receiver.state.behave = (id, n) => (id === first.eventId && n <= 3 ? { fail: 500 } : {});
    const second = await publish('SubsidyApplicationSubmitted', 'order', (b) => (b.payload.consentRef = 'CONSENT-SECOND'));
    const third = await publish('SubsidyApplicationSubmitted', 'order', (b) => (b.payload.consentRef = 'CONSENT-THIRD'));
    expect(second.caseId).toBe(first.caseId);
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === third.eventId) ? true : undefined), 'all three deliveries');
    const mine = receiver.receptions.filter((r) => [first.eventId, second.eventId, third.eventId].includes(String(r.headers['tongban-event-id'])));
    const firstOk = mine.findIndex((r) => r.headers['tongban-event-id'] === first.eventId && r.status === 200);
    const secondSeen = mine.findIndex((r) => r.headers['tongban-event-id'] === second.eventId);
    expect(mine.slice(0, 3).map((r) => r.status)).toEqual([500, 500, 500]);
    expect(secondSeen).toBeGreaterThan(firstOk);
    expect(receiver.applied.filter((e) => e.caseId === first.caseId).map((e) => e.payload.consentRef)).toEqual([
      'CONSENT-FIRST',
      'CONSENT-SECOND',
      'CONSENT-THIRD',
    ]);
  });

  it('parks a delivery to a receiver down past the retry window, then redelivers it', async () => {
    const { receiver, key } = await subscribe('500111', ['EconomicCheckRequested']);
    let down = true;
    receiver.state.behave = () => (down ? { fail: 503 } : {});
    const { eventId } = await publish('EconomicCheckRequested', 'parked');
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const parked = await waitFor(
      async () => {
        const list = (await (await fetch(`${delivery.url}/v1/deliveries?state=parked`, { headers: admin })).json()) as {
          deliveries: Array<{ deliveryId: string; eventId: string; attempts: number }>;
        };
        return list.deliveries.find((d) => d.eventId === eventId);
      },
      'the delivery to be parked',
      20_000,
      200,
    );
    expect(parked.attempts).toBeGreaterThan(1);
    // The partner sees its own parked delivery with its key, not the others'.
    const own = (await (await fetch(`${delivery.url}/v1/deliveries?state=parked`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      deliveries: Array<{ eventId: string }>;
    };
    expect(own.deliveries.map((d) => d.eventId)).toEqual([eventId]);

    down = false;
    const redeliver = await fetch(`${delivery.url}/v1/deliveries/${parked.deliveryId}/redeliver`, { method: 'POST', headers: admin });
    expect(redeliver.status).toBe(202);
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === eventId) ? true : undefined), 'the redelivery');
    const again = await fetch(`${delivery.url}/v1/deliveries/${parked.deliveryId}/redeliver`, { method: 'POST', headers: admin });
    expect(again.status).toBe(409);
  });
});
