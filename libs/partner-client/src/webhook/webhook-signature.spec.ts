import { signWebhook, verifyWebhook, WebhookVerificationError } from './webhook-signature';
import { WebhookReceiver } from './webhook-receiver';

const secret = 'whsec_test_secret';
const body = JSON.stringify({ eventId: 'e-1', eventType: 'SubsidyApproved', payload: {} });
const now = 1_790_000_000_000;
const ts = Math.floor(now / 1000);
const headers = (t = ts, b = body) => ({ 'tongban-timestamp': String(t), 'tongban-signature': signWebhook(secret, t, b), 'tongban-event-id': 'e-1' });

function reason(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as WebhookVerificationError).reason;
  }
}

describe('webhook signatures', () => {
  it('accepts a good signature within the tolerance', () => {
    expect(verifyWebhook({ secret, headers: headers(), body, now })).toEqual({ eventId: 'e-1', timestamp: ts });
  });

  it('refuses a tampered body, a wrong secret and a moved timestamp', () => {
    expect(reason(() => verifyWebhook({ secret, headers: headers(), body: body.replace('Approved', 'Rejected'), now }))).toBe('BAD_SIGNATURE');
    expect(reason(() => verifyWebhook({ secret: 'other', headers: headers(), body, now }))).toBe('BAD_SIGNATURE');
    expect(reason(() => verifyWebhook({ secret, headers: { ...headers(), 'tongban-timestamp': String(ts + 1) }, body, now }))).toBe('BAD_SIGNATURE');
  });

  it('refuses a stale or future timestamp beyond the tolerance', () => {
    expect(reason(() => verifyWebhook({ secret, headers: headers(ts - 301), body, now }))).toBe('STALE');
    expect(reason(() => verifyWebhook({ secret, headers: headers(ts + 301), body, now }))).toBe('STALE');
    expect(reason(() => verifyWebhook({ secret, headers: headers(ts - 299), body, now }))).toBeUndefined();
    expect(reason(() => verifyWebhook({ secret, headers: headers(ts - 60), body, now, toleranceSeconds: 30 }))).toBe('STALE');
  });

  it('refuses a delivery without the headers', () => {
    expect(reason(() => verifyWebhook({ secret, headers: {}, body, now }))).toBe('MISSING_HEADER');
  });
});

describe('the reference receiver', () => {
  it('applies an event id once, however often it is delivered', async () => {
    const applied: string[] = [];
    const receiver = new WebhookReceiver({ secret, onEvent: (e) => void applied.push(e.eventId) });
    const t = Math.floor(Date.now() / 1000);
    const h = { ...headers(t), 'tongban-signature': signWebhook(secret, t, body) };
    expect((await receiver.handle(h, body)).status).toBe(200);
    const again = await receiver.handle(h, body);
    expect(again).toEqual({ status: 200, body: { eventId: 'e-1', duplicate: true } });
    expect(applied).toEqual(['e-1']);
    expect((await receiver.handle({ ...h, 'tongban-signature': 'v1=00' }, body)).status).toBe(401);
  });

  it('answers 500 when the effect failed, and applies it on the next delivery', async () => {
    let fail = true;
    const applied: string[] = [];
    const receiver = new WebhookReceiver({ secret, onEvent: (e) => { if (fail) throw new Error('database down'); applied.push(e.eventId); } });
    const t = Math.floor(Date.now() / 1000);
    const h = { ...headers(t), 'tongban-signature': signWebhook(secret, t, body) };
    expect((await receiver.handle(h, body)).status).toBe(500);
    fail = false;
    expect((await receiver.handle(h, body)).status).toBe(200);
    expect(applied).toEqual(['e-1']);
  });
});
