import { CaseHarness, expectApplied, makeIdNumber } from './case-harness.testing';
import type { CaseSnapshot, IncomingEvent } from './casework.types';
import { NODE_WORKFLOWS } from '../../workflows';
import { applyHouseholdChange, deathNoticeFrom, reactionsFor, reactToDeathByRecords, spouseHousehold } from './reactions';

const { householdChangeFor, maritalRecordFrom, reactToDeathNotice, reactToHukouMove } = reactionsFor(NODE_WORKFLOWS);

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
      applicant: who,
      certificateNumber: certificate,
      disabilityCategory: 'PHYSICAL',
      disabilityGrade: 'GRADE_1',
      subsidyTypes: ['NURSING'],
      hardshipStatus: 'NONE',
      residence: { division: CHENGDU, detail: '…' },
      contactPhone: '1',
      consentRef: 'C',
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
        eventType: 'SubsidyStopped',
        caseId: 'SUB-ZHAO',
        sourceRegion: DAZU,
        targetRegion: CHENGDU,
        causationId: 'notice-1',
        payload: expect.objectContaining({ subsidyTypes: ['NURSING'], reason: 'DEATH', effectiveMonth: '2026-12' }),
      }),
    ]);
    await h.followAll(events);
    expect(h.get('SUB-ZHAO').state).toBe('stopped');
    expect(reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()])).toEqual([]);
    const late = await h.send({
      eventType: 'SubsidyPaymentStarted',
      caseId: 'SUB-ZHAO',
      sourceRegion: DAZU,
      targetRegion: CHENGDU,
      payload: { payments: grants, firstPaidMonth: '2026-12' },
    });
    expect(late).toMatchObject({ kind: 'rejected', reasonCode: 'PAYMENT_AFTER_STOP' });
  });

  it.each([
    ['2026-11-01', '2026-12'],
    ['2026-11-30', '2026-12'],
    ['2026-12-31', '2027-01'],
    ['2027-02-28', '2027-03'],
  ])('stops a subsidy of a person who died on %s from %s', (deathDate, effectiveMonth) => {
    const c: CaseSnapshot = {
      caseId: 'S',
      workflow: 'disability-subsidy',
      state: 'paying',
      acceptingDivision: CHENGDU,
      acceptingOffice: null,
      responsibleDivision: DAZU,
      personKeys: [ZHAO.idNumber],
      timers: {},
      data: { applicantIdNumber: ZHAO.idNumber, activeTypes: ['LIVING'], payerDivision: DAZU },
      openedAt: '',
      updatedAt: '',
    };
    expect(reactToDeathNotice(deathNoticeFrom(notice(deathDate)), [c])[0].payload.effectiveMonth).toBe(effectiveMonth);
  });

  it('ends an application under review, cancels open checks naming the person and widows the spouse', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-REVIEW', ZHAO, '50011119410903004541', 'under-review');
    await h.send({
      eventType: 'EconomicCheckRequested',
      caseId: 'ECK-1',
      sourceRegion: CHENGDU,
      targetRegion: DAZU,
      payload: {
        members: [
          { person: LI, relation: 'SELF', authorisationRef: 'A1' },
          { person: ZHAO, relation: 'PARENT', authorisationRef: 'A2' },
        ],
        items: ['PENSIONS'],
        purpose: 'MINIMUM_LIVING_ALLOWANCE',
        authorisationRef: 'A',
        answerBy: '2026-11-20',
      },
    });
    const husband = { idNumber: '500107193905050011', name: '孙某', hukouDivision: JIULONGPO };
    h.put({
      caseId: 'MAR-1',
      workflow: 'marriage-registration',
      state: 'recorded',
      acceptingDivision: JIULONGPO,
      acceptingOffice: null,
      responsibleDivision: JIULONGPO,
      personKeys: [husband.idNumber, ZHAO.idNumber],
      timers: {},
      openedAt: '',
      updatedAt: '',
      data: {
        kind: 'marriage',
        checks: {},
        recordsUpdated: [husband.idNumber, ZHAO.idNumber],
        parties: [
          { ...husband, birthDate: '1939-05-05', sex: 'M' },
          { ...ZHAO, birthDate: '1941-09-03', sex: 'F' },
        ],
      },
    });
    const events = reactToDeathNotice(deathNoticeFrom(notice()), [...h.cases.values()]);
    expect(events.map((e) => [e.eventType, e.caseId, e.sourceRegion, e.targetRegion])).toEqual([
      ['SubsidyRejected', 'SUB-REVIEW', DAZU, CHENGDU],
      ['EconomicCheckCancelled', 'ECK-1', CHENGDU, DAZU],
      // Sent by the registering office that holds the case, not by the deceased's hukou region (another node).
      ['MarriageRecordUpdated', 'MAR-1', JIULONGPO, JIULONGPO],
    ]);
    expect(events[2].payload).toMatchObject({
      person: husband,
      newStatus: 'WIDOWED',
      registrationKind: 'DEATH_OF_SPOUSE',
      effectiveOn: '2026-11-01',
      spouse: ZHAO,
    });
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
        eventType: 'SubsidyTransferred',
        sourceRegion: DAZU,
        targetRegion: ANYUE,
        payload: expect.objectContaining({
          previousHukouDivision: DAZU,
          lastMonthPaidByPrevious: '2027-03',
          firstMonthPaidByNew: '2027-04',
          subsidies: grants,
          person: { ...LI, hukouDivision: ANYUE },
        }),
      }),
    ]);
    await h.followAll(events);
    expect(h.get('SUB-LI')).toMatchObject({ state: 'transferring', responsibleDivision: ANYUE });
    expect(reactToHukouMove(move, [...h.cases.values()])).toEqual([]);
  });

  it('never ends the old payer before a month it paid, and hands an unpaid grant over from its first month', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-LI', LI, '50011119680417002241', 'paying'); // paid from 2026-01
    const early = { ...move, movedOn: '2025-12-20', moveRef: 'MOVE-EARLY' };
    expect(reactToHukouMove(early, [...h.cases.values()])[0].payload).toMatchObject({ lastMonthPaidByPrevious: '2026-01', firstMonthPaidByNew: '2026-02' });
    const approved: CaseSnapshot = {
      ...h.get('SUB-LI'),
      caseId: 'SUB-APPROVED',
      state: 'approved',
      data: { ...h.get('SUB-LI').data, firstPaidMonth: undefined, firstPaymentMonth: '2027-05' },
    };
    const events = reactToHukouMove(move, [approved]);
    expect(events[0].payload).toMatchObject({ lastMonthPaidByPrevious: '2027-04', firstMonthPaidByNew: '2027-05' });
    h.put(approved);
    expect(expectApplied((await h.followAll(events))[0]).nextState).toBe('transferring');
  });

  it('hands an application under review over to the new region instead of ending it', async () => {
    const h = new CaseHarness();
    await subsidy(h, 'SUB-LI', LI, '50011119680417002241', 'under-review');
    const events = reactToHukouMove(move, [...h.cases.values()]);
    expect(events).toEqual([
      expect.objectContaining({
        eventType: 'SubsidyCaseHandedOver',
        sourceRegion: DAZU,
        targetRegion: ANYUE,
        payload: expect.objectContaining({ caseState: 'UNDER_REVIEW', acceptingDivision: CHENGDU, subsidyTypes: ['NURSING'] }),
      }),
    ]);
    await h.followAll(events);
    expect(h.get('SUB-LI')).toMatchObject({ state: 'under-review', responsibleDivision: ANYUE });
  });
});

describe('household changes from marriage and divorce', () => {
  const marriage: CaseSnapshot = {
    caseId: 'MAR-1',
    workflow: 'marriage-registration',
    state: 'registered',
    acceptingDivision: JIULONGPO,
    acceptingOffice: 'CQ-HTZ',
    responsibleDivision: ANYUE,
    personKeys: ['512021199611080033', '500107199802210069'],
    timers: {},
    openedAt: '',
    updatedAt: '',
    data: { kind: 'marriage', parties: [{ idNumber: '512021199611080033' }, { idNumber: '500107199802210069' }], checks: {}, recordsUpdated: [] },
  };
  const event = (eventType: string): IncomingEvent => ({
    eventType,
    eventId: 'e',
    caseId: 'MAR-1',
    sourceRegion: JIULONGPO,
    targetRegion: ANYUE,
    occurredAt: '2026-11-10T02:00:00Z',
    payload: { certificateNumber: 'C', registeredOn: '2026-11-10' },
  });

  it('joins the spouses on a registered marriage and separates them on a divorce, idempotently', () => {
    const joined = householdChangeFor(event('MarriageRegistered'), marriage)!;
    expect(joined).toEqual({ kind: 'spouses-joined', members: ['512021199611080033', '500107199802210069'], effectiveOn: '2026-11-10', caseId: 'MAR-1' });
    const once = applyHouseholdChange(new Map(), joined);
    expect(applyHouseholdChange(once, joined)).toEqual(once);
    expect(spouseHousehold('512021199611080033', once)).toEqual(['512021199611080033', '500107199802210069']);
    const separated = applyHouseholdChange(once, householdChangeFor(event('DivorceRegistered'), marriage)!);
    expect(spouseHousehold('512021199611080033', separated)).toEqual(['512021199611080033']);
    expect(householdChangeFor(event('MaritalStatusCheckAnswered'), marriage)).toBeUndefined();
  });
});

describe('a death remembered per node', () => {
  const death = (caseId: string, from = CHENGDU) => ({
    eventType: 'DeathRegistered',
    caseId,
    sourceRegion: from,
    targetRegion: DAZU,
    payload: {
      deceased: ZHAO,
      sex: 'FEMALE',
      birthDate: '1941-09-03',
      deathDate: '2026-11-01',
      placeOfDeath: { division: from, detail: '…' },
      medicalDeathCertificateNumber: 'MD-1',
      causeOfDeath: null,
      informant: { name: '赵某', idNumber: null, phone: '1', relation: 'CHILD' },
    },
  });
  const application = {
    applicant: ZHAO,
    certificateNumber: '50011119410903004541',
    disabilityCategory: 'PHYSICAL',
    disabilityGrade: 'GRADE_1',
    subsidyTypes: ['NURSING'],
    hardshipStatus: 'NONE',
    residence: { division: CHENGDU, detail: '…' },
    contactPhone: '1',
    consentRef: 'C',
  };
  const party = (p: typeof ZHAO, birthDate: string, sex: string) => ({ person: p, birthDate, sex });
  const widower = { idNumber: makeIdNumber(JIULONGPO, '1939-05-05', '001'), name: '孙某', hukouDivision: JIULONGPO };

  it.each([
    [
      'a subsidy application',
      { eventType: 'SubsidyApplicationSubmitted', caseId: 'SUB-LATE', sourceRegion: CHENGDU, targetRegion: DAZU, payload: application },
    ],
    [
      'a marriage request',
      {
        eventType: 'MarriageRegistrationRequested',
        caseId: 'MAR-LATE',
        sourceRegion: JIULONGPO,
        targetRegion: JIULONGPO,
        payload: { partyA: party(widower, '1939-05-05', 'MALE'), partyB: party(ZHAO, '1941-09-03', 'FEMALE') },
      },
    ],
    [
      'an economic check',
      {
        eventType: 'EconomicCheckRequested',
        caseId: 'ECK-LATE',
        sourceRegion: CHENGDU,
        targetRegion: DAZU,
        payload: {
          members: [
            { person: LI, relation: 'SELF', authorisationRef: 'A1' },
            { person: ZHAO, relation: 'PARENT', authorisationRef: 'A2' },
          ],
          items: ['PENSIONS'],
          purpose: 'MINIMUM_LIVING_ALLOWANCE',
          authorisationRef: 'A',
          answerBy: '2026-11-30',
        },
      },
    ],
  ])('refuses %s for a person who died, pointing to the death', async (_what, event) => {
    const h = new CaseHarness();
    expectApplied(await h.send(death('FUN-1')));
    const d = await h.send(event);
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'PERSON_DECEASED', error: { rejectionCode: 'VALIDATION_FAILED', relatedCaseId: 'FUN-1' } });
    expect(h.cases.has(event.caseId)).toBe(false);
  });

  it('remembers a death it only heard of by a notice', async () => {
    const h = new CaseHarness();
    await h.send(notice());
    expect(h.deaths.get(ZHAO.idNumber)).toEqual({ deathDate: '2026-11-01', sourceCaseId: 'FUN-510104-2026-0001' });
    const d = await h.send({ eventType: 'SubsidyApplicationSubmitted', caseId: 'SUB-LATE', sourceRegion: CHENGDU, targetRegion: DAZU, payload: application });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'PERSON_DECEASED' });
  });
});

describe('widowhood across nodes', () => {
  const WANG = { idNumber: '512021199611080033', name: '王建国', hukouDivision: ANYUE };
  const CHEN = { idNumber: '500107199802210069', name: '陈芳', hukouDivision: JIULONGPO };
  // What Anyue's node holds: his record (kept from the MarriageRecordUpdated addressed to it), not the case.
  const recordUpdate = (spouse: unknown): IncomingEvent => ({
    eventType: 'MarriageRecordUpdated',
    eventId: 'rec-1',
    caseId: 'MAR-CQHTZ-1',
    sourceRegion: JIULONGPO,
    sourceOffice: 'CQ-HTZ',
    targetRegion: ANYUE,
    occurredAt: '2026-11-10T03:00:00Z',
    payload: { person: WANG, newStatus: 'MARRIED', registrationKind: 'MARRIAGE', registrationRef: 'J1', effectiveOn: '2026-11-10', spouse },
  });

  it('widows the spouse from the record region of the deceased, whichever province registered the death', () => {
    const record = maritalRecordFrom(recordUpdate(CHEN))!;
    expect(record).toEqual({
      idNumber: WANG.idNumber,
      status: 'MARRIED',
      spouse: CHEN,
      caseId: 'MAR-CQHTZ-1',
      recordDivision: ANYUE,
      effectiveOn: '2026-11-10',
    });
    const death: IncomingEvent = {
      eventType: 'DeathRegistered',
      eventId: 'd-1',
      caseId: 'FUN-510104-9',
      sourceRegion: CHENGDU,
      targetRegion: ANYUE,
      occurredAt: '2026-12-02T03:00:00Z',
      payload: { deceased: WANG, deathDate: '2026-12-01' },
    };
    const events = reactToDeathByRecords(deathNoticeFrom(death), [record], { node: '510000' });
    expect(events).toEqual([
      expect.objectContaining({
        eventType: 'MarriageRecordUpdated',
        caseId: 'MAR-CQHTZ-1',
        sourceRegion: ANYUE,
        targetRegion: JIULONGPO,
        payload: {
          person: CHEN,
          newStatus: 'WIDOWED',
          registrationKind: 'DEATH_OF_SPOUSE',
          registrationRef: 'FUN-510104-9',
          effectiveOn: '2026-12-01',
          spouse: WANG,
        },
      }),
    ]);
    // The registering office's node applies it to the marriage case: the marriage ended by death.
    expect(reactToDeathByRecords(deathNoticeFrom(death), [{ ...record, status: 'DIVORCED' }])).toEqual([]);
  });

  it('takes the spouse from the case when an older sender left it out', () => {
    const marriage: CaseSnapshot = {
      caseId: 'MAR-CQHTZ-1',
      workflow: 'marriage-registration',
      state: 'registered',
      acceptingDivision: JIULONGPO,
      acceptingOffice: 'CQ-HTZ',
      responsibleDivision: ANYUE,
      personKeys: [WANG.idNumber, CHEN.idNumber],
      timers: {},
      openedAt: '',
      updatedAt: '',
      data: {
        kind: 'marriage',
        parties: [
          { ...WANG, birthDate: '1996-11-08', sex: 'M' },
          { ...CHEN, birthDate: '1998-02-21', sex: 'F' },
        ],
        checks: {},
        recordsUpdated: [],
      },
    };
    expect(maritalRecordFrom(recordUpdate(null), marriage)?.spouse).toEqual(CHEN);
    expect(maritalRecordFrom(recordUpdate(null))?.spouse).toBeNull();
  });

  it('ends the marriage case at the registering office when the death reaches only the other province', async () => {
    const h = new CaseHarness();
    h.put({
      caseId: 'MAR-CQHTZ-1',
      workflow: 'marriage-registration',
      state: 'recorded',
      acceptingDivision: JIULONGPO,
      acceptingOffice: 'CQ-HTZ',
      responsibleDivision: ANYUE,
      personKeys: [WANG.idNumber, CHEN.idNumber],
      timers: {},
      openedAt: '',
      updatedAt: '',
      data: {
        kind: 'marriage',
        parties: [
          { ...WANG, birthDate: '1996-11-08', sex: 'M' },
          { ...CHEN, birthDate: '1998-02-21', sex: 'F' },
        ],
        checks: {},
        recordsUpdated: [WANG.idNumber, CHEN.idNumber],
      },
    });
    await h.send({ ...recordUpdate(CHEN), eventId: undefined });
    expectApplied(
      await h.send({
        eventType: 'DeathRegistered',
        caseId: 'FUN-510104-9',
        sourceRegion: CHENGDU,
        targetRegion: ANYUE,
        occurredAt: '2026-12-02T03:00:00Z',
        payload: {
          deceased: WANG,
          sex: 'MALE',
          birthDate: '1996-11-08',
          deathDate: '2026-12-01',
          placeOfDeath: { division: CHENGDU, detail: '…' },
          medicalDeathCertificateNumber: 'MD-9',
          causeOfDeath: null,
          informant: { name: '王某', idNumber: null, phone: '1', relation: 'PARENT' },
        },
      }),
    );
    const widowing = h.published.filter((e) => e.eventType === 'MarriageRecordUpdated');
    expect(widowing).toHaveLength(1);
    expect(h.get('MAR-CQHTZ-1').state).toBe('ended-by-death');
  });
});

describe('household links used by economic checks', () => {
  const WANG = { idNumber: '512021199611080033', name: '王建国', hukouDivision: ANYUE };
  const CHEN = { idNumber: '500107199802210069', name: '陈芳', hukouDivision: JIULONGPO };
  const check = (caseId: string, members: Array<{ person: typeof WANG; relation: string }>) => ({
    eventType: 'EconomicCheckRequested',
    caseId,
    sourceRegion: JIULONGPO,
    sourceOffice: 'CQ-HTZ',
    targetRegion: ANYUE,
    payload: {
      members: members.map((m) => ({ ...m, authorisationRef: `A-${m.person.idNumber}` })),
      items: ['PENSIONS'],
      purpose: 'MINIMUM_LIVING_ALLOWANCE',
      authorisationRef: 'A',
      answerBy: '2026-11-30',
    },
  });
  const marry = async (h: CaseHarness) => {
    const party = (p: typeof WANG, birthDate: string, sex: string) => ({ person: p, birthDate, sex });
    const office = { sourceRegion: JIULONGPO, sourceOffice: 'CQ-HTZ', targetRegion: JIULONGPO, caseId: 'MAR-H' };
    expectApplied(
      await h.send({
        ...office,
        eventType: 'MarriageRegistrationRequested',
        payload: { partyA: party(WANG, '1996-11-08', 'MALE'), partyB: party(CHEN, '1998-02-21', 'FEMALE') },
      }),
    );
    for (const [id, p] of [
      ['A', WANG],
      ['B', CHEN],
    ] as const) {
      expectApplied(
        await h.send({
          ...office,
          targetRegion: p.hukouDivision,
          eventType: 'MaritalStatusCheckRequested',
          payload: { checkId: id, person: p, purpose: 'MARRIAGE_REGISTRATION' },
        }),
      );
      expectApplied(
        await h.send({
          eventType: 'MaritalStatusCheckAnswered',
          caseId: 'MAR-H',
          sourceRegion: p.hukouDivision,
          targetRegion: JIULONGPO,
          payload: { checkId: id, status: 'UNMARRIED' },
        }),
      );
    }
    expectApplied(
      await h.send({
        ...office,
        eventType: 'MarriageRegistered',
        payload: { certificateNumber: 'J1', registeredOn: '2026-11-10' },
        occurredAt: '2026-11-10T03:00:00Z',
      }),
    );
  };

  it('flags an open check of either spouse to its requester when they marry', async () => {
    const h = new CaseHarness();
    expectApplied(await h.send(check('ECK-CHEN', [{ person: CHEN, relation: 'SELF' }])));
    await marry(h);
    const flags = h.published.filter((e) => e.eventType === 'EconomicCheckHouseholdChanged');
    expect(flags[0]).toMatchObject({
      caseId: 'ECK-CHEN',
      targetRegion: JIULONGPO,
      payload: { change: 'MARRIAGE', member: CHEN, spouse: WANG, effectiveOn: '2026-11-10', marriageCaseId: 'MAR-H' },
    });
    expect(h.get('ECK-CHEN')).toMatchObject({
      state: 'requested',
      data: { householdChanges: [{ change: 'MARRIAGE', member: CHEN.idNumber, spouse: WANG.idNumber }] },
    });
  });

  it('reads the household for a later check: a spouse the request leaves out is flagged', async () => {
    const h = new CaseHarness();
    await marry(h);
    expectApplied(await h.send(check('ECK-LATER', [{ person: CHEN, relation: 'SELF' }])));
    expect(h.get('ECK-LATER').data.householdChanges).toEqual([expect.objectContaining({ change: 'MARRIAGE', spouse: WANG.idNumber })]);
    expectApplied(
      await h.send(
        check('ECK-BOTH', [
          { person: CHEN, relation: 'SELF' },
          { person: WANG, relation: 'SPOUSE' },
        ]),
      ),
    );
    expect(h.get('ECK-BOTH').data.householdChanges).toBeUndefined();
  });

  it('learns the household at the record region from the record update (its spouse), without the case', async () => {
    const h = new CaseHarness();
    expectApplied(
      await h.send({ ...check('ECK-WANG', [{ person: WANG, relation: 'SELF' }]), sourceRegion: ANYUE, sourceOffice: null, targetRegion: '510104' }),
    );
    await h.send({
      eventType: 'MarriageRecordUpdated',
      caseId: 'MAR-ELSEWHERE',
      sourceRegion: JIULONGPO,
      sourceOffice: 'CQ-HTZ',
      targetRegion: ANYUE,
      occurredAt: '2026-11-10T03:05:00Z',
      payload: { person: WANG, newStatus: 'MARRIED', registrationKind: 'MARRIAGE', registrationRef: 'J1', effectiveOn: '2026-11-10', spouse: CHEN },
    });
    expect(h.spouses.get(WANG.idNumber)).toMatchObject({ idNumber: CHEN.idNumber, since: '2026-11-10' });
    expect(h.get('ECK-WANG').data.householdChanges).toEqual([
      expect.objectContaining({ change: 'MARRIAGE', member: WANG.idNumber, marriageCaseId: 'MAR-ELSEWHERE' }),
    ]);
  });
});
