import { authorisationProblems } from './authorisation-rules';

describe('authorisationProblems', () => {
  it.each([
    ['EconomicCheckRequested', { authorisationRef: 'AUTH-2026-001' }, 'payload', []],
    ['EconomicCheckRequested', { authorisationRef: '  ' }, 'payload', ['payload.authorisationRef']],
    ['EconomicCheckRequested', { authorisationRef: 'ab' }, '', ['authorisationRef']],
    ['SubsidyApplicationSubmitted', { consentRef: '同意书' }, 'payload', ['payload.consentRef']],
    ['SubsidyApplicationSubmitted', { consentRef: 'CONSENT-1' }, '', []],
    // Absent or of another type: the schema check names it, not this rule.
    ['SubsidyApplicationSubmitted', {}, 'payload', []],
    ['SubsidyApplicationSubmitted', { consentRef: 12 }, 'payload', []],
    ['DeathRegistered', { consentRef: '' }, 'payload', []],
  ])('%s %j under "%s" → %j', (eventType, payload, prefix, paths) => {
    expect(authorisationProblems(eventType, payload as Record<string, unknown>, prefix).map((p) => p.path)).toEqual(paths);
  });
});
