import { CaseHarness, expectApplied } from './case-harness.testing';
import type { CaseSnapshot, IncomingEvent } from './casework.types';
import { applyHouseholdChange, deathNoticeFrom, householdChangeFor, reactToDeathNotice, reactToHukouMove, spouseHousehold } from './reactions';

const CHENGDU = '510104';
const DAZU = '500111';
const ANYUE = '512021';
const JIULONGPO = '500107';
const ZHAO = { idNumber: '500111194109030045', name: '赵桂兰', hukouDivision: DAZU };
const LI = { idNumber: '500111196804170022', name: '李秀英', hukouDivision: DAZU };
const grants = [{ subsidyType: 'NURSING', monthlyAmount: '80.00' }];

async function subsidy(h: CaseHarness, caseId: string, who: typeof ZHAO, certificate: string, until: 'under-review' | 'paying') {
  const send = (eventType: string, from: string, payload: Record<string, unknown> = {}) =>
    h.send({ eventType, caseId, sourceRegion: from, targetRegion: from === CHENGDU ? DAZU : CHENGDU, payload });
  expectApplied(
    await send('SubsidyApplicationSubmitted', CHENGDU, {
      applicant: who, certificateNumber: certificate, disabilityCategory: 'PHYSICAL', disabilityGrade: 'GRADE_1', subsidyTypes: ['NURSING'],
      hardshipStatus: 'NONE', residence: { division: CHENGDU, detail: '…' }, contactPhone: '1', consentRef: 'C',
    }),
  );
  expectApplied(await send('SubsidyApplicationAcknowledged', DAZU));
  if (until === 'under-review') return;
  expectApplied(await send('SubsidyApproved', DAZU, { grants, firstPaymentMonth: '2026-01', decisionRef: 'D' }));
  expectApplied(await send('SubsidyPaymentStarted', DAZU, { payments: grants, firstPaidMonth: '2026-01', paidOn: '2026-01-10', paymentRef: 'P' }));
}

const notice = (deathDate = '2026-11-01'): IncomingEvent => ({
  eventType: 'DeathNoticeIssued',
  eventId: 'notice-1',
  caseId: 'FUN-510104-2026-0001',
  sourceRegion: CHENGDU,
  targetRegion: DAZU,
  occurredAt: '2026-11-02T03:00:00Z',
  payload: { deceased: ZHAO, deathDate, deathRegistrationRef: 'MD-2026-0001', knownCaseIds: [] },
});

describe('reactions to a death notice', () => {
  it('stops an active subsidy from the month after death, once (scenario 4)', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-ZHAO', ZHAO, '50011119410903004541', 'paying');
    const events = reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()]);
    expect(events).toEqual([
      expect.objectContaining({
        eventType: 'SubsidyStopped', caseId: 'SUB-ZHAO', sourceRegion: DAZU, targetRegion: CHENGDU, causationId: 'notice-1',
        payload: expect.objectContaining({ subsidyTypes: ['NURSING'], reason: 'DEATH', effectiveMonth: '2026-12' }),
      }),
    ]);
    await h.followAll(events);
    expect(h.get('SUB-ZHAO').state).toBe('stopped');
    expect(reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()])).toEqual([]);
    const late = await h.send({ eventType: 'SubsidyPaymentStarted', caseId: 'SUB-ZHAO', sourceRegion: DAZU, targetRegion: CHENGDU, payload: { payments: grants, firstPaidMonth: '2026-12' } });
    expect(late).toMatchObject({ kind: 'rejected', reasonCode: 'PAYMENT_AFTER_STOP' });
  });

  it.each([
    ['2026-11-01', '2026-12'],
    ['2026-11-30', '2026-12'],
    ['2026-12-31', '2027-01'],
    ['2027-02-28', '2027-03'],
  ])('stops a subsidy of a person who died on %s from %s', (deathDate, effectiveMonth) => {
    const c: CaseSnapshot = {
      caseId: 'S', workflow: 'disability-subsidy', state: 'paying', acceptingDivision: CHENGDU, acceptingOffice: null, responsibleDivision: DAZU,
      personKeys: [ZHAO.idNumber], timers: {}, data: { applicantIdNumber: ZHAO.idNumber, activeTypes: ['LIVING'], payerDivision: DAZU }, openedAt: '', updatedAt: '',
    };
    expect(reactToDeathNotice(deathNoticeFrom(notice(deathDate)), [c])[0].payload.effectiveMonth).toBe(effectiveMonth);
  });

  it('ends an application under review, cancels open checks naming the person and widows the spouse', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-REVIEW', ZHAO, '50011119410903004541', 'under-review');
    await h.send({
      eventType: 'EconomicCheckRequested', caseId: 'ECK-1', sourceRegion: CHENGDU, targetRegion: DAZU,
      payload: { members: [{ person: LI, relation: 'SELF' }, { person: ZHAO, relation: 'PARENT' }], items: ['PENSIONS'], purpose: 'MINIMUM_LIVING_ALLOWANCE', authorisationRef: 'A', answerBy: '2026-11-20' },
    });
    const husband = { idNumber: '500107193905050011', name: '孙某', hukouDivision: JIULONGPO };
    h.put({
      caseId: 'MAR-1', workflow: 'marriage-registration', state: 'recorded', acceptingDivision: JIULONGPO, acceptingOffice: null, responsibleDivision: JIULONGPO,
      personKeys: [husband.idNumber, ZHAO.idNumber], timers: {}, openedAt: '', updatedAt: '',
      data: {
        kind: 'marriage', checks: {}, recordsUpdated: [husband.idNumber, ZHAO.idNumber],
        parties: [{ ...husband, birthDate: '1939-05-05', sex: 'M' }, { ...ZHAO, birthDate: '1941-09-03', sex: 'F' }],
      },
    });
    const events = reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()]);
    expect(events.map((e) => [e.eventType, e.caseId, e.sourceRegion, e.targetRegion])).toEqual([
      ['SubsidyRejected', 'SUB-REVIEW', DAZU, CHENGDU],
      ['EconomicCheckCancelled', 'ECK-1', CHENGDU, DAZU],
      ['MarriageRecordUpdated', 'MAR-1', DAZU, JIULONGPO],
    ]);
    expect(events[2].payload).toMatchObject({ person: husband, newStatus: 'WIDOWED', registrationKind: 'DEATH_OF_SPOUSE', effectiveOn: '2026-11-01' });
    const applied = await h.followAll(events);
    expect(applied.map((d) => d.kind)).toEqual(['applied', 'applied', 'applied']);
    expect(['SUB-REVIEW', 'ECK-1', 'MAR-1'].map((id) => h.get(id).state)).toEqual(['rejected', 'cancelled', 'ended-by-death']);
    expect(reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()])).toEqual([]);
  });

  it('leaves cases of other people alone', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-LI', LI, '50011119680417002241', 'paying');
    expect(reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()])).toEqual([]);
  });

  it('returns only the events the given node publishes', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-ZHAO', ZHAO, '50011119410903004541', 'paying');
    expect(reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()], { node: '510000' })).toEqual([]);
    expect(reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()], { node: '500000' })).toHaveLength(1);
  });
});

describe('reactions to a hukou move', () => {
  const move = { idNumber: LI.idNumber, fromDivision: DAZU, toDivision: ANYUE, movedOn: '2027-03-15', moveRef: 'MOVE-1', at: new Date('2027-03-16T02:00:00Z') };

  it('transfers an active subsidy with the old payer through the month of the move and the new one from the next', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-LI', LI, '50011119680417002241', 'paying');
    const events = reactToHukouMove(move, [...h.cases.values()]);
    expect(events).toEqual([
      expect.objectContaining({
        eventType: 'SubsidyTransferred', sourceRegion: DAZU, targetRegion: ANYUE,
        payload: expect.objectContaining({ previousHukouDivision: DAZU, lastMonthPaidByPrevious: '2027-03', firstMonthPaidByNew: '2027-04', subsidies: grants, person: { ...LI, hukouDivision: ANYUE } }),
      }),
    ]);
    await h.followAll(events);
    expect(h.get('SUB-LI')).toMatchObject({ state: 'transferring', responsibleDivision: ANYUE });
    expect(reactToHukouMove(move, [...h.cases.values()])).toEqual([]);
  });

  it('ends an application under review so that it is made again in the new region', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-LI', LI, '50011119680417002241', 'under-review');
    const events = reactToHukouMove(move, [...h.cases.values()]);
    expect(events[0]).toMatchObject({ eventType: 'SubsidyRejected', payload: { reasonCode: 'HUKOU_MOVED' } });
    await h.followAll(events);
    expect(h.get('SUB-LI').state).toBe('rejected');
  });
});

describe('household changes from marriage and divorce', () => {
  const marriage: CaseSnapshot = {
    caseId: 'MAR-1', workflow: 'marriage-registration', state: 'registered', acceptingDivision: JIULONGPO, acceptingOffice: 'CQ-HTZ', responsibleDivision: ANYUE,
    personKeys: ['512021199611080033', '500107199802210069'], timers: {}, openedAt: '', updatedAt: '',
    data: { kind: 'marriage', parties: [{ idNumber: '512021199611080033' }, { idNumber: '500107199802210069' }], checks: {}, recordsUpdated: [] },
  };
  const event = (eventType: string): IncomingEvent => ({
    eventType, eventId: 'e', caseId: 'MAR-1', sourceRegion: JIULONGPO, targetRegion: ANYUE, occurredAt: '2026-11-10T02:00:00Z', payload: { certificateNumber: 'C', registeredOn: '2026-11-10' },
  });

  it('joins the spouses on a registered marriage and separates them on a divorce, idempotently', () => {
    const joined = householdChangeFor(event('MarriageRegistered'), marriage)!;
    expect(joined).toEqual({ kind: 'spouses-joined', members: ['512021199611080033', '500107199802210069'], effectiveOn: '2026-11-10', caseId: 'MAR-1' });
    const once = applyHouseholdChange(new Map(), joined);
    expect(applyHouseholdChange(once, joined)).toEqual(once);
    expect(spouseHousehold('512021199611080033', once)).toEqual(['512021199611080033', '500107199802210069']);
    const separated = applyHouseholdChange(once, householdChangeFor(event('DivorceRegistered'), marriage)!);
    expect(spouseHousehold('512021199611080033', separated)).toEqual(['512021199611080033']);
    expect(householdChangeFor(event('MarriageRecordUpdated'), marriage)).toBeUndefined();
  });
});
