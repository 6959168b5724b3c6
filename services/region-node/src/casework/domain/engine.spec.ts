import { CaseHarness, expectApplied } from './case-harness.testing';
import { CaseRuleError, IllegalTransitionError } from './casework.errors';
import { parseDeadlines, DEFAULT_DEADLINES } from './deadlines.config';
import { isPublishedBy, rolesOf } from './engine';
import { NODE_WORKFLOWS } from '../../workflows';

const { definitionFor, knownEventTypes } = NODE_WORKFLOWS;

const DOMAIN_EVENTS = [
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
  'MarriageRegistrationRequested',
  'MaritalStatusCheckRequested',
  'MaritalStatusCheckAnswered',
  'MarriageRegistered',
  'MarriageRegistrationRefused',
  'MarriageRecordUpdated',
  'DivorceApplicationFiled',
  'DivorceApplicationWithdrawn',
  'DivorceRegistered',
  'DivorceApplicationLapsed',
  'DeathRegistered',
  'RemainsTransportRequested',
  'RemainsTransportAccepted',
  'RemainsTransportRefused',
  'RemainsTransported',
  'CremationCompleted',
  'AshesStored',
  'AshesReturned',
  'FuneralSubsidyClaimed',
  'FuneralSubsidyGranted',
  'FuneralSubsidyRejected',
  'DeathNoticeIssued',
  'EconomicCheckRequested',
  'EconomicCheckAcknowledged',
  'EconomicCheckAnswered',
  'EconomicCheckHouseholdChanged',
  'EconomicCheckExpired',
  'EconomicCheckCancelled',
  'CaseEventRejected',
  'CaseDeadlineBreached',
];

describe('case engine', () => {
  it('knows every event of the four workflows and the two common events', () => {
    expect(knownEventTypes().sort()).toEqual([...DOMAIN_EVENTS].sort());
  });

  it('names only declared states as targets of transitions', () => {
    for (const name of ['disability-subsidy', 'marriage-registration', 'funeral-transfer', 'economic-check'] as const) {
      const def = definitionFor(name)!;
      for (const [event, spec] of Object.entries(def.transitions)) {
        const targets = [...(spec.to && spec.to !== 'same' ? [spec.to] : []), ...(spec.toOneOf ?? []), ...(Array.isArray(spec.from) ? spec.from : [])];
        for (const s of targets) expect([event, def.states.includes(s)]).toEqual([event, true]);
      }
      for (const t of def.timers) for (const s of t.activeIn) expect(def.states).toContain(s);
    }
  });

  it.each([
    ['an unknown event type', { eventType: 'SubsidyPaid', caseId: 'X' }, 'UNKNOWN_EVENT_TYPE'],
    ['an event for a case that does not exist', { eventType: 'SubsidyApproved', caseId: 'X' }, 'UNKNOWN_CASE'],
    ['a common event for a case that does not exist', { eventType: 'CaseDeadlineBreached', caseId: 'X' }, 'UNKNOWN_CASE'],
  ])('refuses %s', async (_what, event, code) => {
    const d = await new CaseHarness().send({ sourceRegion: '510104', targetRegion: '500111', payload: {}, ...event });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: code, error: { retriable: false } });
  });

  const check = {
    eventType: 'EconomicCheckRequested',
    caseId: 'ECK-1',
    sourceRegion: '510104',
    targetRegion: '500111',
    payload: {
      members: [{ person: { idNumber: '500111196001150028', name: '刘梅', hukouDivision: '500111' }, relation: 'SELF', authorisationRef: 'A1' }],
      items: ['PENSIONS'],
      purpose: 'OTHER_ASSISTANCE',
      authorisationRef: 'A',
      answerBy: '2026-11-20',
    },
  };

  it('refuses an opening event for a case that already exists', async () => {
    const h = new CaseHarness();
    await h.send(check);
    expect(await h.send(check)).toMatchObject({ kind: 'rejected', reasonCode: 'CASE_EXISTS', error: expect.any(IllegalTransitionError) });
  });

  it('refuses an event of another workflow on a case', async () => {
    const h = new CaseHarness();
    await h.send(check);
    expect(await h.send({ ...check, eventType: 'SubsidyApproved', sourceRegion: '500111' })).toMatchObject({ kind: 'rejected', reasonCode: 'WRONG_WORKFLOW' });
  });

  it('answers a refused event with a CaseEventRejected to its sender, but never a rejection with another', async () => {
    const h = new CaseHarness();
    await h.send(check);
    const refused = await h.send({
      ...check,
      eventType: 'EconomicCheckAcknowledged',
      sourceRegion: '510104',
      eventId: 'e-9',
      payload: { checkCentreRef: 'x' },
    });
    expect(refused.emits).toEqual([
      expect.objectContaining({
        eventType: 'CaseEventRejected',
        sourceRegion: '500111',
        targetRegion: '510104',
        causationId: 'e-9',
        payload: expect.objectContaining({
          refusedEventId: 'e-9',
          refusedEventType: 'EconomicCheckAcknowledged',
          reasonCode: 'NOT_RESPONSIBLE',
          caseState: 'requested',
        }),
      }),
    ]);
    const echo = await new CaseHarness().send({ ...check, eventType: 'CaseEventRejected', caseId: 'nope' });
    expect(echo).toMatchObject({ kind: 'rejected', emits: [] });
  });

  it('records a rejection from the other side without moving the case', async () => {
    const h = new CaseHarness();
    await h.send(check);
    const d = expectApplied(
      await h.send({ ...check, eventType: 'CaseEventRejected', sourceRegion: '500111', payload: { refusedEventType: 'X', reasonCode: 'OTHER' } }),
    );
    expect(d).toMatchObject({ nextState: 'requested', timers: { start: [], cancel: [] } });
    expect(h.get('ECK-1').data.rejections).toHaveLength(1);
  });

  it('reports every refusal as a not-retriable domain error with a stable code', async () => {
    const d = await new CaseHarness().send({
      ...check,
      payload: { ...check.payload, members: [{ person: { idNumber: '500111196001150027', name: 'x', hukouDivision: '500111' } }] },
    });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'PAYLOAD_INVALID' });
    if (d.kind === 'rejected') expect(d.error).toBeInstanceOf(CaseRuleError);
  });

  it.each([
    ['510104', null, ['accepting']],
    ['510100', null, ['accepting']],
    ['510000', null, ['accepting']],
    ['500000', null, ['check-centre', 'responsible']],
    ['500111', 'X', ['check-centre', 'responsible']],
    ['510105', null, []],
  ])('gives a sender %s (office %s) the roles %j in a Chengdu → Dazu check', (source, office, roles) => {
    const snapshot = {
      caseId: 'c',
      workflow: 'economic-check' as const,
      state: 'requested',
      acceptingDivision: '510104',
      acceptingOffice: null,
      responsibleDivision: '500111',
      personKeys: [],
      timers: {},
      data: {},
      openedAt: '',
      updatedAt: '',
    };
    expect(rolesOf(definitionFor('economic-check')!, snapshot, source, office)).toEqual(roles);
  });

  it('publishes an event only on the node serving its source region', () => {
    expect(isPublishedBy('500000', '500111')).toBe(true);
    expect(isPublishedBy('510000', '500111')).toBe(false);
  });

  it('reads deadline overrides and names a bad one', () => {
    expect(parseDeadlines('subsidyAcknowledge=3wd, remainsTransportAnswer=12h')).toEqual({
      ...DEFAULT_DEADLINES,
      subsidyAcknowledge: { unit: 'working-days', amount: 3 },
      remainsTransportAnswer: { unit: 'hours', amount: 12 },
    });
    expect(() => parseDeadlines('subsidyAck=3wd')).toThrow(/subsidyAck/);
    expect(() => parseDeadlines('subsidyDecide=twenty')).toThrow(/subsidyDecide=twenty/);
  });

  describe('answers to a service office (CQ-HTZ)', () => {
    const application = (caseId: string, types = ['NURSING']) => ({
      eventType: 'SubsidyApplicationSubmitted',
      caseId,
      sourceRegion: '500107',
      sourceOffice: 'CQ-HTZ',
      targetRegion: '500111',
      payload: {
        applicant: { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' },
        certificateNumber: '50011119680417002241',
        disabilityCategory: 'PHYSICAL',
        disabilityGrade: 'GRADE_1',
        subsidyTypes: types,
        hardshipStatus: 'NONE',
        residence: { division: '500107', detail: '…' },
        contactPhone: '1',
        consentRef: 'C',
      },
    });

    it('names the office on a decision sent to the accepting side of its case', async () => {
      const h = new CaseHarness();
      expectApplied(await h.send(application('SUB-HTZ-1')));
      const dup = expectApplied(await h.send(application('SUB-HTZ-2')));
      expect(dup.emits[0]).toMatchObject({ eventType: 'SubsidyRejected', sourceRegion: '500111', targetRegion: '500107', targetOffice: 'CQ-HTZ' });
    });

    it('names the office on the refusal of an event it sent, and no office on a refusal to a division', async () => {
      const h = new CaseHarness();
      const refused = await h.send({ ...application('SUB-HTZ-3'), targetRegion: '510104' });
      expect(refused.emits[0]).toMatchObject({ eventType: 'CaseEventRejected', targetRegion: '500107', targetOffice: 'CQ-HTZ' });
      const plain = await h.send({ eventType: 'SubsidyApproved', caseId: 'NONE', sourceRegion: '500111', targetRegion: '510104', payload: {} });
      expect(plain.emits[0]).toMatchObject({ eventType: 'CaseEventRejected', targetOffice: null });
    });
  });
});
