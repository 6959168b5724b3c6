import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaCatalogue } from '@tongban/avro';
import { minimisationPolicyPath, readMinimisationPolicy, RECIPIENT_ROLES } from './minimisation-policy';
import { Minimiser } from './minimiser';

const contracts = join(__dirname, '../../../../contracts');
const catalogue = new SchemaCatalogue(join(contracts, 'avro'));
const policy = readMinimisationPolicy(minimisationPolicyPath(contracts));
const minimiser = new Minimiser(catalogue, policy);
const examples = readdirSync(join(contracts, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(contracts, 'examples', f), 'utf8')) as { eventType: string; payload: Record<string, unknown> });

const envelope = (eventType: string) => ({
  eventId: '5d0e2d1c-5a7e-4d8e-9a39-1c1f2a3b4c5d',
  eventType,
  caseId: 'CASE-1',
  sourceRegion: '510104',
  targetRegion: '500111',
  sourceOffice: null,
  occurredAt: '2026-11-10T02:00:00.000Z',
  correlationId: 'c-1',
  causationId: null,
  producer: 'test',
  schemaVersion: 1,
});

describe('the minimisation policy', () => {
  it('covers every event type and role of the contracts', () => {
    expect(Object.keys(policy.events).sort()).toEqual(catalogue.eventTypes());
  });

  it.each(examples.flatMap((e) => RECIPIENT_ROLES.map((role) => [e.eventType, role, e] as const)))(
    'leaves %s for the %s a record valid for its schema',
    (eventType, role, example) => {
      const { value } = minimiser.minimise(eventType, role, example.payload);
      const schema = catalogue.event(eventType)!;
      const record = { envelope: envelope(eventType), ...value };
      expect(
        schema.type.isValid(record, {
          errorHook: (path) => {
            throw new Error(`invalid at ${path.join('.')}`);
          },
        }),
      ).toBe(true);
    },
  );

  it('withholds the cause of death and the informant’s ID from the hukou region', () => {
    const example = examples.find((e) => e.eventType === 'DeathRegistered')!;
    const payload = {
      ...example.payload,
      causeOfDeath: 'heart failure',
      informant: { ...(example.payload.informant as object), idNumber: '500111196804170022' },
    };
    const { value, withheld } = minimiser.minimise('DeathRegistered', 'addressee', payload);
    expect(value.causeOfDeath).toBeNull();
    expect((value.informant as Record<string, unknown>).idNumber).toBeNull();
    expect((value.informant as Record<string, unknown>).name).toBe((example.payload.informant as Record<string, unknown>).name);
    expect(withheld.sort()).toEqual(['causeOfDeath', 'informant.idNumber']);
    expect(minimiser.minimise('DeathRegistered', 'origin', payload).value.causeOfDeath).toBe('heart failure');
  });

  it('redacts a withheld required string with the documented value', () => {
    const example = examples.find((e) => e.eventType === 'SubsidyApplicationSubmitted')!;
    const { value, withheld } = minimiser.minimise('SubsidyApplicationSubmitted', 'webhook', example.payload);
    expect(value.contactPhone).toBe('[withheld]');
    expect((value.residence as Record<string, unknown>).detail).toBe('[withheld]');
    expect(withheld.sort()).toEqual(['contactPhone', 'residence.detail']);
  });

  it('attributes disclosed personal fields to the person they describe', () => {
    const example = examples.find((e) => e.eventType === 'EconomicCheckRequested')!;
    const found = minimiser.personalData('EconomicCheckRequested', example.payload);
    expect(found).toEqual([
      { idNumber: '51010419850630005X', fields: ['members.person.idNumber', 'members.person.name'] },
      { idNumber: '500111196001150028', fields: ['members.person.idNumber', 'members.person.name'] },
    ]);
    const subsidy = examples.find((e) => e.eventType === 'SubsidyApplicationSubmitted')!;
    const [applicant] = minimiser.personalData('SubsidyApplicationSubmitted', subsidy.payload);
    expect(applicant.idNumber).toBe('500111196804170022');
    expect(applicant.fields).toEqual(expect.arrayContaining(['applicant.name', 'certificateNumber', 'contactPhone', 'residence.detail']));
  });

  it('refuses a policy that withholds a required field it cannot blank', () => {
    const broken = JSON.parse(JSON.stringify(policy));
    broken.events.DeathRegistered.addressee = broken.events.DeathRegistered.addressee.filter((p: string) => p !== 'deathDate');
    expect(() => new Minimiser(catalogue, broken)).toThrow(/"deathDate" is withheld but is required/);
    broken.events.SubsidyApproved.addressee = ['grants', 'firstPaymentMonth', 'decisionRef', 'nope'];
    expect(() => new Minimiser(catalogue, broken)).toThrow(/"nope" is not a field/);
  });
});

describe('personal data of a minimised record', () => {
  it('does not attribute fields of a person whose ID was withheld to anyone else', () => {
    const example = examples.find((e) => e.eventType === 'DeathRegistered')!;
    const { value } = minimiser.minimise('DeathRegistered', 'addressee', example.payload);
    const found = minimiser.personalData('DeathRegistered', value);
    expect(found).toEqual([
      { idNumber: '500111194109030045', fields: ['birthDate', 'deceased.idNumber', 'deceased.name', 'placeOfDeath.detail'] },
      { idNumber: null, fields: ['informant.name', 'informant.phone'] },
    ]);
  });
});
