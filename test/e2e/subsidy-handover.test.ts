import { example } from '../support/examples';
import { HEADERS } from '@tongban/kafka';
import { linkCrossings } from '../support/province-test-stack';
import { getCase, post, ProvinceTestStack, queryRows, startTestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

async function caseRow(database: string, caseId: string) {
  return (
    await queryRows<{ state: string; responsible_region: string }>(database, 'SELECT state, responsible_region FROM cases WHERE case_id = ?', [caseId])
  )[0];
}

/**
 * 李秀英 lives in Chengdu with her hukou in Anyue (both on the Sichuan node) and moves her hukou to Dazu during
 * the review: the case goes to Dazu, on the Chongqing node that never held it, and Dazu decides it. Both provinces
 * run as `npm start` runs them: Chengdu and Anyue publish through Sichuan's gateway, Dazu through Chongqing's, and
 * MirrorMaker 2 is the only link.
 */
describe('a subsidy application handed over after a hukou move during review', () => {
  let stack: ProvinceTestStack;
  beforeAll(async () => {
    stack = await startTestStack({ topology: 'provinces' });
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('moves the case to the new hukou region’s node, which then approves it', async () => {
    const now = () => new Date().toISOString();
    const submitted = example('SubsidyApplicationSubmitted', `${stack.id}-handover`);
    submitted.targetRegion = '512021';
    submitted.occurredAt = now();
    submitted.payload.applicant = { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '512021' };
    expect((await post(stack, submitted, 'dev-chengdu')).status).toBe(202);
    const ack = example('SubsidyApplicationAcknowledged');
    Object.assign(ack, { caseId: submitted.caseId, sourceRegion: '512021', occurredAt: now() });
    await waitFor(
      async () => ((await caseRow(stack.databases.nodes['510000'], submitted.caseId))?.state === 'submitted' ? true : undefined),
      'the case at Sichuan',
    );
    expect((await post(stack, ack, 'dev-anyue')).status).toBe(202);
    await waitFor(
      async () => ((await caseRow(stack.databases.nodes['510000'], submitted.caseId))?.state === 'under-review' ? true : undefined),
      'the acknowledgement',
    );
    expect(await caseRow(stack.databases.nodes['500000'], submitted.caseId)).toBeUndefined();

    // Anyue's system hands the case over with its history as Anyue's node keeps it (no payloads).
    type Entry = {
      eventId: string;
      eventType: string;
      sourceRegion: string;
      targetRegion: string;
      occurredAt: string;
      outcome: string;
      stateAfter: string;
      carriedOver?: boolean;
      payload?: unknown;
    };
    const before = await getCase(stack, submitted.caseId, 'dev-anyue');
    expect(before.status).toBe(200);
    const earlier = (before.body.history as Entry[]).map(({ eventId, eventType, sourceRegion, targetRegion, occurredAt, outcome, stateAfter }) => ({
      eventId,
      eventType,
      sourceRegion,
      targetRegion,
      occurredAt,
      outcome,
      stateAfter,
    }));
    expect(earlier.map((e) => e.eventType)).toEqual(['SubsidyApplicationSubmitted', 'SubsidyApplicationAcknowledged']);

    const handover = example('SubsidyCaseHandedOver');
    Object.assign(handover, { caseId: submitted.caseId, sourceRegion: '512021', targetRegion: '500111', occurredAt: now() });
    Object.assign(handover.payload, {
      person: { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' },
      previousHukouDivision: '512021',
      movedOn: now().slice(0, 10),
      openedAt: submitted.occurredAt,
      priorHistory: earlier,
    });
    const handedOver = await post(stack, handover, 'dev-anyue');
    expect(handedOver.status).toBe(202);
    for (const node of ['500000', '510000']) {
      await waitFor(async () => {
        const row = await caseRow(stack.databases.nodes[node], submitted.caseId);
        return row?.responsible_region === '500111' && row.state === 'under-review' ? true : undefined;
      }, `the case with Dazu at node ${node}`);
    }

    // The case moved with its history: Dazu's node, which never held it, shows what happened before the hand-over.
    const atDazu = await getCase(stack, submitted.caseId, 'dev-dazu');
    expect(atDazu.status).toBe(200);
    const history = atDazu.body.history as Entry[];
    expect(history.map((e) => e.eventType)).toEqual(['SubsidyApplicationSubmitted', 'SubsidyApplicationAcknowledged', 'SubsidyCaseHandedOver']);
    expect(
      history.slice(0, 2).map(({ eventId, occurredAt, outcome, stateAfter, carriedOver }) => ({ eventId, occurredAt, outcome, stateAfter, carriedOver })),
    ).toEqual(earlier.map(({ eventId, occurredAt, outcome, stateAfter }) => ({ eventId, occurredAt, outcome, stateAfter, carriedOver: true })));
    expect(history.slice(0, 2).map((e) => e.payload)).toEqual([{}, {}]);
    // The node that held the case keeps its history once: nothing is carried over twice.
    const atAnyue = (await getCase(stack, submitted.caseId, 'dev-anyue')).body.history as Entry[] | undefined;
    if (atAnyue) expect(atAnyue.filter((e) => e.carriedOver)).toEqual([]);

    const approved = example('SubsidyApproved');
    Object.assign(approved, { caseId: submitted.caseId, sourceRegion: '500111', targetRegion: '510104', occurredAt: now() });
    const approval = await post(stack, approved, 'dev-dazu');
    expect(approval.status).toBe(202);
    await waitFor(
      async () => ((await caseRow(stack.databases.nodes['510000'], submitted.caseId))?.state === 'approved' ? true : undefined),
      'the approval by Dazu, seen in Chengdu',
    );

    // Both crossed the provincial line over MirrorMaker 2: the hand-over from Anyue's cluster into Chongqing's, the
    // approval from Chongqing's into Sichuan's, each byte for byte as its own province's relay wrote it.
    for (const [node, eventId] of [
      ['500000', handedOver.body.eventId],
      ['510000', approval.body.eventId],
    ] as const) {
      const { crossed, missing, onlyAtTarget } = await linkCrossings(stack, node, (m) => m.headers[HEADERS.eventId] === eventId);
      expect({ crossed: crossed.map((c) => c.eventId), missing, onlyAtTarget }).toEqual({ crossed: [eventId], missing: [], onlyAtTarget: [] });
    }
  }, 180_000);
});
