import { request } from 'node:http';
import { example, EventBody } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';
import { bearer, call, economicCheckFrom } from './security-support';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BATCH_BYTES = 2 * 1024 * 1024;

/**
 * The batch upload is no weaker a door than POST /v1/events: the same key checks (no key, an unknown key,
 * another province's key, 429 when over the key's rate), the same per-item authorisation (an office key for
 * a district outside its office, a division key for an office or another division), keys' idempotency records
 * kept apart, and bounds on size, count and concurrency that refuse before anything is stored.
 */
describe('attack: the batch upload as a way around the checks of POST /v1/events', () => {
  let stack: TestStack;
  const stored = async (like: string): Promise<number> =>
    Number((await stack.gateway.dataSource.query('SELECT COUNT(*) AS n FROM accepted_events WHERE case_id LIKE ?', [like]))[0].n);
  const batch = (body: unknown, key?: string, path = '/v1/events:batch') =>
    call(`${stack.gatewayUrl}${path}`, {
      method: 'POST',
      headers: { ...(key ? bearer(key) : {}), 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startTestStack({
      relay: false,
      env: {
        TONGBAN_GATEWAY_PROVINCE: '500000',
        TONGBAN_GATEWAY_BATCH_MAX_BYTES: String(BATCH_BYTES),
        TONGBAN_GATEWAY_BATCH_MAX_IN_FLIGHT: '1',
        TONGBAN_RATE_LIMIT_PER_SECOND: '1',
        TONGBAN_RATE_LIMIT_BURST: '12',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a batch without a key, with an unknown key and with another province’s key as a whole, storing nothing', async () => {
    const items = [economicCheckFrom('500111', `${stack.id}-nokey`)];
    expect(await batch(items)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    expect(await batch(items, 'not-a-key')).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    const chengdu = await batch([economicCheckFrom('510100', `${stack.id}-sc`)], 'dev-chengdu');
    expect(chengdu).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_REGION' } } });
    expect(chengdu.body).toEqual((await post(stack, economicCheckFrom('510100', `${stack.id}-sc`), 'dev-chengdu')).body);
    expect(await stored(`%-${stack.id}-%`)).toBe(0);
  });

  it('refuses each item a key may not publish exactly as POST /v1/events does, and stores only what it may', async () => {
    const officeCase = (district: string, suffix: string, office: string | null = 'CQ-HTZ'): EventBody => ({
      ...economicCheckFrom(district, suffix),
      caseId: `ECK-${office ? 'CQHTZ' : district}-2026-${suffix}`,
      sourceOffice: office,
    });
    const cases: Array<[string, EventBody[], number[]]> = [
      // An office key: its own office's district, its office for a district it does not serve (400, as alone),
      // a district outside its office without naming an office.
      [
        'dev-cqhtz',
        [officeCase('500107', `${stack.id}-o1`), officeCase('500111', `${stack.id}-o2`), officeCase('500111', `${stack.id}-o3`, null)],
        [202, 400, 403],
      ],
      // A division key: its own case, another division's, an office's.
      [
        'dev-dazu',
        [economicCheckFrom('500111', `${stack.id}-d1`), economicCheckFrom('500112', `${stack.id}-d2`), officeCase('500107', `${stack.id}-d3`)],
        [202, 403, 403],
      ],
    ];
    for (const [key, items, statuses] of cases) {
      const answer = await batch(items, key);
      expect(answer.status).toBe(207);
      const results = answer.body.results as Json[];
      for (let i = 0; i < items.length; i++) {
        if (results[i].status === 202) continue;
        const alone = await post(stack, items[i], key);
        expect({ key, i, status: results[i].status, error: results[i].error }).toEqual({ key, i, status: alone.status, error: alone.body.error });
      }
      expect(results.map((r) => r.status)).toEqual(statuses);
    }
    expect(await stored(`%-${stack.id}-o%`)).toBe(1);
    expect(await stored(`%-${stack.id}-d%`)).toBe(1);
  });

  it('keeps idempotency keys per API key: another key’s idempotencyKey does not answer its event', async () => {
    const mine = await batch([{ ...economicCheckFrom('500111', `${stack.id}-k1`), idempotencyKey: `shared-${stack.id}` }], 'dev-dazu');
    const theirs = await batch([{ ...economicCheckFrom('500111', `${stack.id}-k1`), idempotencyKey: `shared-${stack.id}` }], 'dev-chongqing');
    expect(mine.body.results[0].status).toBe(202);
    expect(theirs.body.results[0].status).toBe(202);
    expect(theirs.body.results[0].replayed).toBeUndefined();
    expect(theirs.body.results[0].eventId).not.toBe(mine.body.results[0].eventId);
  });

  it('refuses hostile items one by one: prototype keys, unknown fields, nested arrays, a key that is not a string', async () => {
    const good = economicCheckFrom('500111', `${stack.id}-h0`);
    const body = `[${JSON.stringify(good)},
      {"__proto__":{"isAdmin":true},"idempotencyKey":"p-${stack.id}",${JSON.stringify(economicCheckFrom('500111', `${stack.id}-h1`)).slice(1)},
      ${JSON.stringify({ ...economicCheckFrom('500111', `${stack.id}-h2`), constructor: { prototype: { polluted: true } } })},
      [${JSON.stringify(economicCheckFrom('500111', `${stack.id}-h3`))}],
      ${JSON.stringify({ ...economicCheckFrom('500111', `${stack.id}-h4`), idempotencyKey: { $gt: '' } })}]`;
    const answer = await batch(body, 'dev-dazu');
    expect(answer.status).toBe(207);
    expect((answer.body.results as Json[]).map((r) => [r.status, r.error?.details?.[0]?.path])).toEqual([
      [202, undefined],
      [400, '__proto__'],
      [400, 'constructor'],
      [400, ''],
      [400, 'idempotencyKey'],
    ]);
    expect(({} as Json).isAdmin).toBeUndefined();
    expect(({} as Json).polluted).toBeUndefined();
    expect(await stored(`%-${stack.id}-h%`)).toBe(1);
  });

  it('bounds the count and the size: 501 items and a body over the batch limit are 413, nothing stored; other routes keep 1 MiB', async () => {
    const many = Array.from({ length: 501 }, (_, i) => economicCheckFrom('500111', `${stack.id}-m${i}`));
    const tooMany = await batch(many, 'dev-dazu');
    expect(tooMany).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'holds 501 events; a batch holds at most 500' } } });
    const padded = [{ ...economicCheckFrom('500111', `${stack.id}-big`), padding: 'x'.repeat(BATCH_BYTES) }];
    expect(await batch(padded, 'dev-dazu')).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(await stored(`%-${stack.id}-m%`)).toBe(0);
    expect(await stored(`%-${stack.id}-big%`)).toBe(0);
    // 1.5 MiB: within the batch limit (refused item by item), over the limit of every other route.
    const mid = JSON.stringify([{ ...economicCheckFrom('500111', `${stack.id}-mid`), padding: 'x'.repeat(1.5 * 1024 * 1024) }]);
    expect((await batch(mid, 'dev-dazu')).body.results[0]).toMatchObject({ status: 400, error: { details: [{ path: 'padding' }] } });
    expect(
      await call(`${stack.gatewayUrl}/v1/events`, {
        method: 'POST',
        headers: { ...bearer('dev-dazu'), 'content-type': 'application/json' },
        body: mid.slice(1, -1),
      }),
    ).toMatchObject({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE' } },
    });
  });

  it('works on one batch upload at a time here: another is 503 with Retry-After before its body is read, single events still pass', async () => {
    // A batch whose body never finishes holds the one place.
    const held = request(`${stack.gatewayUrl}/v1/events:batch`, {
      method: 'POST',
      headers: { ...bearer('dev-dazu'), 'content-type': 'application/json', 'content-length': '100000' },
    });
    held.on('error', () => undefined);
    held.write('[');
    await new Promise((r) => setTimeout(r, 200));
    try {
      const second = await fetch(`${stack.gatewayUrl}/v1/events:batch`, {
        method: 'POST',
        headers: { ...bearer('dev-dazu'), 'content-type': 'application/json' },
        body: JSON.stringify([economicCheckFrom('500111', `${stack.id}-busy`)]),
      });
      expect(second.status).toBe(503);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await second.json()) as Json).error.code).toBe('OVERLOADED');
      expect((await post(stack, economicCheckFrom('500111', `${stack.id}-single`), 'dev-dazu')).status).toBe(202);
    } finally {
      held.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await batch([economicCheckFrom('500111', `${stack.id}-after`)], 'dev-dazu')).status).toBe(207);
  });

  it('answers 429 to a batch from a key over its rate, as it answers a single event', async () => {
    // dev-chongqing has a burst of 12 and 1 more a second: spend it.
    let last = 0;
    for (let i = 0; i < 20 && last !== 429; i++)
      last = (await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-flood-${i}`), 'dev-chongqing')).status;
    expect(last).toBe(429);
    const limited = await fetch(`${stack.gatewayUrl}/v1/events:batch`, {
      method: 'POST',
      headers: { ...bearer('dev-chongqing'), 'content-type': 'application/json' },
      body: JSON.stringify([economicCheckFrom('500000', `${stack.id}-flooded`)]),
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
