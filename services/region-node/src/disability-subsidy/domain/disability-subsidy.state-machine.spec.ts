import { CaseHarness, expectApplied } from '../../casework/domain/case-harness.testing';
import type { CaseSnapshot } from '../../casework/domain/casework.types';
import { disabilitySubsidyMachine, SubsidyState } from './disability-subsidy.state-machine';

const CHENGDU = '510104';
const DAZU = '500111';
const ANYUE = '512021';
const CASE = 'SUB-510104-2026-000123';
const LI = { idNumber: '500111196804170022', name: '李秀英', hukouDivision: DAZU };

const application = (overrides: Record<string, unknown> = {}) => ({
  applicant: LI,
  certificateNumber: '50011119680417002241',
  disabilityCategory: 'PHYSICAL',
  disabilityGrade: 'GRADE_1',
  subsidyTypes: ['LIVING', 'NURSING'],
  hardshipStatus: 'MINIMUM_LIVING_ALLOWANCE',
  hardshipEvidenceRef: 'DB-510104-2025-0456',
  residence: { division: CHENGDU, detail: '锦江区春熙路 88 号' },
  contactPhone: '13812341234',
  agent: null,
  consentRef: 'CONSENT-510104-2026-0001',
  ...overrides,
});
const grants = [
  { subsidyType: 'LIVING', monthlyAmount: '100.00' },
  { subsidyType: 'NURSING', monthlyAmount: '80.00' },
];

const fromChengdu = (eventType: string, payload: Record<string, unknown> = {}, caseId = CASE) => ({
  eventType,
  caseId,
  sourceRegion: CHENGDU,
  targetRegion: DAZU,
  payload,
});
const fromDazu = (eventType: string, payload: Record<string, unknown> = {}, caseId = CASE) => ({
  eventType,
  caseId,
  sourceRegion: DAZU,
  targetRegion: CHENGDU,
  payload,
});

async function paying(h: CaseHarness): Promise<void> {
  await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
  await h.send(fromDazu('SubsidyApplicationAcknowledged', { responsibleCaseRef: 'DZ-2026-77', handlingOffice: 'Dazu civil affairs' }));
  await h.send(fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'DZ-D-1' }));
  h.now = new Date('2026-12-10T02:00:00Z');
  expectApplied(await h.send(fromDazu('SubsidyPaymentStarted', { payments: grants, firstPaidMonth: '2026-12', paidOn: '2026-12-10', paymentRef: 'P1' })));
}

describe('disability subsidy state machine', () => {
  it('carries the demo application from submission to payment (scenario 1)', async () => {
    const h = new CaseHarness();
    h.now = new Date('2026-11-02T01:30:00Z');
    const submitted = expectApplied(await h.send(fromChengdu('SubsidyApplicationSubmitted', application())));
    expect(submitted.nextState).toBe('submitted');
    expect(submitted.caseUpdates).toMatchObject({ acceptingDivision: CHENGDU, responsibleDivision: DAZU, personKeys: [LI.idNumber] });
    expect(submitted.timers.start).toEqual([
      { name: 'subsidy.acknowledge', dueAt: new Date('2026-11-04T16:00:00Z'), ownerDivision: CHENGDU, mustActDivision: DAZU, escalateTo: ['responsible'] },
    ]);

    const ack = expectApplied(await h.send(fromDazu('SubsidyApplicationAcknowledged', { responsibleCaseRef: 'DZ-2026-77', handlingOffice: 'x' })));
    expect(ack.timers.cancel).toEqual(['subsidy.acknowledge']);
    expect(ack.timers.start.map((t) => [t.name, t.dueAt.toISOString()])).toEqual([['subsidy.decide', '2026-11-30T16:00:00.000Z']]);

    h.now = new Date('2026-11-03T02:00:00Z');
    const asked = expectApplied(
      await h.send(fromDazu('SubsidyMaterialsRequested', { materials: [{ kind: 'MINIMUM_LIVING_ALLOWANCE_CERTIFICATE', note: null }], supplyBy: null })),
    );
    expect(asked.timers).toEqual({
      cancel: ['subsidy.decide'],
      start: [expect.objectContaining({ name: 'subsidy.materials', dueAt: new Date('2026-12-03T16:00:00Z'), ownerDivision: DAZU })],
    });

    h.now = new Date('2026-11-09T02:00:00Z');
    const supplied = expectApplied(
      await h.send(fromChengdu('SubsidyMaterialsSupplied', { documents: [{ kind: 'MINIMUM_LIVING_ALLOWANCE_CERTIFICATE', documentRef: 'DB-1' }] })),
    );
    expect(supplied.nextState).toBe('under-review');
    // Twenty working days from the last material, not from the first submission.
    expect(supplied.timers.start[0]).toMatchObject({ name: 'subsidy.decide', dueAt: new Date('2026-12-07T16:00:00Z') });

    expect(expectApplied(await h.send(fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'D1' }))).nextState).toBe('approved');
    h.now = new Date('2026-12-10T02:00:00Z');
    const paid = expectApplied(
      await h.send(fromDazu('SubsidyPaymentStarted', { payments: grants, firstPaidMonth: '2026-12', paidOn: '2026-12-10', paymentRef: 'P1' })),
    );
    expect(paid.nextState).toBe('paying');
    expect(h.get(CASE).timers).toEqual({});
  });

  type Row = [SubsidyState, string, 'accepting' | 'responsible', Record<string, unknown>, SubsidyState | string];
  const snapshot = (state: SubsidyState): CaseSnapshot => ({
    caseId: CASE,
    workflow: 'disability-subsidy',
    state,
    acceptingDivision: CHENGDU,
    acceptingOffice: null,
    responsibleDivision: DAZU,
    personKeys: [LI.idNumber],
    timers: {},
    data: {
      applicantIdNumber: LI.idNumber,
      requestedTypes: ['LIVING', 'NURSING'],
      activeTypes: ['LIVING', 'NURSING'],
      grantedTypes: ['LIVING', 'NURSING'],
      firstPaymentMonth: '2026-12',
      payerDivision: DAZU,
    },
    openedAt: '2026-11-02T01:30:00.000Z',
    updatedAt: '2026-11-02T01:30:00.000Z',
  });
  it.each<Row>([
    ['submitted', 'SubsidyApplicationAcknowledged', 'responsible', {}, 'under-review'],
    ['submitted', 'SubsidyApplicationAcknowledged', 'accepting', {}, 'UNAUTHORISED_SENDER'],
    ['submitted', 'SubsidyApproved', 'responsible', { grants, firstPaymentMonth: '2026-12' }, 'NOT_ACKNOWLEDGED'],
    ['submitted', 'SubsidyRejected', 'responsible', { reasonCode: 'NOT_IN_HARDSHIP', reasonText: '…' }, 'rejected'],
    ['submitted', 'SubsidyApplicationWithdrawn', 'accepting', { withdrawnBy: 'APPLICANT', withdrawalRef: 'W1' }, 'withdrawn'],
    ['under-review', 'SubsidyApproved', 'accepting', { grants, firstPaymentMonth: '2026-12' }, 'UNAUTHORISED_SENDER'],
    ['under-review', 'SubsidyApproved', 'responsible', { grants, firstPaymentMonth: '2026-12' }, 'approved'],
    ['under-review', 'SubsidyMaterialsRequested', 'responsible', { materials: [] }, 'materials-requested'],
    ['under-review', 'SubsidyMaterialsSupplied', 'accepting', { documents: [] }, 'ILLEGAL_TRANSITION'],
    ['materials-requested', 'SubsidyApproved', 'responsible', { grants, firstPaymentMonth: '2026-12' }, 'MATERIALS_OUTSTANDING'],
    ['materials-requested', 'SubsidyMaterialsSupplied', 'accepting', { documents: [] }, 'under-review'],
    ['materials-requested', 'SubsidyApplicationWithdrawn', 'accepting', {}, 'withdrawn'],
    ['approved', 'SubsidyApplicationWithdrawn', 'accepting', {}, 'ALREADY_DECIDED'],
    ['approved', 'SubsidyPaymentStarted', 'accepting', { payments: grants, firstPaidMonth: '2026-12' }, 'UNAUTHORISED_SENDER'],
    ['approved', 'SubsidyPaymentStarted', 'responsible', { payments: grants, firstPaidMonth: '2026-11' }, 'PAYMENT_BEFORE_GRANT'],
    ['approved', 'SubsidyPaymentStarted', 'responsible', { payments: grants, firstPaidMonth: '2026-12' }, 'paying'],
    ['paying', 'SubsidyPaymentStarted', 'responsible', { payments: grants, firstPaidMonth: '2027-01' }, 'PAYMENT_ALREADY_STARTED'],
    ['paying', 'SubsidyStopped', 'responsible', { subsidyTypes: ['NURSING'], reason: 'NO_LONGER_ELIGIBLE', effectiveMonth: '2027-03' }, 'paying'],
    ['paying', 'SubsidyStopped', 'responsible', { subsidyTypes: ['LIVING', 'NURSING'], reason: 'PERSON_REQUEST', effectiveMonth: '2027-03' }, 'stopped'],
    ['paying', 'SubsidyStopped', 'accepting', { subsidyTypes: ['LIVING'], reason: 'DEATH', effectiveMonth: '2027-03' }, 'UNAUTHORISED_SENDER'],
    ['stopped', 'SubsidyPaymentStarted', 'responsible', { payments: grants, firstPaidMonth: '2027-01' }, 'PAYMENT_AFTER_STOP'],
    ['stopped', 'SubsidyStopped', 'responsible', { subsidyTypes: ['LIVING'], reason: 'DEATH', effectiveMonth: '2027-03' }, 'ALREADY_STOPPED'],
    ['rejected', 'SubsidyApproved', 'responsible', { grants, firstPaymentMonth: '2026-12' }, 'ILLEGAL_TRANSITION'],
    ['under-review', 'SubsidyTransferred', 'responsible', {}, 'TRANSFER_DURING_REVIEW'],
    ['paying', 'CaseDeadlineBreached', 'accepting', { deadline: 'SUBSIDY_DECISION' }, 'paying'],
    ['withdrawn', 'CaseEventRejected', 'responsible', { refusedEventType: 'X', reasonCode: 'OTHER' }, 'withdrawn'],
  ])('in %s, %s from the %s side → %s', async (state, eventType, side, payload, expected) => {
    const h = new CaseHarness();
    h.now = new Date('2027-01-15T02:00:00Z');
    h.put(snapshot(state));
    const event = side === 'accepting' ? fromChengdu(eventType, payload) : fromDazu(eventType, payload);
    const decision = await h.send(event, { follow: false });
    expect(decision.kind === 'applied' ? decision.nextState : decision.reasonCode).toBe(expected);
  });

  it('lists a transition for every subsidy event of the domain', () => {
    expect(Object.keys(disabilitySubsidyMachine.transitions).sort()).toEqual(
      [
        'SubsidyApplicationSubmitted',
        'SubsidyApplicationAcknowledged',
        'SubsidyMaterialsRequested',
        'SubsidyMaterialsSupplied',
        'SubsidyApproved',
        'SubsidyRejected',
        'SubsidyPaymentStarted',
        'SubsidyTransferred',
        'SubsidyCaseHandedOver',
        'SubsidyAdjusted',
        'SubsidyStopped',
        'SubsidyApplicationWithdrawn',
        'CaseEventRejected',
        'CaseDeadlineBreached',
      ].sort(),
    );
  });

  it('refuses a certificate whose ID part is not the applicant', async () => {
    const h = new CaseHarness();
    const d = await h.send(fromChengdu('SubsidyApplicationSubmitted', application({ certificateNumber: '50011119410903004541' })));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'CERTIFICATE_MISMATCH' });
    expect(d.emits[0]).toMatchObject({
      eventType: 'CaseEventRejected',
      sourceRegion: DAZU,
      targetRegion: CHENGDU,
      payload: { reasonCode: 'VALIDATION_FAILED' },
    });
    expect(h.cases.size).toBe(0);
  });

  it('refuses a certificate whose category or grade differs from the application', async () => {
    const d = await new CaseHarness().send(fromChengdu('SubsidyApplicationSubmitted', application({ disabilityGrade: 'GRADE_2' })));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'CERTIFICATE_MISMATCH' });
  });

  it('refuses an application without the consent reference', async () => {
    const d = await new CaseHarness().send(fromChengdu('SubsidyApplicationSubmitted', application({ consentRef: '' })));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'CONSENT_MISSING', error: { rejectionCode: 'AUTHORISATION_MISSING', retriable: false } });
  });

  it('refuses an application sent by a region that is not the residence', async () => {
    const d = await new CaseHarness().send({ ...fromChengdu('SubsidyApplicationSubmitted', application()), sourceRegion: '510105' });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER', error: { rejectionCode: 'NOT_RESPONSIBLE' } });
  });

  it('refuses a second application for the same person and type, pointing to the open case (scenario 6)', async () => {
    const h = new CaseHarness();
    await paying(h);
    const second = expectApplied(
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application({ subsidyTypes: ['NURSING'] }), 'SUB-510104-2026-000200')),
    );
    expect(second.emits).toEqual([
      expect.objectContaining({
        eventType: 'SubsidyRejected',
        sourceRegion: DAZU,
        targetRegion: CHENGDU,
        payload: expect.objectContaining({ reasonCode: 'DUPLICATE_APPLICATION', openCaseId: CASE }),
      }),
    ]);
    expect(h.get('SUB-510104-2026-000200').state).toBe('rejected');
    expect(h.get(CASE).state).toBe('paying');
  });

  it('accepts a new application once the earlier case is stopped', async () => {
    const h = new CaseHarness();
    await paying(h);
    await h.send(fromDazu('SubsidyStopped', { subsidyTypes: ['LIVING', 'NURSING'], reason: 'PERSON_REQUEST', effectiveMonth: '2027-02' }));
    const again = expectApplied(await h.send(fromChengdu('SubsidyApplicationSubmitted', application(), 'SUB-2')));
    expect(again.emits).toEqual([]);
  });

  describe('hand-over after a hukou move during review', () => {
    const handover = (state = 'UNDER_REVIEW') => ({
      ...fromDazu('SubsidyCaseHandedOver', {
        person: { ...LI, hukouDivision: ANYUE },
        previousHukouDivision: DAZU,
        hukouMoveRef: 'HM-1',
        movedOn: '2026-11-04',
        caseState: state,
        openedAt: '2026-11-02T02:00:00Z',
        acceptingDivision: CHENGDU,
        certificateNumber: '50011119680417002241',
        disabilityCategory: 'PHYSICAL',
        disabilityGrade: 'GRADE_1',
        subsidyTypes: ['LIVING', 'NURSING'],
        hardshipStatus: 'MINIMUM_LIVING_ALLOWANCE',
        extremelyPoor: false,
        consentRef: 'C-1',
      }),
      targetRegion: ANYUE,
      occurredAt: '2026-11-05T02:00:00Z',
    });

    it('moves the case, in its state, to the new hukou region, which then decides it', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      await h.send(fromDazu('SubsidyApplicationAcknowledged'));
      const moved = expectApplied(await h.send(handover()));
      expect(moved).toMatchObject({ nextState: 'under-review', caseUpdates: { responsibleDivision: ANYUE } });
      expect(moved.timers.start).toEqual([
        expect.objectContaining({ name: 'subsidy.decide', mustActDivision: ANYUE, dueAt: new Date('2026-12-03T16:00:00Z') }),
      ]);
      expect(await h.send(fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'D' }))).toMatchObject({
        kind: 'rejected',
        reasonCode: 'UNAUTHORISED_SENDER',
      });
      const approved = await h.send({ ...fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'AY-1' }), sourceRegion: ANYUE });
      expect(expectApplied(approved).nextState).toBe('approved');
      expect(h.get(CASE).data).toMatchObject({ payerDivision: ANYUE, handovers: [{ from: DAZU, to: ANYUE, hukouMoveRef: 'HM-1' }] });
    });

    it('lets a node that did not hold the case take it over as it stands', async () => {
      const { decide } = await import('../../casework/domain/engine');
      const h = new CaseHarness();
      const d = expectApplied(await decide(undefined, { ...handover('MATERIALS_REQUESTED'), eventId: 'e-1' }, h.context()));
      expect(d).toMatchObject({
        previousState: undefined,
        nextState: 'materials-requested',
        caseUpdates: { acceptingDivision: CHENGDU, responsibleDivision: ANYUE, personKeys: [LI.idNumber], openedAt: '2026-11-02T02:00:00.000Z' },
      });
    });

    it('takes the history the hand-over carries, and refuses one that is malformed', async () => {
      const { decide } = await import('../../casework/domain/engine');
      const { carriedHistoryOf } = await import('../../casework/domain/carried-history');
      const h = new CaseHarness();
      const priorHistory = [
        {
          eventId: 'a1',
          eventType: 'SubsidyApplicationSubmitted',
          sourceRegion: CHENGDU,
          targetRegion: DAZU,
          occurredAt: '2026-11-02T02:00:00Z',
          outcome: 'applied',
          stateAfter: 'submitted',
        },
        {
          eventId: 'a2',
          eventType: 'SubsidyApplicationAcknowledged',
          sourceRegion: DAZU,
          targetRegion: CHENGDU,
          occurredAt: '2026-11-03T02:00:00Z',
          outcome: 'applied',
          stateAfter: 'under-review',
        },
      ];
      const event = { ...handover(), eventId: 'e-2' };
      event.payload = { ...event.payload, priorHistory };
      expect(expectApplied(await decide(undefined, event, h.context())).nextState).toBe('under-review');
      expect(carriedHistoryOf(event.payload).map((e) => [e.eventType, e.stateAfter])).toEqual([
        ['SubsidyApplicationSubmitted', 'submitted'],
        ['SubsidyApplicationAcknowledged', 'under-review'],
      ]);
      const bad = { ...event, eventId: 'e-3', payload: { ...event.payload, priorHistory: [{ ...priorHistory[0], outcome: 'maybe' }] } };
      expect(await decide(undefined, bad, h.context())).toMatchObject({ kind: 'rejected', reasonCode: 'PAYLOAD_INVALID' });
    });

    it('refuses a hand-over once the subsidy is granted (that is a transfer)', async () => {
      const h = new CaseHarness();
      await paying(h);
      expect(await h.send(handover())).toMatchObject({ kind: 'rejected', reasonCode: 'ALREADY_DECIDED' });
    });
  });

  describe('adjustments (SubsidyAdjusted)', () => {
    const adjust = (payload: Record<string, unknown>) =>
      fromDazu('SubsidyAdjusted', {
        reason: 'STANDARD_CHANGED',
        grants: [{ subsidyType: 'NURSING', monthlyAmount: '110.00' }],
        effectiveMonth: '2027-01',
        decisionRef: 'ADJ-1',
        ...payload,
      });

    it('changes the standard of a paid type from a month on, keeping the case paying', async () => {
      const h = new CaseHarness();
      await paying(h);
      expect(expectApplied(await h.send(adjust({}))).nextState).toBe('paying');
      expect(h.get(CASE).data).toMatchObject({
        grants: [
          { subsidyType: 'LIVING', monthlyAmount: '100.00' },
          { subsidyType: 'NURSING', monthlyAmount: '110.00' },
        ],
        adjustments: [{ reason: 'STANDARD_CHANGED', subsidyTypes: ['NURSING'], effectiveMonth: '2027-01', decisionRef: 'ADJ-1' }],
      });
    });

    it('records a new grade from a new certificate', async () => {
      const h = new CaseHarness();
      await paying(h);
      expectApplied(await h.send(adjust({ reason: 'GRADE_CHANGED', certificateNumber: `${LI.idNumber}42`, disabilityGrade: 'GRADE_2' })));
      expect(h.get(CASE).data).toMatchObject({ disabilityGrade: 'GRADE_2', certificateNumber: `${LI.idNumber}42` });
    });

    it.each([
      ['a grade that leaves the nursing subsidy', { reason: 'GRADE_CHANGED', certificateNumber: `${LI.idNumber}43` }, 'NO_LONGER_ELIGIBLE'],
      [
        'a grade the certificate does not say',
        { reason: 'GRADE_CHANGED', certificateNumber: `${LI.idNumber}42`, disabilityGrade: 'GRADE_1' },
        'CERTIFICATE_MISMATCH',
      ],
      ['a certificate of someone else', { certificateNumber: '50011119410903004541' }, 'CERTIFICATE_MISMATCH'],
      ['a month before the payments', { effectiveMonth: '2026-10' }, 'ADJUSTMENT_BEFORE_GRANT'],
      [
        'a type not granted',
        {
          grants: [
            { subsidyType: 'LIVING', monthlyAmount: '1.00' },
            { subsidyType: 'NURSING', monthlyAmount: '1.00' },
          ],
        },
        'applied',
      ],
    ])('with %s → %s', async (_what, payload, expected) => {
      const h = new CaseHarness();
      await paying(h);
      const d = await h.send(adjust(payload));
      expect(d.kind === 'applied' ? 'applied' : d.reasonCode).toBe(expected);
    });

    it('refuses an adjustment from the accepting side, or before a decision', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      expect(await h.send(adjust({}))).toMatchObject({ kind: 'rejected', reasonCode: 'NOT_GRANTED' });
      await paying(new CaseHarness());
      const p = new CaseHarness();
      await paying(p);
      expect(await p.send({ ...adjust({}), sourceRegion: CHENGDU, targetRegion: DAZU })).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
    });
  });

  describe('duplicates: only open or paid types block a new application', () => {
    const second = (h: CaseHarness, types = ['NURSING']) => h.send(fromChengdu('SubsidyApplicationSubmitted', application({ subsidyTypes: types }), 'SUB-2'));
    const duplicateOf = (d: Awaited<ReturnType<CaseHarness['send']>>) =>
      expectApplied(d).emits.find((e) => e.eventType === 'SubsidyRejected' && e.payload.reasonCode === 'DUPLICATE_APPLICATION')?.payload.openCaseId ?? null;

    it('a type under review blocks', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      expect(duplicateOf(await second(h))).toBe(CASE);
    });

    it('a type stopped while the other is still paid does not block', async () => {
      const h = new CaseHarness();
      await paying(h);
      await h.send(fromDazu('SubsidyStopped', { subsidyTypes: ['NURSING'], reason: 'NO_LONGER_ELIGIBLE', effectiveMonth: '2027-01' }));
      expect(h.get(CASE).state).toBe('paying');
      expect(duplicateOf(await second(h))).toBeNull();
      expect(duplicateOf(await h.send(fromChengdu('SubsidyApplicationSubmitted', application({ subsidyTypes: ['LIVING'] }), 'SUB-3')))).toBe(CASE);
    });

    it('a type asked for but not granted does not block once the case is decided', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      await h.send(fromDazu('SubsidyApplicationAcknowledged'));
      await h.send(fromDazu('SubsidyApproved', { grants: [grants[0]], firstPaymentMonth: '2026-12', decisionRef: 'D' }));
      expect(duplicateOf(await second(h))).toBeNull();
    });

    it.each([
      ['refused', fromDazu('SubsidyRejected', { reasonCode: 'NOT_IN_HARDSHIP', reasonText: '…', openCaseId: null })],
      ['withdrawn', fromChengdu('SubsidyApplicationWithdrawn', { withdrawnBy: 'APPLICANT', withdrawalRef: 'W' })],
    ])('an application %s does not block', async (_what, ending) => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      expectApplied(await h.send(ending));
      expect(duplicateOf(await second(h))).toBeNull();
    });

    it('a lapsed application does not block', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      await h.send(fromDazu('SubsidyApplicationAcknowledged'));
      await h.send(fromDazu('SubsidyMaterialsRequested', { materials: [], supplyBy: '2026-11-20' }));
      await h.fire(CASE, 'subsidy.materials');
      expect(h.get(CASE).state).toBe('rejected');
      expect(duplicateOf(await second(h))).toBeNull();
    });
  });

  describe('eligibility', () => {
    // The certificate's last two digits are the category (1–7) and the grade (1–4).
    const CATEGORIES = ['VISUAL', 'HEARING', 'SPEECH', 'PHYSICAL', 'INTELLECTUAL', 'MENTAL', 'MULTIPLE'];
    const apply = (category: string, grade: number, types: string[], hardship: Record<string, unknown> = {}) =>
      new CaseHarness().send(
        fromChengdu(
          'SubsidyApplicationSubmitted',
          application({
            certificateNumber: `${LI.idNumber}${CATEGORIES.indexOf(category) + 1}${grade}`,
            disabilityCategory: category,
            disabilityGrade: `GRADE_${grade}`,
            subsidyTypes: types,
            ...hardship,
          }),
        ),
      );
    const refusal = async (d: ReturnType<typeof apply>) =>
      expectApplied(await d).emits.find((e) => e.eventType === 'SubsidyRejected')?.payload.reasonCode ?? 'accepted';

    it.each([
      ['PHYSICAL', 1, 'accepted'],
      ['VISUAL', 2, 'accepted'],
      ['PHYSICAL', 3, 'GRADE_NOT_ELIGIBLE'],
      ['HEARING', 4, 'GRADE_NOT_ELIGIBLE'],
      ['INTELLECTUAL', 3, 'accepted'],
      ['MENTAL', 4, 'accepted'],
      ['MULTIPLE', 3, 'GRADE_NOT_ELIGIBLE'],
    ])('nursing subsidy for %s grade %s → %s', async (category, grade, expected) => {
      expect(await refusal(apply(category, grade, ['NURSING']))).toBe(expected);
    });

    it.each([
      [{ hardshipStatus: 'MINIMUM_LIVING_ALLOWANCE' }, 'accepted'],
      [{ hardshipStatus: 'LOW_INCOME' }, 'accepted'],
      [{ hardshipStatus: 'NEAR_MINIMUM' }, 'accepted'],
      [{ hardshipStatus: 'NONE', extremelyPoor: true }, 'accepted'],
      [{ hardshipStatus: 'NONE' }, 'NOT_IN_HARDSHIP'],
      [{ hardshipStatus: 'NONE', extremelyPoor: false }, 'NOT_IN_HARDSHIP'],
    ])('living subsidy with %j → %s', async (hardship, expected) => {
      expect(await refusal(apply('PHYSICAL', 3, ['LIVING'], hardship))).toBe(expected);
    });

    it('refuses the application and ends the case with the reason', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application({ certificateNumber: `${LI.idNumber}43`, disabilityGrade: 'GRADE_3' })));
      expect(h.get(CASE).state).toBe('rejected');
      expect(h.published[0]).toMatchObject({
        eventType: 'SubsidyRejected',
        sourceRegion: DAZU,
        targetRegion: CHENGDU,
        payload: { reasonCode: 'GRADE_NOT_ELIGIBLE' },
      });
    });
  });

  it('refuses an application addressed to a region that is not the hukou region, whatever the ID prefix', async () => {
    const h = new CaseHarness();
    // Her ID number was issued in Dazu; her hukou is in Anyue now.
    const moved = application({ applicant: { ...LI, hukouDivision: ANYUE } });
    const toDazu = await h.send(fromChengdu('SubsidyApplicationSubmitted', moved));
    expect(toDazu).toMatchObject({ kind: 'rejected', reasonCode: 'NOT_HUKOU_REGION', error: { rejectionCode: 'NOT_RESPONSIBLE' } });
    expect(expectApplied(await h.send({ ...fromChengdu('SubsidyApplicationSubmitted', moved), targetRegion: ANYUE })).caseUpdates).toMatchObject({
      responsibleDivision: ANYUE,
    });
  });

  it('refuses a payment whose first month lies after the event reporting it', async () => {
    const h = new CaseHarness();
    await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
    await h.send(fromDazu('SubsidyApplicationAcknowledged'));
    await h.send(fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'D' }));
    const early = await h.send({
      ...fromDazu('SubsidyPaymentStarted', { payments: grants, firstPaidMonth: '2026-12', paidOn: '2026-12-10', paymentRef: 'P' }),
      occurredAt: '2026-11-20T02:00:00Z',
    });
    expect(early).toMatchObject({ kind: 'rejected', reasonCode: 'DATE_AFTER_EVENT', error: { rejectionCode: 'VALIDATION_FAILED' } });
    h.now = new Date('2026-12-10T02:00:00Z');
    expect(
      expectApplied(await h.send(fromDazu('SubsidyPaymentStarted', { payments: grants, firstPaidMonth: '2026-12', paidOn: '2026-12-10', paymentRef: 'P' })))
        .nextState,
    ).toBe('paying');
  });

  it('refuses a payment start after a death notice', async () => {
    const h = new CaseHarness();
    await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
    await h.send(fromDazu('SubsidyApplicationAcknowledged'));
    await h.send(fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'D' }));
    await h.send(fromDazu('SubsidyStopped', { subsidyTypes: ['LIVING', 'NURSING'], reason: 'DEATH', effectiveMonth: '2026-12' }));
    const d = await h.send(fromDazu('SubsidyPaymentStarted', { payments: grants, firstPaidMonth: '2026-12', paidOn: '2026-12-10', paymentRef: 'P' }));
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'PAYMENT_AFTER_STOP' });
  });

  describe('transfer after a hukou move', () => {
    const transfer = (last: string, first: string) => ({
      person: { ...LI, hukouDivision: ANYUE },
      previousHukouDivision: DAZU,
      certificateNumber: '50011119680417002241',
      disabilityCategory: 'PHYSICAL',
      disabilityGrade: 'GRADE_1',
      hardshipStatus: 'MINIMUM_LIVING_ALLOWANCE',
      subsidies: grants,
      lastMonthPaidByPrevious: last,
      firstMonthPaidByNew: first,
      hukouMoveRef: 'MOVE-1',
      payeeAccount: null,
    });

    it.each([
      ['2027-03', '2027-05', 'TRANSFER_GAP'],
      ['2027-03', '2027-03', 'TRANSFER_DOUBLE_MONTH'],
      ['2027-12', '2027-11', 'TRANSFER_DOUBLE_MONTH'],
      ['2027-12', '2028-01', 'transferring'],
    ])('old payer through %s, new payer from %s → %s', async (last, first, expected) => {
      const h = new CaseHarness();
      await paying(h);
      const d = await h.send({ ...fromDazu('SubsidyTransferred', transfer(last, first)), targetRegion: ANYUE });
      expect(d.kind === 'applied' ? d.nextState : d.reasonCode).toBe(expected);
    });

    it('hands payment to the new hukou region from the month after the last old payment', async () => {
      const h = new CaseHarness();
      await paying(h);
      expectApplied(await h.send({ ...fromDazu('SubsidyTransferred', transfer('2027-03', '2027-04')), targetRegion: ANYUE }));
      expect(h.get(CASE)).toMatchObject({ state: 'transferring', responsibleDivision: ANYUE, data: { payerDivision: ANYUE } });
      const start = (source: string, month: string) =>
        h.send({
          eventType: 'SubsidyPaymentStarted',
          caseId: CASE,
          sourceRegion: source,
          targetRegion: CHENGDU,
          payload: { payments: grants, firstPaidMonth: month, paidOn: '2027-04-10', paymentRef: 'A1' },
        });
      h.now = new Date('2027-05-10T02:00:00Z');
      expect(await start(DAZU, '2027-04')).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
      expect(await start(ANYUE, '2027-05')).toMatchObject({ kind: 'rejected', reasonCode: 'TRANSFER_GAP' });
      expect(await start(ANYUE, '2027-03')).toMatchObject({ kind: 'rejected', reasonCode: 'TRANSFER_DOUBLE_MONTH' });
      expect(expectApplied(await start(ANYUE, '2027-04')).nextState).toBe('paying');
    });

    it('refuses a last month before the months already paid', async () => {
      const h = new CaseHarness();
      await paying(h); // paid from 2026-12
      const d = await h.send({ ...fromDazu('SubsidyTransferred', transfer('2026-11', '2026-12')), targetRegion: ANYUE });
      expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'TRANSFER_BEFORE_PAID' });
      expect(expectApplied(await h.send({ ...fromDazu('SubsidyTransferred', transfer('2026-12', '2027-01')), targetRegion: ANYUE })).nextState).toBe(
        'transferring',
      );
    });

    it('before any payment, hands the grant over from its first month', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      await h.send(fromDazu('SubsidyApplicationAcknowledged'));
      await h.send(fromDazu('SubsidyApproved', { grants, firstPaymentMonth: '2026-12', decisionRef: 'D' }));
      const unpaid = await h.send({ ...fromDazu('SubsidyTransferred', transfer('2027-01', '2027-02')), targetRegion: ANYUE });
      expect(unpaid).toMatchObject({ kind: 'rejected', reasonCode: 'TRANSFER_MONTH_NOT_PAID' });
      expect(expectApplied(await h.send({ ...fromDazu('SubsidyTransferred', transfer('2026-11', '2026-12')), targetRegion: ANYUE })).nextState).toBe(
        'transferring',
      );
    });

    it('refuses a transfer sent by a region that does not pay', async () => {
      const h = new CaseHarness();
      await paying(h);
      const d = await h.send({ ...fromChengdu('SubsidyTransferred', transfer('2027-03', '2027-04')) });
      expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
    });
  });

  describe('deadlines', () => {
    it('reports a missed acknowledgement to the responsible side', async () => {
      const h = new CaseHarness();
      h.now = new Date('2026-11-02T01:30:00Z');
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      const early = await h.fire(CASE, 'subsidy.acknowledge');
      expect(early).toMatchObject({ kind: 'applied' }); // the harness moves the clock to the due time
      expect(h.published).toEqual([
        expect.objectContaining({
          eventType: 'CaseDeadlineBreached',
          sourceRegion: CHENGDU,
          targetRegion: DAZU,
          payload: expect.objectContaining({
            deadline: 'SUBSIDY_ACKNOWLEDGEMENT',
            mustActRegion: DAZU,
            dueAt: new Date('2026-11-04T16:00:00Z'),
            awaitedEventTypes: ['SubsidyApplicationAcknowledged'],
          }),
        }),
      ]);
      expect(h.get(CASE).state).toBe('submitted');
      expect(h.get(CASE).timers).toEqual({});
      expect(await h.fire(CASE, 'subsidy.acknowledge')).toMatchObject({ kind: 'rejected', reasonCode: 'TIMER_NOT_OPEN' });
    });

    it('lets the application lapse when the requested materials are not supplied in time', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      await h.send(fromDazu('SubsidyApplicationAcknowledged'));
      await h.send(fromDazu('SubsidyMaterialsRequested', { materials: [], supplyBy: '2026-11-20' }));
      expect(h.get(CASE).timers['subsidy.materials'].dueAt).toBe('2026-11-20T16:00:00.000Z');
      const late = await h.send({ ...fromChengdu('SubsidyMaterialsSupplied', { documents: [] }), occurredAt: '2026-11-21T01:00:00Z' }, { follow: false });
      expect(late).toMatchObject({ kind: 'rejected', reasonCode: 'MATERIALS_AFTER_LAPSE' });
      await h.fire(CASE, 'subsidy.materials');
      expect(h.published.at(-1)).toMatchObject({ eventType: 'SubsidyRejected', sourceRegion: DAZU, payload: { reasonCode: 'MATERIALS_NOT_SUPPLIED' } });
      expect(h.get(CASE).state).toBe('rejected');
    });

    it('refuses a materials request whose supply date is already past', async () => {
      const h = new CaseHarness();
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      await h.send(fromDazu('SubsidyApplicationAcknowledged'));
      const d = await h.send(fromDazu('SubsidyMaterialsRequested', { materials: [], supplyBy: '2026-11-01' }));
      expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'PAYLOAD_INVALID' });
      expect(h.get(CASE).state).toBe('under-review');
    });

    it('does nothing when the scheduler wakes before the due time', async () => {
      const h = new CaseHarness();
      h.now = new Date('2026-11-02T01:30:00Z');
      await h.send(fromChengdu('SubsidyApplicationSubmitted', application()));
      const { decideTimer } = await import('../../casework/domain/engine');
      expect(decideTimer(h.get(CASE), 'subsidy.acknowledge', h.context())).toMatchObject({ kind: 'rejected', reasonCode: 'TIMER_NOT_DUE' });
    });

    it('takes configured deadlines instead of the defaults', async () => {
      const h = new CaseHarness();
      h.now = new Date('2026-11-02T01:30:00Z');
      const { decide } = await import('../../casework/domain/engine');
      const d = expectApplied(
        await decide(
          undefined,
          { ...fromChengdu('SubsidyApplicationSubmitted', application()), eventId: 'e1', occurredAt: h.now },
          { ...h.context(), deadlines: { subsidyAcknowledge: { unit: 'working-days', amount: 5 } } },
        ),
      );
      expect(d.timers.start[0].dueAt.toISOString()).toBe('2026-11-09T16:00:00.000Z');
    });
  });
});
