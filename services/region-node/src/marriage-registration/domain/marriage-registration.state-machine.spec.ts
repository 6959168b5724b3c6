import { WorkingCalendar } from '@tongban/calendar';
import { CaseHarness, expectApplied, makeIdNumber } from '../../casework/domain/case-harness.testing';
import { divorceWindows } from './marriage-registration.state-machine';

const HTZ = '500107'; // Jiulongpo: the district on the couple's address; the office is the high-tech zone's
const ANYUE = '512021';
const JIULONGPO = '500107';
const CASE = 'MAR-CQHTZ-2026-0001';
const WANG = { person: { idNumber: '512021199611080033', name: '王建国', hukouDivision: ANYUE }, birthDate: '1996-11-08', sex: 'MALE' };
const CHEN = { person: { idNumber: '500107199802210069', name: '陈芳', hukouDivision: JIULONGPO }, birthDate: '1998-02-21', sex: 'FEMALE' };

const office = (eventType: string, payload: Record<string, unknown>, targetRegion = ANYUE, caseId = CASE) => ({
  eventType,
  // A registration or filing is reported on its day.
  ...(typeof (payload.registeredOn ?? payload.filedOn) === 'string' ? { occurredAt: `${String(payload.registeredOn ?? payload.filedOn)}T02:00:00Z` } : {}),
  caseId,
  sourceRegion: HTZ,
  sourceOffice: 'CQ-HTZ',
  targetRegion,
  payload,
});
const request = (a = WANG, b = CHEN) =>
  office('MarriageRegistrationRequested', {
    partyA: a,
    partyB: b,
    appointmentDate: '2026-11-10',
    registeringDivision: HTZ,
    registeringOffice: 'CQ-HTZ',
    residence: { division: HTZ, detail: '…' },
  });
const checkRequest = (checkId: string, party: typeof WANG) =>
  office(
    'MaritalStatusCheckRequested',
    { checkId, person: party.person, purpose: 'MARRIAGE_REGISTRATION', answerBy: '2026-11-04T16:00:00Z' },
    party.person.hukouDivision,
  );
const answer = (checkId: string, from: string, status = 'UNMARRIED') => ({
  eventType: 'MaritalStatusCheckAnswered',
  caseId: CASE,
  sourceRegion: from,
  targetRegion: HTZ,
  payload: { checkId, status, recordRef: 'R' },
});

async function checked(h: CaseHarness, statusA = 'UNMARRIED', statusB = 'UNMARRIED', a = WANG, b = CHEN) {
  expectApplied(await h.send(request(a, b)));
  expectApplied(await h.send(checkRequest('CHK-A', a)));
  expectApplied(await h.send(checkRequest('CHK-B', b)));
  expectApplied(await h.send(answer('CHK-A', a.person.hukouDivision, statusA)));
  expectApplied(await h.send(answer('CHK-B', b.person.hukouDivision, statusB)));
}

describe('marriage registration state machine', () => {
  it('registers the demo couple at the high-tech zone office and updates both records (scenario 2)', async () => {
    const h = new CaseHarness();
    const opened = expectApplied(await h.send(request()));
    expect(opened.caseUpdates).toMatchObject({ acceptingDivision: HTZ, acceptingOffice: 'CQ-HTZ', personKeys: [WANG.person.idNumber, CHEN.person.idNumber] });
    const checking = expectApplied(await h.send(checkRequest('CHK-A', WANG)));
    expect(checking.nextState).toBe('checking');
    expect(checking.timers.start[0]).toMatchObject({ name: 'marriage.status-checks', dueAt: new Date('2026-11-03T16:00:00Z'), mustActDivision: ANYUE });
    await h.send(checkRequest('CHK-B', CHEN));
    expect(expectApplied(await h.send(answer('CHK-A', ANYUE))).nextState).toBe('checking');
    const complete = expectApplied(await h.send(answer('CHK-B', JIULONGPO)));
    expect(complete).toMatchObject({ nextState: 'checks-complete', timers: { cancel: ['marriage.status-checks'] } });
    expect(expectApplied(await h.send(office('MarriageRegistered', { certificateNumber: 'J500107-2026-000321', registeredOn: '2026-11-10' }))).nextState).toBe(
      'registered',
    );
    const record = (who: typeof WANG) =>
      office(
        'MarriageRecordUpdated',
        { person: who.person, newStatus: 'MARRIED', registrationKind: 'MARRIAGE', registrationRef: 'J500107-2026-000321', effectiveOn: '2026-11-10' },
        who.person.hukouDivision,
      );
    expect(expectApplied(await h.send(record(WANG))).nextState).toBe('registered');
    expect(await h.send(record(WANG))).toMatchObject({ kind: 'rejected', reasonCode: 'RECORD_ALREADY_UPDATED' });
    expect(expectApplied(await h.send(record(CHEN))).nextState).toBe('recorded');
  });

  it('refuses a status answer from a region that does not hold that party’s record', async () => {
    const h = new CaseHarness();
    await h.send(request());
    await h.send(checkRequest('CHK-A', WANG));
    expect(await h.send(answer('CHK-A', '500111'))).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
  });

  it('refuses a status check addressed to a region that does not hold the record', async () => {
    const h = new CaseHarness();
    await h.send(request());
    expect(await h.send({ ...checkRequest('CHK-A', WANG), targetRegion: '500111' })).toMatchObject({ kind: 'rejected', reasonCode: 'WRONG_RECORD_HOLDER' });
  });

  it('refuses a registration event from another office in the same district', async () => {
    const h = new CaseHarness();
    await checked(h);
    const d = await h.send({ ...office('MarriageRegistered', { certificateNumber: 'C', registeredOn: '2026-11-10' }), sourceOffice: null });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
  });

  it('refuses to register before both status checks are answered', async () => {
    const h = new CaseHarness();
    await h.send(request());
    await h.send(checkRequest('CHK-A', WANG));
    await h.send(answer('CHK-A', ANYUE));
    expect(await h.send(office('MarriageRegistered', { certificateNumber: 'C', registeredOn: '2026-11-10' }))).toMatchObject({
      kind: 'rejected',
      reasonCode: 'STATUS_CHECKS_PENDING',
    });
  });

  it.each([
    ['MARRIED', 'UNMARRIED', 'ILLEGAL_TRANSITION'],
    ['UNMARRIED', 'MARRIED', 'ILLEGAL_TRANSITION'],
    ['DIVORCED', 'WIDOWED', 'registered'],
  ])('with answers %s and %s, registration → %s', async (a, b, expected) => {
    const h = new CaseHarness();
    await checked(h, a, b).catch(() => undefined);
    const d = await h.send(office('MarriageRegistered', { certificateNumber: 'C', registeredOn: '2026-11-10' }));
    expect(d.kind === 'applied' ? d.nextState : d.reasonCode).toBe(expected);
  });

  // Legal age from the birth date in the ID number on the registration date: 22 for men, 20 for women.
  it.each([
    ['MALE', '2004-11-10', '2026-11-10', 'registered'],
    ['MALE', '2004-11-11', '2026-11-10', 'UNDER_LEGAL_AGE'],
    ['MALE', '2005-01-01', '2026-11-10', 'UNDER_LEGAL_AGE'],
    ['FEMALE', '2006-11-10', '2026-11-10', 'registered'],
    ['FEMALE', '2006-11-11', '2026-11-10', 'UNDER_LEGAL_AGE'],
    ['FEMALE', '2004-02-29', '2024-02-28', 'UNDER_LEGAL_AGE'],
    ['FEMALE', '2004-02-29', '2024-03-01', 'registered'],
  ])('a %s party born %s registering on %s → %s', async (sex, birthDate, registeredOn, expected) => {
    const h = new CaseHarness();
    h.now = new Date('2026-11-02T02:00:00Z');
    const young = {
      person: { idNumber: makeIdNumber(JIULONGPO, birthDate, sex === 'MALE' ? '011' : '012'), name: '测试', hukouDivision: JIULONGPO },
      birthDate,
      sex,
    };
    const [a, b] = sex === 'MALE' ? [young, CHEN] : [WANG, young];
    await checked(h, 'UNMARRIED', 'UNMARRIED', a, b);
    const d = await h.send(office('MarriageRegistered', { certificateNumber: 'C', registeredOn }));
    expect(d.kind === 'applied' ? d.nextState : d.reasonCode).toBe(expected);
  });

  it('judges the age on the day the registration happened, never a later stated date', async () => {
    const h = new CaseHarness();
    // He turns 22 on 2026-11-10; the registration was reported on the 9th but claims the 10th.
    const young = {
      person: { idNumber: makeIdNumber(JIULONGPO, '2004-11-10', '011'), name: '测试', hukouDivision: JIULONGPO },
      birthDate: '2004-11-10',
      sex: 'MALE',
    };
    await checked(h, 'UNMARRIED', 'UNMARRIED', young, CHEN);
    const early = await h.send({ ...office('MarriageRegistered', { certificateNumber: 'C', registeredOn: '2026-11-10' }), occurredAt: '2026-11-09T02:00:00Z' });
    expect(early).toMatchObject({ kind: 'rejected', reasonCode: 'DATE_AFTER_EVENT', error: { rejectionCode: 'VALIDATION_FAILED' } });
    expect(
      await h.send({ ...office('MarriageRegistered', { certificateNumber: 'C', registeredOn: '2026-11-09' }), occurredAt: '2026-11-09T02:00:00Z' }),
    ).toMatchObject({
      kind: 'rejected',
      reasonCode: 'UNDER_LEGAL_AGE',
    });
  });

  it('refuses a pending marriage request when a party dies', async () => {
    const h = new CaseHarness();
    await h.send(request());
    await h.send(checkRequest('CHK-A', WANG));
    expectApplied(
      await h.send({
        eventType: 'DeathRegistered',
        caseId: 'FUN-MAR-1',
        sourceRegion: '510104',
        targetRegion: JIULONGPO,
        occurredAt: '2026-11-03T02:00:00Z',
        payload: {
          deceased: CHEN.person,
          sex: 'FEMALE',
          birthDate: '1998-02-21',
          deathDate: '2026-11-02',
          placeOfDeath: { division: '510104', detail: '…' },
          medicalDeathCertificateNumber: 'MD',
          causeOfDeath: null,
          informant: { name: '陈某', idNumber: null, phone: '1', relation: 'PARENT' },
        },
      }),
    );
    expect(h.get(CASE)).toMatchObject({ state: 'refused', data: { refusal: 'OTHER' } });
  });

  it('keeps the spouse in a record update, and refuses one naming someone else', async () => {
    const h = new CaseHarness();
    await checked(h);
    await h.send(office('MarriageRegistered', { certificateNumber: 'J1', registeredOn: '2026-11-10' }));
    const record = (spouse: unknown) =>
      office(
        'MarriageRecordUpdated',
        { person: WANG.person, newStatus: 'MARRIED', registrationKind: 'MARRIAGE', registrationRef: 'J1', effectiveOn: '2026-11-10', spouse },
        ANYUE,
      );
    expect(await h.send(record({ idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' }))).toMatchObject({
      kind: 'rejected',
      reasonCode: 'SPOUSE_MISMATCH',
    });
    expectApplied(await h.send(record(CHEN.person)));
    expect(h.records.get(WANG.person.idNumber)).toMatchObject({ status: 'MARRIED', spouse: CHEN.person, recordDivision: ANYUE });
  });

  it('refuses a party whose stated birth date or sex differs from the ID number', async () => {
    const h = new CaseHarness();
    expect(await h.send(request({ ...WANG, birthDate: '1996-11-09' }))).toMatchObject({ kind: 'rejected', reasonCode: 'IDENTITY_MISMATCH' });
    expect(await h.send(request({ ...WANG, sex: 'FEMALE' }))).toMatchObject({ kind: 'rejected', reasonCode: 'IDENTITY_MISMATCH' });
  });

  it('refuses the request at once when a party is answered MARRIED', async () => {
    const h = new CaseHarness();
    await h.send(request());
    await h.send(checkRequest('CHK-A', WANG));
    await h.send(checkRequest('CHK-B', CHEN));
    const married = expectApplied(await h.send(answer('CHK-A', ANYUE, 'MARRIED')));
    expect(married).toMatchObject({ nextState: 'refused', timers: { cancel: ['marriage.status-checks'] } });
    expect(h.get(CASE).data).toMatchObject({ refusal: 'PARTY_MARRIED', refusedParty: WANG.person.idNumber });
    // The other answer arriving later is refused: the case is closed.
    expect(await h.send(answer('CHK-B', JIULONGPO))).toMatchObject({ kind: 'rejected', reasonCode: 'ILLEGAL_TRANSITION' });
  });

  it('ends a pending request with a refusal, and refuses nothing after it', async () => {
    const h = new CaseHarness();
    await checked(h, 'DIVORCED');
    expect(
      expectApplied(
        await h.send(office('MarriageRegistrationRefused', { reasonCode: 'NOT_VOLUNTARY', reasonText: '…', concernedPartyIdNumber: WANG.person.idNumber })),
      ).nextState,
    ).toBe('refused');
    expect(await h.send(office('MarriageRegistered', { certificateNumber: 'C', registeredOn: '2026-11-10' }))).toMatchObject({
      kind: 'rejected',
      reasonCode: 'ILLEGAL_TRANSITION',
    });
  });

  it('reports a status check left unanswered for a working day', async () => {
    const h = new CaseHarness();
    await h.send(request());
    await h.send(checkRequest('CHK-A', WANG));
    await h.send(checkRequest('CHK-B', CHEN));
    await h.send(answer('CHK-A', ANYUE));
    await h.fire(CASE, 'marriage.status-checks');
    expect(h.published.at(-1)).toMatchObject({
      eventType: 'CaseDeadlineBreached',
      sourceRegion: HTZ,
      sourceOffice: 'CQ-HTZ',
      targetRegion: JIULONGPO,
      payload: { deadline: 'MARITAL_STATUS_CHECK_ANSWER', mustActRegion: JIULONGPO },
    });
  });
});

describe('divorce by agreement', () => {
  const DIV = 'DIV-CQHTZ-2026-0001';
  const filing = (filedOn: string, extra: Record<string, unknown> = {}) =>
    office('DivorceApplicationFiled', { partyA: WANG, partyB: CHEN, marriageCertificateNumber: 'J500107-2026-000321', filedOn, ...extra }, ANYUE, DIV);
  const divorceEvent = (eventType: string, payload: Record<string, unknown>, occurredAt: string) => ({ ...office(eventType, payload, ANYUE, DIV), occurredAt });

  it.each([
    ['2026-11-05', '2026-12-07', '2027-01-06'], // day 30 is a Saturday: the cooling-off period ends on Monday
    ['2026-11-03', '2026-12-03', '2027-01-04'], // day 60 is a Saturday: the window ends on the next working day
    ['2026-08-27', '2026-09-28', '2026-10-28'], // day 30 falls in the Mid-Autumn holiday
    ['2026-08-11', '2026-09-10', '2026-10-10'], // a Saturday worked in exchange for National Day is a working day
    ['2026-08-06', '2026-09-07', '2026-10-08'], // both periods end on a rest day
  ])('filed on %s: cooling-off ends %s, appearance by %s', (filedOn, coolingOffEndsOn, appearBy) => {
    expect(divorceWindows(filedOn, WorkingCalendar.china2026())).toEqual({ coolingOffEndsOn, appearBy });
  });

  it('lets either party withdraw during the cooling-off period but not after it', async () => {
    const h = new CaseHarness();
    expect(expectApplied(await h.send(filing('2026-11-05'))).timers.start.map((t) => [t.name, t.dueAt.toISOString()])).toEqual([
      ['divorce.cooling-off', '2026-12-07T16:00:00.000Z'],
      ['divorce.appearance', '2027-01-06T16:00:00.000Z'],
    ]);
    const late = await h.send(
      divorceEvent('DivorceApplicationWithdrawn', { withdrawingPartyIdNumber: CHEN.person.idNumber, withdrawnOn: '2026-12-08' }, '2026-12-08T02:00:00Z'),
    );
    expect(late).toMatchObject({ kind: 'rejected', reasonCode: 'COOLING_OFF_OVER' });
    const stranger = await h.send(
      divorceEvent('DivorceApplicationWithdrawn', { withdrawingPartyIdNumber: '500111196804170022', withdrawnOn: '2026-12-01' }, '2026-12-01T02:00:00Z'),
    );
    expect(stranger).toMatchObject({ kind: 'rejected', reasonCode: 'NOT_A_PARTY' });
    // Day 30 (2026-12-05) is a Saturday: the period runs to Monday 2026-12-07, and a withdrawal that day counts.
    const ok = expectApplied(
      await h.send(
        divorceEvent('DivorceApplicationWithdrawn', { withdrawingPartyIdNumber: CHEN.person.idNumber, withdrawnOn: '2026-12-07' }, '2026-12-07T02:00:00Z'),
      ),
    );
    expect(ok).toMatchObject({ nextState: 'divorce-withdrawn', timers: { cancel: ['divorce.cooling-off', 'divorce.appearance'] } });
  });

  it.each([
    ['2026-12-07', 'COOLING_OFF_NOT_OVER'],
    ['2026-12-08', 'divorced'],
    ['2027-01-06', 'divorced'],
    ['2027-01-07', 'APPEARANCE_WINDOW_CLOSED'],
  ])('filed on 2026-11-05, registering on %s → %s', async (registeredOn, expected) => {
    const h = new CaseHarness();
    await h.send(filing('2026-11-05'));
    const d = await h.send(divorceEvent('DivorceRegistered', { certificateNumber: 'L1', registeredOn }, `${registeredOn}T02:00:00Z`));
    expect(d.kind === 'applied' ? d.nextState : d.reasonCode).toBe(expected);
  });

  it('moves to the appearance window after cooling off, then lapses when nobody appears', async () => {
    const h = new CaseHarness();
    await h.send(filing('2026-11-05'));
    const advanced = expectApplied(await h.fire(DIV, 'divorce.cooling-off'));
    expect(advanced).toMatchObject({ nextState: 'awaiting-appearance', emits: [] });
    expect(Object.keys(h.get(DIV).timers)).toEqual(['divorce.appearance']);
    expect(await h.send(divorceEvent('DivorceApplicationLapsed', { appearBy: '2027-01-06' }, '2027-01-02T02:00:00Z'))).toMatchObject({
      kind: 'rejected',
      reasonCode: 'APPEARANCE_WINDOW_OPEN',
    });
    await h.fire(DIV, 'divorce.appearance');
    expect(h.published.at(-1)).toMatchObject({ eventType: 'DivorceApplicationLapsed', payload: { appearBy: '2027-01-06' } });
    expect(h.get(DIV).state).toBe('divorce-lapsed');
  });

  it('records the divorce with both hukou regions', async () => {
    const h = new CaseHarness();
    await h.send(filing('2026-11-05'));
    await h.send(divorceEvent('DivorceRegistered', { certificateNumber: 'L1', registeredOn: '2026-12-10' }, '2026-12-10T02:00:00Z'));
    const record = (who: typeof WANG, newStatus = 'DIVORCED', registrationKind = 'DIVORCE') =>
      office(
        'MarriageRecordUpdated',
        { person: who.person, newStatus, registrationKind, registrationRef: 'L1', effectiveOn: '2026-12-10' },
        who.person.hukouDivision,
        DIV,
      );
    expect(await h.send(record(WANG, 'MARRIED', 'MARRIAGE'))).toMatchObject({ kind: 'rejected', reasonCode: 'RECORD_INCONSISTENT' });
    await h.send(record(WANG));
    expect(expectApplied(await h.send(record(CHEN))).nextState).toBe('divorce-recorded');
  });

  it('ends a pending divorce when a party dies (ended by death, not divorced)', async () => {
    const h = new CaseHarness();
    await h.send(filing('2026-11-05'));
    const death = {
      eventType: 'DeathRegistered',
      caseId: 'FUN-DIV-1',
      sourceRegion: '510104',
      targetRegion: ANYUE,
      occurredAt: '2026-11-20T02:00:00Z',
      payload: {
        deceased: WANG.person,
        sex: 'MALE',
        birthDate: '1996-11-08',
        deathDate: '2026-11-19',
        placeOfDeath: { division: '510104', detail: '…' },
        medicalDeathCertificateNumber: 'MD',
        causeOfDeath: null,
        informant: { name: '王某', idNumber: null, phone: '1', relation: 'PARENT' },
      },
    };
    expectApplied(await h.send(death));
    expect(h.get(DIV)).toMatchObject({ state: 'ended-by-death', timers: {} });
    expect(h.published.find((e) => e.eventType === 'MarriageRecordUpdated')).toMatchObject({
      sourceRegion: HTZ,
      sourceOffice: 'CQ-HTZ',
      targetRegion: JIULONGPO,
      payload: { person: CHEN.person, newStatus: 'WIDOWED', spouse: WANG.person },
    });
    expect(await h.send(divorceEvent('DivorceRegistered', { certificateNumber: 'L1', registeredOn: '2026-12-10' }, '2026-12-10T02:00:00Z'))).toMatchObject({
      kind: 'rejected',
    });
  });

  it('refuses a filing or a divorce dated after the event that reports it', async () => {
    const h = new CaseHarness();
    expect(await h.send({ ...filing('2026-11-05'), occurredAt: '2026-11-04T02:00:00Z' })).toMatchObject({ kind: 'rejected', reasonCode: 'DATE_AFTER_EVENT' });
    expectApplied(await h.send(filing('2026-11-05')));
    const d = await h.send(divorceEvent('DivorceRegistered', { certificateNumber: 'L1', registeredOn: '2026-12-10' }, '2026-12-09T02:00:00Z'));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'DATE_AFTER_EVENT' });
  });

  it('accepts a filing that states the cooling-off end moved off a rest day, and keeps it', async () => {
    const h = new CaseHarness();
    expectApplied(await h.send(filing('2026-11-05', { coolingOffEndsOn: '2026-12-07', appearBy: '2027-01-06' })));
    expect(h.get(DIV).data).toMatchObject({ coolingOffEndsOn: '2026-12-07', appearBy: '2027-01-06' });
  });

  it('refuses a filing whose stated cooling-off end is miscounted', async () => {
    const d = await new CaseHarness().send(filing('2026-11-05', { coolingOffEndsOn: '2026-12-04', appearBy: '2027-01-03' }));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'DIVORCE_PERIOD_MISCOMPUTED' });
  });
});
