import { example } from '../support/examples';
import { getCase, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

const CHENGDU = 'dev-chengdu';
const DAZU = 'dev-dazu';
const ANYUE = 'dev-anyue';

describe('a subsidy application from Chengdu reaches the Chongqing node', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is accepted, relayed and stored, then shown in full to Dazu and as a status to Chengdu', async () => {
    const body = example('SubsidyApplicationSubmitted', stack.id);
    const accepted = await post(stack, body, CHENGDU);
    expect(accepted.status).toBe(202);
    expect(accepted.body.eventId).toMatch(/^[0-9a-f-]{36}$/);

    const full = await waitFor(async () => {
      const r = await getCase(stack, body.caseId, DAZU);
      return r.status === 200 ? r.body : undefined;
    }, 'the case at the Chongqing node');
    expect(full).toMatchObject({
      caseId: body.caseId,
      workflow: 'disability-subsidy',
      state: 'submitted',
      acceptingRegion: '510104',
      responsibleRegion: '500111',
      view: 'full',
    });
    const history = full.history as Array<Record<string, unknown>>;
    expect(history[0]).toMatchObject({ eventId: accepted.body.eventId, eventType: 'SubsidyApplicationSubmitted' });
    expect((history[0].payload as { applicant: { idNumber: string } }).applicant.idNumber).toBe('500111196804170022');

    const status = await waitFor(async () => {
      const r = await getCase(stack, body.caseId, CHENGDU);
      return r.status === 200 ? r.body : undefined;
    }, 'the case at the Sichuan node');
    expect(status).toMatchObject({ caseId: body.caseId, view: 'status', state: full.state });
    // The publishing side follows the case's events, not the other side's data.
    expect(JSON.stringify(status)).not.toContain('500111196804170022');

    expect((await getCase(stack, body.caseId, ANYUE)).status).toBe(404);
  });

  it('answers 404 for a case nobody published', async () => {
    const r = await getCase(stack, `NO-SUCH-${stack.id}`, DAZU);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('reports health of Kafka, MySQL and Redis by name', async () => {
    const res = await fetch(`${stack.gatewayUrl}/health`);
    const report = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    expect(report.status).toBe('ok');
    for (const name of ['kafka', 'mysql', 'redis']) expect(report.checks[name].status).toBe('up');
  });

  it('exposes Prometheus metrics counting accepted events', async () => {
    const text = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    expect(text).toMatch(/tongban_events_accepted_total\{[^}]*event_type="SubsidyApplicationSubmitted"[^}]*\} [1-9]/);
  });
});
