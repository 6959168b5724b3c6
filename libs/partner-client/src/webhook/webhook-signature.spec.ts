import { signingKey, signStandardWebhook, signWebhook, verifyWebhook, WebhookVerificationError } from './webhook-signature';
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
    const receiver = new WebhookReceiver({
      secret,
      onEvent: (e) => {
        if (fail) throw new Error('database down');
        applied.push(e.eventId);
      },
    });
    const t = Math.floor(Date.now() / 1000);
    const h = { ...headers(t), 'tongban-signature': signWebhook(secret, t, body) };
    expect((await receiver.handle(h, body)).status).toBe(500);
    fail = false;
    expect((await receiver.handle(h, body)).status).toBe(200);
    expect(applied).toEqual(['e-1']);
  });
});

describe('Standard Webhooks signatures', () => {
  // The stock verifier a partner would use (standardwebhooks on npm; the same scheme exists in other languages).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Webhook } = require('standardwebhooks') as { Webhook: new (secret: string) => { verify(body: string, headers: Record<string, string>): unknown } };
  const secret = `whsec_${Buffer.from('a 32-byte signing secret for test').toString('base64')}`;
  const body = '{"eventType":"SubsidyApplicationSubmitted"}';
  const id = '6f1c2a3b-0d4e-4f5a-8b9c-0a1b2c3d4e5f';
  const now = Math.floor(Date.now() / 1000);
  const headers = (sig = signStandardWebhook(secret, id, now, body)) => ({ 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': sig });

  it('is accepted by the stock verifier, and by tongban’s own', () => {
    expect(new Webhook(secret).verify(body, headers())).toEqual(JSON.parse(body));
    expect(verifyWebhook({ secret, headers: headers(), body })).toEqual({ eventId: id, timestamp: now });
  });

  it('is refused by both when the body changed', () => {
    expect(() => new Webhook(secret).verify(body.replace('Subsidy', 'Funeral'), headers())).toThrow();
    expect(() => verifyWebhook({ secret, headers: headers(), body: body.replace('Subsidy', 'Funeral') })).toThrow(/does not match/);
  });

  it('accepts any of several signatures sent while a secret is rotated', () => {
    const other = signStandardWebhook(`whsec_${Buffer.from('the previous secret').toString('base64')}`, id, now, body);
    expect(verifyWebhook({ secret, headers: headers(`${other} ${signStandardWebhook(secret, id, now, body)}`), body }).eventId).toBe(id);
  });

  it('refuses an old delivery replayed later', () => {
    const old = now - 3600;
    const h = { 'webhook-id': id, 'webhook-timestamp': String(old), 'webhook-signature': signStandardWebhook(secret, id, old, body) };
    expect(() => verifyWebhook({ secret, headers: h, body })).toThrow(/more than 300 s/);
  });

  it('keys a base64url secret issued before by its decoded bytes', () => {
    const legacy = `whsec_${Buffer.from('legacy secret bytes ~~~').toString('base64url')}`;
    expect(signingKey(legacy)).toEqual(Buffer.from('legacy secret bytes ~~~'));
    expect(signingKey('plain-text-secret')).toEqual(Buffer.from('plain-text-secret'));
  });
});
