import { example } from '../support/examples';
import { post, queryRows, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

/** A key bound to the Chongqing high-tech zone office (CQ-HTZ) speaks only as that office, and answers name it. */
describe('the CQ-HTZ office boundaries', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stamps an event from the office key that leaves sourceOffice out with the office', async () => {
    const body = example('MarriageRegistrationRequested', `${stack.id}-stamp`);
    delete body.sourceOffice;
    expect((await post(stack, body, 'dev-cqhtz')).status).toBe(202);
    const [c] = await waitFor(async () => {
      const r = await queryRows<{ accepting_office: string | null }>(stack.databases.nodes['500000'], 'SELECT accepting_office FROM cases WHERE case_id = ?', [
        body.caseId,
      ]);
      return r.length ? r : undefined;
    }, 'the marriage case at the Chongqing node');
    expect(c.accepting_office).toBe('CQ-HTZ');
    const [e] = await queryRows<{ source_office: string | null }>(
      stack.databases.nodes['500000'],
      'SELECT source_office FROM case_events WHERE case_id = ? AND event_type = ?',
      [body.caseId, 'MarriageRegistrationRequested'],
    );
    expect(e.source_office).toBe('CQ-HTZ');
  });

  it('refuses the office key publishing as a district outside the office, or as plain Chongqing', async () => {
    const outside = example('MarriageRegistrationRequested', `${stack.id}-outside`);
    delete outside.sourceOffice;
    outside.sourceRegion = '500111';
    expect((await post(stack, outside, 'dev-cqhtz')).status).toBe(403);
    const district = example('MarriageRegistrationRequested', `${stack.id}-district`);
    expect((await post(stack, district, 'dev-chongqing')).status).toBe(403);
  });

  it('addresses the refusal of an office’s event to the office (targetOffice in the envelope)', async () => {
    const request = example('MarriageRegistrationRequested', `${stack.id}-answer`);
    expect((await post(stack, request, 'dev-cqhtz')).status).toBe(202);
    const early = example('MarriageRegistered');
    early.caseId = request.caseId;
    early.occurredAt = new Date().toISOString();
    early.payload.registeredOn = early.occurredAt.slice(0, 10);
    expect((await post(stack, early, 'dev-cqhtz')).status).toBe(202);
    const [answer] = await waitFor(async () => {
      const r = await queryRows<{ target_region: string; target_office: string | null }>(
        stack.databases.nodes['500000'],
        'SELECT target_region, target_office FROM case_events WHERE case_id = ? AND event_type = ?',
        [request.caseId, 'CaseEventRejected'],
      );
      return r.length ? r : undefined;
    }, 'the CaseEventRejected back at the office');
    expect(answer).toEqual({ target_region: '500107', target_office: 'CQ-HTZ' });
  });

  it('lets a municipal system address an office, and refuses an office that does not serve the district', async () => {
    const answer = example('MaritalStatusCheckAnswered', `${stack.id}-to-office`);
    answer.targetOffice = 'CQ-HTZ';
    expect((await post(stack, answer, 'dev-anyue')).status).toBe(202);
    const wrong = example('MaritalStatusCheckAnswered', `${stack.id}-wrong-office`);
    wrong.targetOffice = 'CQ-HTZ';
    wrong.targetRegion = '500111';
    const res = await post(stack, wrong, 'dev-anyue');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('office CQ-HTZ serves 500106, 500107, not 500111');
  });
});
