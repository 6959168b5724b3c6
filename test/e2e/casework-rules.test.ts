import { checkCharacter } from '@tongban/regions';
import { ScenarioPlayer } from '../../tools/demo/scenario-player';
import { SCENARIOS } from '../../tools/demo/scenarios';
import { example } from '../support/examples';
import { getCase, post, queryRows, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

type History = Array<{ eventType: string; outcome?: string; reason?: string | null; payload?: Record<string, unknown> }>;

describe('case rules at the region nodes', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
    // The subsidy and the funeral of 赵桂兰 (scenario 4), so that rules can be tried on real cases.
    const player = new ScenarioPlayer({ gatewayUrl: stack.gatewayUrl, runId: stack.id, print: () => undefined, stepTimeoutMs: 20000 });
    const results = await player.play([SCENARIOS[0], SCENARIOS[3]]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const zhaoSubsidy = () => `SUB-510104-2024-000087-${stack.id}`;

  it('refuses a payment start after a death notice, records why, and tells the sender', async () => {
    const body = example('SubsidyPaymentStarted');
    body.caseId = zhaoSubsidy();
    body.payload.payments = [{ subsidyType: 'NURSING', monthlyAmount: '100.00' }];
    body.occurredAt = new Date().toISOString();
    expect((await post(stack, body, 'dev-dazu')).status).toBe(202);
    const refused = await waitFor(async () => {
      const c = await getCase(stack, body.caseId, 'dev-dazu');
      const h = (c.body.history as History).find((e) => e.eventType === 'SubsidyPaymentStarted' && e.outcome === 'rejected');
      return h;
    }, 'the refusal in the case history');
    expect(refused.reason).toMatch(/^ILLEGAL_TRANSITION|^[A-Z_]+:/);
    const c = await getCase(stack, body.caseId, 'dev-dazu');
    expect(c.body.state).toBe('stopped');
    // The sender's region hears of it: a CaseEventRejected naming the refused event.
    const answer = await waitFor(async () => {
      const r = await getCase(stack, body.caseId, 'dev-dazu');
      return (r.body.history as History).find((e) => e.eventType === 'CaseEventRejected');
    }, 'the CaseEventRejected');
    expect(JSON.stringify(answer.payload)).toContain('SubsidyPaymentStarted');
  });

  it('refuses to approve a case that was never submitted', async () => {
    const body = example('SubsidyApproved', `${stack.id}-never`);
    body.occurredAt = new Date().toISOString();
    expect((await post(stack, body, 'dev-dazu')).status).toBe(202);
    const [row] = await waitFor(async () => {
      const r = await queryRows<{ outcome: string; outcome_reason: string }>(
        stack.databases.nodes['510000'],
        'SELECT outcome, outcome_reason FROM case_events WHERE case_id = ? AND event_type = ?',
        [body.caseId, 'SubsidyApproved'],
      );
      return r.length ? r : undefined;
    }, 'the refused approval at the Chengdu node');
    expect(row).toMatchObject({ outcome: 'rejected' });
    expect(row.outcome_reason).toMatch(/^UNKNOWN_CASE/);
    expect(await queryRows(stack.databases.nodes['510000'], 'SELECT * FROM cases WHERE case_id = ?', [body.caseId])).toEqual([]);
  });

  it('applies a second death notice for the same person without a second stop', async () => {
    for (let i = 0; i < 2; i++) {
      const notice = example('DeathNoticeIssued');
      notice.caseId = `FUN-510104-2026-000007-${stack.id}`;
      notice.occurredAt = new Date().toISOString();
      expect((await post(stack, notice, 'dev-chengdu')).status).toBe(202);
    }
    await waitFor(async () => {
      const [{ n }] = await queryRows<{ n: number }>(
        stack.databases.nodes['500000'],
        'SELECT COUNT(*) AS n FROM case_events WHERE case_id = ? AND event_type = ?',
        [`FUN-510104-2026-000007-${stack.id}`, 'DeathNoticeIssued'],
      );
      // The two posted here; the registration itself reached Dazu as DeathRegistered, not as a notice.
      return Number(n) >= 2 ? true : undefined;
    }, 'both notices at the Dazu node');
    await new Promise((r) => setTimeout(r, 1000));
    const c = await getCase(stack, zhaoSubsidy(), 'dev-dazu');
    const stops = (c.body.history as History).filter((e) => e.eventType === 'SubsidyStopped');
    expect(stops).toHaveLength(1);
  });

  it('finds a person’s cases by ID number, for the caller’s region only', async () => {
    const search = async (key: string, body: Record<string, unknown>) => {
      const res = await fetch(`${stack.gatewayUrl}/v1/cases:search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { cases: Array<{ caseId: string; workflow: string; view: string }> } };
    };
    const dazu = await search('dev-dazu', { person: '500111194109030045' });
    expect(dazu.status).toBe(200);
    expect(dazu.body.cases.map((c) => c.caseId).sort()).toEqual([`FUN-510104-2026-000007-${stack.id}`, zhaoSubsidy()].sort());
    const subsidies = await search('dev-dazu', { person: '500111194109030045', workflow: 'disability-subsidy' });
    expect(subsidies.body.cases.map((c) => c.caseId)).toEqual([zhaoSubsidy()]);
    expect((await search('dev-anyue', { person: '500111194109030045' })).body.cases).toEqual([]);
    const bad = await search('dev-dazu', { person: '500111194109030046' });
    expect(bad.status).toBe(400);
    // The index holds keyed hashes, never the ID number.
    const index = await queryRows<{ person_hash: string }>(stack.databases.nodes['500000'], 'SELECT person_hash FROM case_persons');
    expect(index.length).toBeGreaterThan(0);
    expect(JSON.stringify(index)).not.toContain('500111194109030045');
  });

  it('pages through the cases updated since a time with a cursor, each case once, newest first', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const caseIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = example('SubsidyApplicationSubmitted', `${stack.id}-page${i}`);
      // Submitted now: the example's own date would have its acknowledgement deadline already past, and the breach
      // the node then records moves the case ahead of the cursor while the test pages.
      body.occurredAt = new Date().toISOString();
      // Five people of Dazu, each with one case.
      const first17 = `5001111950010${i + 1}001`;
      const idNumber = first17 + checkCharacter(first17);
      body.payload.applicant = { ...(body.payload.applicant as Record<string, unknown>), idNumber };
      body.payload.certificateNumber = `${idNumber}41`;
      expect((await post(stack, body, 'dev-chengdu')).status).toBe(202);
      caseIds.push(body.caseId);
    }
    const page = async (query: string) => {
      const res = await fetch(`${stack.gatewayUrl}/v1/cases?${query}`, { headers: { authorization: 'Bearer dev-dazu' } });
      return {
        status: res.status,
        body: (await res.json()) as { cases: Array<{ caseId: string; updatedAt: string }>; nextCursor: string | null; code?: string },
      };
    };
    // The five go to different partitions and are applied in any order: page only once Dazu's search has them all.
    await waitFor(async () => {
      const all = await page(`workflow=disability-subsidy&limit=50&updatedSince=${encodeURIComponent(since)}`);
      return caseIds.every((id) => all.body.cases?.some((c) => c.caseId === id)) ? true : undefined;
    }, "the five cases in Dazu's search");
    const seen: string[] = [];
    const times: number[] = [];
    let query = `workflow=disability-subsidy&limit=2&updatedSince=${encodeURIComponent(since)}`;
    for (let pages = 0; pages < 10; pages++) {
      const p = await page(query);
      expect(p.status).toBe(200);
      expect(p.body.cases.length).toBeLessThanOrEqual(2);
      seen.push(...p.body.cases.map((c) => c.caseId));
      times.push(...p.body.cases.map((c) => Date.parse(c.updatedAt)));
      for (const c of p.body.cases) expect(Date.parse(c.updatedAt)).toBeGreaterThanOrEqual(Date.parse(since));
      if (!p.body.nextCursor) break;
      query = `workflow=disability-subsidy&limit=2&updatedSince=${encodeURIComponent(since)}&cursor=${p.body.nextCursor}`;
    }
    const mine = seen.filter((c) => caseIds.includes(c));
    expect(mine.sort()).toEqual([...caseIds].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // A cursor the node did not hand out, and a time without its offset, are refused with the field named.
    const forged = await page(`cursor=${Buffer.from('not a cursor').toString('base64url')}`);
    expect(forged).toMatchObject({ status: 400, body: { code: 'REQUEST.INVALID', problems: [{ path: 'cursor' }] } });
    expect((await page('updatedSince=2026-11-30T00:00:00')).status).toBe(400);
  });
});

describe('deadlines (BullMQ timers, short configured durations)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_DEADLINES: 'subsidyAcknowledge=3s', TONGBAN_TIMER_RECONCILE_MS: '1000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const breaches = async (caseId: string) =>
    queryRows<{ event_id: string }>(stack.databases.nodes['500000'], 'SELECT event_id FROM case_events WHERE case_id = ? AND event_type = ?', [
      caseId,
      'CaseDeadlineBreached',
    ]);

  it('escalates an unacknowledged application to both sides, and shows the deadline until then', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-late`);
    body.occurredAt = new Date().toISOString();
    expect((await post(stack, body, 'dev-chengdu')).status).toBe(202);
    const open = await waitFor(async () => {
      const c = await getCase(stack, body.caseId, 'dev-dazu');
      return c.status === 200 && (c.body.deadlines as unknown[]).length ? c.body : undefined;
    }, 'the open deadline');
    expect((open.deadlines as Array<{ name: string; mustAct: string }>)[0]).toMatchObject({ mustAct: '500111' });
    for (const key of ['dev-dazu', 'dev-chengdu']) {
      await waitFor(
        async () => {
          const c = await getCase(stack, body.caseId, key);
          return (c.body.history as History).some((e) => e.eventType === 'CaseDeadlineBreached') ? true : undefined;
        },
        `the breach seen by ${key}`,
        20000,
      );
    }
    expect(await breaches(body.caseId)).toHaveLength(1);
    // The node that owns the deadline counts the breach by workflow and timer.
    const lines: string[] = [];
    for (const node of stack.nodes.values()) {
      const port = (node.app.getHttpServer().address() as { port: number }).port;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      lines.push(...metrics.split('\n').filter((l) => l.startsWith('tongban_deadline_breaches_total{') && l.includes('workflow="disability-subsidy"')));
    }
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(/timer="subsidy\.acknowledge"/);
    expect(lines.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBeGreaterThanOrEqual(1);
  });

  it('cancels the deadline when the case leaves the state in time', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-ontime`);
    body.occurredAt = new Date().toISOString();
    body.payload.applicant = { idNumber: '51010419850630005X', name: '刘强', hukouDivision: '500111' };
    body.payload.certificateNumber = '51010419850630005X41';
    expect((await post(stack, body, 'dev-chengdu')).status).toBe(202);
    await waitFor(async () => ((await getCase(stack, body.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case');
    const ack = example('SubsidyApplicationAcknowledged');
    ack.caseId = body.caseId;
    ack.occurredAt = new Date().toISOString();
    expect((await post(stack, ack, 'dev-dazu')).status).toBe(202);
    await waitFor(async () => ((await getCase(stack, body.caseId, 'dev-dazu')).body.state === 'under-review' ? true : undefined), 'the acknowledgement');
    await new Promise((r) => setTimeout(r, 4500));
    expect(await breaches(body.caseId)).toHaveLength(0);
  });

  it('fires a deadline once after a restart, with two replicas of the node running', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-restart`);
    body.occurredAt = new Date().toISOString();
    body.payload.applicant = { idNumber: '500111196001150028', name: '刘梅', hukouDivision: '500111' };
    body.payload.certificateNumber = '50011119600115002841';
    expect((await post(stack, body, 'dev-chengdu')).status).toBe(202);
    await waitFor(async () => ((await getCase(stack, body.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case');
    // The node goes down before the deadline and comes back as two replicas.
    await stack.nodes.get('500000')!.close();
    const a = await stack.startNodeReplica('500000');
    const b = await stack.startNodeReplica('500000');
    await waitFor(async () => ((await breaches(body.caseId)).length ? true : undefined), 'the breach after the restart', 30000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await breaches(body.caseId)).toHaveLength(1);
    await a.close();
    await b.close();
  });
});
