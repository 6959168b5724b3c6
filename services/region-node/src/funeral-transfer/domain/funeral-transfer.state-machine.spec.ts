import { CaseHarness, expectApplied, makeIdNumber } from '../../casework/domain/case-harness.testing';
import type { Send } from '../../casework/domain/case-harness.testing';

const CHENGDU = '510104';
const DAZU = '500111';
const ANYUE = '512021';
const ZHAO = { idNumber: '500111194109030045', name: '赵桂兰', hukouDivision: DAZU };
const ZHANG = { idNumber: '512021195012010019', name: '张德福', hukouDivision: ANYUE };
const org = (division: string, name: string) => ({ uscc: '91500000MA5U000000', name, division });

const death = (caseId: string, deceased: typeof ZHAO, birthDate: string, sex: string, place: string): Send => ({
  eventType: 'DeathRegistered',
  caseId,
  sourceRegion: place,
  targetRegion: deceased.hukouDivision,
  payload: {
    deceased,
    sex,
    birthDate,
    deathDate: '2026-11-01',
    placeOfDeath: { division: place, detail: '…' },
    medicalDeathCertificateNumber: 'MD-2026-0001',
    causeOfDeath: null,
    informant: { name: '赵某', idNumber: null, phone: '13800000000', relation: 'CHILD' },
  },
});
const ev = (eventType: string, caseId: string, from: string, to: string, payload: Record<string, unknown> = {}): Send => ({
  eventType,
  caseId,
  sourceRegion: from,
  targetRegion: to,
  payload,
});

describe('funeral transfer state machine', () => {
  it('refuses a death dated after the registration that reports it', async () => {
    const h = new CaseHarness();
    const d = await h.send({ ...death('FUN-DATE-1', ZHAO, '1941-09-03', 'FEMALE', CHENGDU), occurredAt: '2026-10-31T02:00:00Z' });
    expect(d).toMatchObject({ kind: 'rejected', reasonCode: 'DATE_AFTER_EVENT', error: { rejectionCode: 'VALIDATION_FAILED' } });
    expect(h.cases.size).toBe(0);
  });

  it('cremates where the death happened, returns the ashes and grants the relief at home (scenario 4)', async () => {
    const h = new CaseHarness();
    const c = 'FUN-510104-2026-0001';
    const registered = expectApplied(await h.send(death(c, ZHAO, '1941-09-03', 'FEMALE', CHENGDU)));
    expect(registered.caseUpdates).toMatchObject({ acceptingDivision: CHENGDU, responsibleDivision: DAZU, personKeys: [ZHAO.idNumber] });
    // The hukou region receives the registration itself; no other region holds a case for her, so no notice.
    expect(registered.emits).toEqual([]);
    expect(h.published.filter((e) => e.eventType === 'DeathNoticeIssued')).toEqual([]);
    expect(
      expectApplied(
        await h.send(
          ev('CremationCompleted', c, CHENGDU, DAZU, {
            cremationCertificateNumber: 'CR-1',
            funeralHome: org(CHENGDU, '成都殡仪馆'),
            crematedAt: '2026-11-03T02:00:00Z',
          }),
        ),
      ).nextState,
    ).toBe('cremated');
    expect(expectApplied(await h.send(ev('AshesReturned', c, CHENGDU, DAZU))).nextState).toBe('ashes-returned');
    const claim = { deceased: ZHAO, deathDate: '2026-11-01', services: [], invoiceRefs: [], payeeAccount: null };
    expect(await h.send(ev('FuneralSubsidyClaimed', c, CHENGDU, CHENGDU, claim))).toMatchObject({ kind: 'rejected', reasonCode: 'NOT_HUKOU_REGION' });
    const claimed = expectApplied(await h.send(ev('FuneralSubsidyClaimed', c, DAZU, DAZU, claim)));
    expect(claimed.timers.start[0]).toMatchObject({ name: 'funeral.subsidy-decision', dueAt: new Date('2026-11-16T16:00:00Z'), mustActDivision: DAZU });
    expect(await h.send(ev('FuneralSubsidyGranted', c, CHENGDU, DAZU, {}))).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
    expect(
      expectApplied(await h.send(ev('FuneralSubsidyGranted', c, DAZU, CHENGDU, { granted: [], totalAmount: '1200.00', decisionRef: 'G1' }))).nextState,
    ).toBe('subsidy-granted');
    expect(await h.send(ev('FuneralSubsidyClaimed', c, DAZU, DAZU, claim))).toMatchObject({ kind: 'rejected', reasonCode: 'ALREADY_GRANTED' });
  });

  it('transports the remains home across the provincial line and cremates them there (scenario 5)', async () => {
    const h = new CaseHarness();
    const c = 'FUN-500111-2026-0002';
    expectApplied(await h.send(death(c, ZHANG, '1950-12-01', 'MALE', DAZU)));
    const requested = expectApplied(
      await h.send(
        ev('RemainsTransportRequested', c, DAZU, ANYUE, {
          deceased: ZHANG,
          fromOrganisation: org(DAZU, '大足殡仪馆'),
          toOrganisation: org(ANYUE, '安岳殡仪馆'),
        }),
      ),
    );
    expect(requested.timers.start[0]).toMatchObject({
      name: 'funeral.transport-answer',
      dueAt: new Date('2026-11-02T06:00:00Z'),
      mustActDivision: ANYUE,
      ownerDivision: DAZU,
    });
    expect(await h.send(ev('RemainsTransportAccepted', c, CHENGDU, DAZU))).toMatchObject({ kind: 'rejected', reasonCode: 'UNAUTHORISED_SENDER' });
    expect(await h.send(ev('CremationCompleted', c, DAZU, ANYUE, { cremationCertificateNumber: 'X', funeralHome: org(DAZU, 'x') }))).toMatchObject({
      kind: 'rejected',
      reasonCode: 'REMAINS_IN_TRANSIT',
    });
    expect(expectApplied(await h.send(ev('RemainsTransportAccepted', c, ANYUE, DAZU, { receivingOrganisation: org(ANYUE, '安岳殡仪馆') }))).nextState).toBe(
      'transport-accepted',
    );
    expect(expectApplied(await h.send(ev('RemainsTransported', c, DAZU, ANYUE, { handedOverAt: '2026-11-02T08:00:00Z' }))).nextState).toBe(
      'remains-transported',
    );
    expect(
      expectApplied(await h.send(ev('CremationCompleted', c, ANYUE, DAZU, { cremationCertificateNumber: 'CR-2', funeralHome: org(ANYUE, '安岳殡仪馆') })))
        .nextState,
    ).toBe('cremated');
  });

  it('goes back to the start when the destination refuses the remains', async () => {
    const h = new CaseHarness();
    const c = 'FUN-3';
    await h.send(death(c, ZHANG, '1950-12-01', 'MALE', DAZU));
    await h.send(ev('RemainsTransportRequested', c, DAZU, ANYUE, { deceased: ZHANG, toOrganisation: org(ANYUE, '安岳殡仪馆') }));
    expect(expectApplied(await h.send(ev('RemainsTransportRefused', c, ANYUE, DAZU, { reasonCode: 'NO_CAPACITY', reasonText: '…' }))).nextState).toBe(
      'death-registered',
    );
    expect(
      expectApplied(await h.send(ev('CremationCompleted', c, DAZU, ANYUE, { cremationCertificateNumber: 'CR', funeralHome: org(DAZU, '大足殡仪馆') })))
        .nextState,
    ).toBe('cremated');
  });

  it('reports a transport request left unanswered for 4 hours (the brief’s default)', async () => {
    const h = new CaseHarness();
    const c = 'FUN-4';
    await h.send(death(c, ZHANG, '1950-12-01', 'MALE', DAZU));
    await h.send({
      ...ev('RemainsTransportRequested', c, DAZU, ANYUE, { deceased: ZHANG, toOrganisation: org(ANYUE, '安岳殡仪馆') }),
      occurredAt: '2026-11-02T10:00:00Z',
    });
    expect(h.get(c).timers['funeral.transport-answer'].dueAt).toBe('2026-11-02T14:00:00.000Z');
    await h.fire(c, 'funeral.transport-answer');
    expect(h.published.at(-1)).toMatchObject({
      eventType: 'CaseDeadlineBreached',
      sourceRegion: DAZU,
      targetRegion: ANYUE,
      payload: { deadline: 'REMAINS_TRANSPORT_ANSWER' },
    });
  });

  it('refuses a death registration whose birth date or sex differs from the ID number', async () => {
    const h = new CaseHarness();
    expect(await h.send(death('F5', ZHAO, '1941-09-04', 'FEMALE', CHENGDU))).toMatchObject({ kind: 'rejected', reasonCode: 'IDENTITY_MISMATCH' });
    expect(await h.send(death('F5', ZHAO, '1941-09-03', 'MALE', CHENGDU))).toMatchObject({ kind: 'rejected', reasonCode: 'IDENTITY_MISMATCH' });
  });

  it('sends the death notice to every region holding an active case for the person', async () => {
    const h = new CaseHarness();
    h.put({
      caseId: 'CHK-1',
      workflow: 'economic-check',
      state: 'requested',
      acceptingDivision: '510104',
      acceptingOffice: null,
      responsibleDivision: ANYUE,
      personKeys: [ZHAO.idNumber],
      timers: {},
      data: {},
      openedAt: '',
      updatedAt: '',
    });
    h.put({
      caseId: 'CHK-OLD',
      workflow: 'economic-check',
      state: 'answered',
      acceptingDivision: '510104',
      acceptingOffice: null,
      responsibleDivision: '500106',
      personKeys: [ZHAO.idNumber],
      timers: {},
      data: {},
      openedAt: '',
      updatedAt: '',
    });
    expectApplied(await h.send(death('F6', ZHAO, '1941-09-03', 'FEMALE', CHENGDU)));
    const notices = h.published.filter((e) => e.eventType === 'DeathNoticeIssued');
    // Anyue holds an open check; Dazu (the hukou region) gets the registration itself; Shapingba's check is closed.
    expect(notices.map((e) => [e.sourceRegion, e.targetRegion])).toEqual([[CHENGDU, ANYUE]]);
    expect(notices[0].payload).toEqual({ deceased: ZHAO, deathDate: '2026-11-01', deathRegistrationRef: 'F6', knownCaseIds: ['CHK-1'] });
    expect(JSON.stringify(notices[0].payload)).not.toContain('MD-2026-0001');
    expect(h.get('CHK-1').state).toBe('cancelled');
  });

  it('refuses a death registration addressed to a region that is not the hukou region', async () => {
    const h = new CaseHarness();
    // His ID number was issued in Dazu, but his hukou is in Anyue now: Anyue registers, Dazu does not.
    const moved = { idNumber: makeIdNumber(DAZU, '1950-12-01', '001'), name: '张某', hukouDivision: ANYUE };
    const toDazu = { ...death('F8', moved, '1950-12-01', 'MALE', CHENGDU), targetRegion: DAZU };
    expect(await h.send(toDazu)).toMatchObject({ kind: 'rejected', reasonCode: 'NOT_HUKOU_REGION', error: { rejectionCode: 'NOT_RESPONSIBLE' } });
    expectApplied(await h.send(death('F8', moved, '1950-12-01', 'MALE', CHENGDU)));
  });

  it('merges a second death registration for the same person into the first case', async () => {
    const h = new CaseHarness();
    expectApplied(await h.send(death('F9', ZHAO, '1941-09-03', 'FEMALE', CHENGDU)));
    const second = await h.send(death('F10', ZHAO, '1941-09-03', 'FEMALE', DAZU));
    expect(second).toMatchObject({ kind: 'rejected', reasonCode: 'DEATH_ALREADY_REGISTERED', error: { rejectionCode: 'DUPLICATE_CASE', relatedCaseId: 'F9' } });
    expect(second.emits[0].payload).toMatchObject({ reasonCode: 'DUPLICATE_CASE', relatedCaseId: 'F9' });
    expect(h.cases.has('F10')).toBe(false);
  });

  it('records ashes stored after the relief is claimed without leaving the claim', async () => {
    const h = new CaseHarness();
    const c = 'F7';
    await h.send(death(c, ZHAO, '1941-09-03', 'FEMALE', CHENGDU));
    await h.send(ev('CremationCompleted', c, CHENGDU, DAZU, { cremationCertificateNumber: 'CR', funeralHome: org(CHENGDU, 'x') }));
    await h.send(ev('FuneralSubsidyClaimed', c, CHENGDU, DAZU, { deceased: ZHAO }));
    const stored = expectApplied(await h.send(ev('AshesStored', c, CHENGDU, DAZU)));
    expect(stored).toMatchObject({ nextState: 'subsidy-claimed', timers: { start: [], cancel: [] } });
    expect(h.get(c).data.ashes).toBe('stored');
  });
});
