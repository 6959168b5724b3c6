import { CaseHarness, expectApplied, makeIdNumber } from '../../casework/domain/case-harness.testing';
import type { Send } from '../../casework/domain/case-harness.testing';

const CHENGDU = '510104';
const DAZU = '500111';
const CASE = 'ECK-510104-2026-0007';
const LIU_QIANG = { idNumber: '51010419850630005X', name: '刘强', hukouDivision: CHENGDU };
const LIU_MEI = { idNumber: '500111196001150028', name: '刘梅', hukouDivision: DAZU };

const request = (overrides: Record<string, unknown> = {}): Send => ({
  eventType: 'EconomicCheckRequested',
  caseId: CASE,
  sourceRegion: CHENGDU,
  targetRegion: DAZU,
  payload: {
    members: [
      { person: LIU_QIANG, relation: 'SELF', authorisationRef: 'AUTH-1' },
      { person: LIU_MEI, relation: 'PARENT', authorisationRef: 'AUTH-2' },
    ],
    items: ['PENSIONS', 'REAL_ESTATE'],
    purpose: 'MINIMUM_LIVING_ALLOWANCE',
    authorisationRef: 'AUTH-510104-2026-0031',
    answerBy: '2026-11-16',
    ...overrides,
  },
});
const fromCentre = (eventType: string, payload: Record<string, unknown>): Send => ({
  eventType,
  caseId: CASE,
  sourceRegion: DAZU,
  targetRegion: CHENGDU,
  payload,
});
const CHILD = { idNumber: makeIdNumber(CHENGDU, '2015-03-01', '002'), name: '刘小', hukouDivision: CHENGDU };
const answer = (idNumber: string, ...items: string[]) => ({ idNumber, items: items.map((item) => ({ item, found: false, source: 'S', asOf: '2026-10-31' })) });
const result = (idNumber: string) => ({ idNumber, items: [{ item: 'PENSIONS', found: true, monthlyIncome: '2100.00', source: 'HRSS', asOf: '2026-10-31' }] });

describe('economic check state machine', () => {
  it('answers the demo check within the deadline (scenario 3)', async () => {
    const h = new CaseHarness();
    const opened = expectApplied(await h.send(request()));
    expect(opened.caseUpdates).toMatchObject({ acceptingDivision: CHENGDU, responsibleDivision: DAZU, personKeys: [LIU_QIANG.idNumber, LIU_MEI.idNumber] });
    expect(opened.timers.start[0]).toMatchObject({
      name: 'economic-check.answer',
      dueAt: new Date('2026-11-16T16:00:00Z'),
      mustActDivision: DAZU,
      ownerDivision: CHENGDU,
    });
    expect(expectApplied(await h.send(fromCentre('EconomicCheckAcknowledged', { checkCentreRef: 'DZ-HD-1' }))).timers).toEqual({ start: [], cancel: [] });
    const partial = expectApplied(
      await h.send(
        fromCentre('EconomicCheckAnswered', {
          results: [result(LIU_MEI.idNumber)],
          complete: false,
          missingItems: [{ idNumber: LIU_MEI.idNumber, item: 'REAL_ESTATE', reasonText: 'registry slow' }],
        }),
      ),
    );
    expect(partial.nextState).toBe('partially-answered');
    const rest = [answer(LIU_QIANG.idNumber, 'PENSIONS', 'REAL_ESTATE'), answer(LIU_MEI.idNumber, 'REAL_ESTATE')];
    const full = expectApplied(await h.send(fromCentre('EconomicCheckAnswered', { results: rest, complete: true, missingItems: [] })));
    expect(full).toMatchObject({ nextState: 'answered', timers: { cancel: ['economic-check.answer'] } });
    expect(h.get(CASE).data.missingItems).toEqual([]);
  });

  it('leaves a check partly answered when an answer calling itself complete leaves out a member or an item', async () => {
    const h = new CaseHarness();
    await h.send(request());
    const d = expectApplied(
      await h.send(
        fromCentre('EconomicCheckAnswered', {
          results: [answer(LIU_MEI.idNumber, 'PENSIONS', 'REAL_ESTATE'), answer(LIU_QIANG.idNumber, 'PENSIONS')],
          complete: true,
          missingItems: [],
        }),
      ),
    );
    expect(d.nextState).toBe('partially-answered');
    expect(h.get(CASE).data.missingItems).toEqual([{ idNumber: LIU_QIANG.idNumber, item: 'REAL_ESTATE', reasonText: null }]);
    expect(
      await h.send(fromCentre('EconomicCheckAnswered', { results: [answer(LIU_QIANG.idNumber, 'VEHICLES')], complete: true, missingItems: [] })),
    ).toMatchObject({
      kind: 'rejected',
      reasonCode: 'ITEM_NOT_REQUESTED',
    });
  });

  it.each([
    [
      'an adult member without an authorisation of their own',
      [
        { person: LIU_QIANG, relation: 'SELF', authorisationRef: 'AUTH-1' },
        { person: LIU_MEI, relation: 'PARENT' },
      ],
      'AUTHORISATION_MISSING',
    ],
    [
      'a minor member without one (the household’s covers the child)',
      [
        { person: LIU_QIANG, relation: 'SELF', authorisationRef: 'AUTH-1' },
        { person: CHILD, relation: 'CHILD' },
      ],
      'requested',
    ],
  ])('with %s → %s', async (_what, members, expected) => {
    const d = await new CaseHarness().send(request({ members }));
    expect(d.kind === 'applied' ? d.nextState : d.reasonCode).toBe(expected);
    if (d.kind === 'rejected') expect(d.error.rejectionCode).toBe('AUTHORISATION_MISSING');
  });

  it('refuses a check without the members’ signed authorisation', async () => {
    const d = await new CaseHarness().send(request({ authorisationRef: ' ' }));
    expect(d).toMatchObject({
      kind: 'rejected',
      reasonCode: 'AUTHORISATION_MISSING',
      emits: [expect.objectContaining({ payload: expect.objectContaining({ reasonCode: 'AUTHORISATION_MISSING' }) })],
    });
  });

  it('gives the check centre at least the agreed ten working days', async () => {
    const d = expectApplied(await new CaseHarness().send(request({ answerBy: '2026-11-05' })));
    expect(d.timers.start[0].dueAt).toEqual(new Date('2026-11-16T16:00:00Z'));
  });

  it('refuses an answer after expiry', async () => {
    const h = new CaseHarness();
    await h.send(request());
    await h.fire(CASE, 'economic-check.answer');
    expect(h.published.at(-1)).toMatchObject({
      eventType: 'EconomicCheckExpired',
      sourceRegion: CHENGDU,
      targetRegion: DAZU,
      payload: { answerBy: '2026-11-16', partialAnswerReceived: false },
    });
    expect(h.get(CASE).state).toBe('expired');
    expect(await h.send(fromCentre('EconomicCheckAnswered', { results: [], complete: true, missingItems: [] }))).toMatchObject({
      kind: 'rejected',
      reasonCode: 'ANSWER_AFTER_EXPIRY',
    });
  });

  it('refuses an expiry declared before the deadline', async () => {
    const h = new CaseHarness();
    await h.send(request());
    const d = await h.send({
      eventType: 'EconomicCheckExpired',
      caseId: CASE,
      sourceRegion: CHENGDU,
      targetRegion: DAZU,
      payload: { answerBy: '2026-11-16' },
      occurredAt: '2026-11-10T02:00:00Z',
    });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'NOT_YET_DUE' });
  });

  it('refuses an answer about someone the request did not name', async () => {
    const h = new CaseHarness();
    await h.send(request());
    const d = await h.send(fromCentre('EconomicCheckAnswered', { results: [result('500111196804170022')], complete: true, missingItems: [] }));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'MEMBER_NOT_REQUESTED' });
  });

  it.each([
    ['EconomicCheckAcknowledged', CHENGDU, 'UNAUTHORISED_SENDER'],
    ['EconomicCheckAnswered', CHENGDU, 'UNAUTHORISED_SENDER'],
    ['EconomicCheckCancelled', DAZU, 'UNAUTHORISED_SENDER'],
    ['EconomicCheckCancelled', CHENGDU, 'cancelled'],
  ])('%s from %s → %s', async (eventType, from, expected) => {
    const h = new CaseHarness();
    await h.send(request());
    const d = await h.send({
      eventType,
      caseId: CASE,
      sourceRegion: from,
      targetRegion: from === DAZU ? CHENGDU : DAZU,
      payload: { reason: 'APPLICATION_WITHDRAWN', results: [], complete: true },
    });
    expect(d.kind === 'applied' ? d.nextState : d.reasonCode).toBe(expected);
  });
});
