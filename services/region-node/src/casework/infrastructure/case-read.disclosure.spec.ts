import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaCatalogue } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { Minimiser, minimisationPolicyPath, readMinimisationPolicy } from '@tongban/masking';
import { personsInRead } from './case-read.disclosure';

const minimiser = new Minimiser(new SchemaCatalogue(join(contractsDir(), 'avro')), readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
const exampleOf = (eventType: string) =>
  JSON.parse(readFileSync(join(contractsDir(), 'examples', `${eventType}.json`), 'utf8')) as { eventType: string; payload: Record<string, unknown> };

describe('personsInRead', () => {
  it('attributes the fields of every event in the answer to the person they describe, named after their event type', () => {
    const submitted = exampleOf('SubsidyApplicationSubmitted');
    const persons = personsInRead(minimiser, [submitted]);
    expect(persons).toHaveLength(1);
    expect(persons[0].idNumber).toBe('500111196804170022');
    expect(persons[0].fields).toEqual(
      expect.arrayContaining([
        'SubsidyApplicationSubmitted.applicant.idNumber',
        'SubsidyApplicationSubmitted.applicant.name',
        'SubsidyApplicationSubmitted.contactPhone',
      ]),
    );
  });

  it('merges one person across events and keeps the others apart, in order of appearance', () => {
    const fake = {
      personalData: (eventType: string) =>
        eventType === 'A'
          ? [
              { idNumber: '1', fields: ['x'] },
              { idNumber: '2', fields: ['y'] },
            ]
          : [{ idNumber: '1', fields: ['x', 'z'] }],
    };
    expect(
      personsInRead(fake, [
        { eventType: 'A', payload: {} },
        { eventType: 'B', payload: {} },
      ]),
    ).toEqual([
      { idNumber: '1', fields: ['A.x', 'B.x', 'B.z'] },
      { idNumber: '2', fields: ['A.y'] },
    ]);
  });

  it('is empty when no event carries a personal field, and counts an event type the policy does not know as unattributed', () => {
    expect(personsInRead({ personalData: () => [] }, [{ eventType: 'A', payload: {} }])).toEqual([]);
    expect(personsInRead(minimiser, [])).toEqual([]);
    expect(personsInRead(minimiser, [{ eventType: 'NoSuchEvent', payload: { name: 'x' } }])).toEqual([{ idNumber: null, fields: ['NoSuchEvent.*'] }]);
  });

  it('counts nothing for a payload the retention purge emptied', () => {
    expect(personsInRead(minimiser, [{ eventType: 'SubsidyApplicationSubmitted', payload: null }])).toEqual([]);
  });
});
