import { CASE_OPENING_EVENTS } from '@tongban/regions';
import { NODE_WORKFLOWS } from '../../workflows';
import { caseIdOpenerProblem, withoutIdNumbers } from './case-ownership';

const { knownEventTypes, opensCase } = NODE_WORKFLOWS;

describe('case ids bound to their opener', () => {
  it.each([
    ['SUB-510104-2026-000123', '510104', null, true],
    ['SUB-510104-2026-000123', '510100', null, true],
    ['SUB-510104-2026-000123-run1', '510104', null, true],
    ['SUB-510104-2026-000123', '512021', null, false],
    ['SUB-510100-2026-000123', '510104', null, false],
    ['SUB-512021-2026-000001', '510104', null, false],
    ['BENCH-abc-1', '510104', null, false],
    ['MAR-CQHTZ-2026-000045', '500107', 'CQ-HTZ', true],
    ['MAR-500107-2026-000045', '500107', 'CQ-HTZ', false],
    ['MAR-CQHTZ-2026-000045', '500107', null, false],
  ])('%s opened by %s (office %s): allowed %s', (caseId, source, office, allowed) => {
    expect(caseIdOpenerProblem(caseId, source, office) === undefined).toBe(allowed);
  });

  it('knows which events open a case', () => {
    expect(
      ['SubsidyApplicationSubmitted', 'EconomicCheckRequested', 'DeathRegistered', 'MarriageRegistrationRequested', 'DivorceApplicationFiled'].every(opensCase),
    ).toBe(true);
    expect(['SubsidyApproved', 'CaseEventRejected', 'RemainsTransportRequested', 'Nope'].some(opensCase)).toBe(false);
    // The gateway refuses foreign case ids early from its own list: it must be the state machines' list.
    expect(knownEventTypes().filter(opensCase).sort()).toEqual([...CASE_OPENING_EVENTS].sort());
  });

  it('leaves ID and certificate numbers out of refusal texts', () => {
    expect(withoutIdNumbers('the certificate 50011119680417002241 does not match 50011119680417002X')).toBe(
      'the certificate [ID number withheld] does not match [ID number withheld]',
    );
    expect(withoutIdNumbers('due at 2026-11-02T09:30:00Z in case SUB-510104-2026-000123')).toBe('due at 2026-11-02T09:30:00Z in case SUB-510104-2026-000123');
  });
});
