import { correctedRecord, envelopeProblems } from './edit-rules';

const original = {
  envelope: { eventId: 'e-1', eventType: 'SubsidyApplicationSubmitted', caseId: 'CASE-1', sourceRegion: '510100', targetRegion: '500111' },
  applicant: { idNumber: '500111196804170023' },
};

describe('envelopeProblems', () => {
  it.each([
    ['no envelope given', { applicant: { idNumber: 'x' } }, undefined, []],
    ['the same envelope', { envelope: { ...original.envelope }, applicant: {} }, 'SubsidyApplicationSubmitted', []],
    ['another case', { envelope: { ...original.envelope, caseId: 'CASE-2' } }, undefined, ['envelope.caseId']],
    [
      'another target region and event id',
      { envelope: { ...original.envelope, targetRegion: '510100', eventId: 'e-2' } },
      undefined,
      ['envelope.eventId', 'envelope.targetRegion'],
    ],
    ['an added envelope field', { envelope: { ...original.envelope, producer: 'me' } }, undefined, ['envelope.producer']],
    ['another declared event type', {}, 'DeathRegistered', ['eventType']],
    ['a field left out (an editor of an older envelope)', { envelope: { eventId: 'e-1', caseId: 'CASE-1' } }, undefined, []],
    ['a field left out and another changed', { envelope: { eventId: 'e-1', targetRegion: '510100' } }, undefined, ['envelope.targetRegion']],
  ])('%s', (_name, edited, declared, paths) => {
    expect(envelopeProblems(original, edited, 'SubsidyApplicationSubmitted', declared).map((p) => p.path)).toEqual(paths);
  });
});

describe('correctedRecord', () => {
  it('keeps the original envelope and takes the edited payload', () => {
    const edited = { envelope: { caseId: 'CASE-2' }, applicant: { idNumber: '500111196804170022' } };
    expect(correctedRecord(original, edited)).toEqual({ envelope: original.envelope, applicant: { idNumber: '500111196804170022' } });
  });
});
