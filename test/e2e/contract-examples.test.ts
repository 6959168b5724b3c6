import { example, exampleTypes } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';

/** The dev key that may publish for an example's source: the office's key, else the province's. */
function keyFor(body: { sourceRegion: string; sourceOffice?: string | null }): string {
  if (body.sourceOffice === 'CQ-HTZ') return 'dev-cqhtz';
  return body.sourceRegion.startsWith('51') ? 'dev-sichuan' : 'dev-chongqing';
}

/** Every full date (YYYY-MM-DD, alone or as the day of an instant) in a JSON value. */
function datesIn(value: unknown, path = ''): Array<{ path: string; date: string }> {
  if (typeof value === 'string') {
    const m = /^(\d{4}-\d{2}-\d{2})(T|$)/.exec(value);
    return m ? [{ path, date: m[1] }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => datesIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => datesIn(v, path ? `${path}.${k}` : k));
  return [];
}

/**
 * contracts/examples are the bodies a new user posts first: each must be accepted by a running gateway on
 * any day, so none may carry a date in the future — not even a deadline (an example dated in the past stays
 * valid tomorrow; one dated tomorrow is refused today).
 */
describe('the contract examples', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ relay: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each(exampleTypes())('%s has no date in the future', (eventType) => {
    const body = example(eventType);
    const today = new Date().toISOString().slice(0, 10);
    expect(datesIn(body).filter((d) => d.date > today)).toEqual([]);
  });

  it('refuses an economic check naming an adult member without an authorisation of their own (400)', async () => {
    const body = example('EconomicCheckRequested', `${stack.id}-noauth`);
    const members = body.payload.members as Array<Record<string, unknown>>;
    delete members[1].authorisationRef;
    const res = await post(stack, body, keyFor(body));
    expect(res.status).toBe(400);
    expect((res.body.error as { details: unknown[] }).details).toContainEqual({
      path: 'payload.members[1].authorisationRef',
      problem: "is required for a member aged 18 or more: the reference of the member's own signed authorisation (授权书)",
    });
  });

  it.each(exampleTypes())('%s is accepted by the gateway (202)', async (eventType) => {
    const body = example(eventType, stack.id);
    const res = await post(stack, body, keyFor(body));
    expect({ status: res.status, body: res.status === 202 ? undefined : res.body }).toEqual({ status: 202, body: undefined });
  });
});
