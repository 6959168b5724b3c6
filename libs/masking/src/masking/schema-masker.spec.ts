import { join } from 'node:path';
import { SchemaCatalogue } from '@tongban/avro';
import { collectPii, maskBySchema } from './schema-masker';

const catalogue = new SchemaCatalogue(join(__dirname, '../../../../contracts/avro'));

const person = {
  type: 'record',
  name: 'cn.test.Person',
  fields: [
    { name: 'idNumber', type: 'string', pii: 'id-number' },
    { name: 'name', type: 'string', pii: 'name' },
    { name: 'division', type: 'string' },
  ],
};
const schema = {
  type: 'record',
  name: 'cn.test.Sample',
  fields: [
    { name: 'applicant', type: person },
    { name: 'agent', type: ['null', 'cn.test.Person'], default: null },
    { name: 'members', type: { type: 'array', items: 'cn.test.Person' } },
    { name: 'phones', type: { type: 'map', values: 'string' }, pii: 'phone' },
    { name: 'incomes', type: { type: 'array', items: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } }, pii: 'income' },
    { name: 'either', type: ['null', 'string', 'cn.test.Person'], default: null },
    { name: 'note', type: ['null', 'string'], default: null, pii: 'free-text' },
    { name: 'reference', type: 'string' },
  ],
};
const li = { idNumber: '500111196804170022', name: '李秀英', division: '500111' };
const zhang = { idNumber: '510104199001011234', name: '张三', division: '510104' };

describe('maskBySchema', () => {
  it.each([
    ['a nested record', { applicant: li }, { applicant: { idNumber: '500111********0022', name: '李*', division: '500111' } }],
    ['a null union', { agent: null }, { agent: null }],
    ['a union holding a record', { agent: zhang }, { agent: { idNumber: '510104********1234', name: '张*', division: '510104' } }],
    ['an array of records', { members: [li, zhang] }, { members: [expect.objectContaining({ name: '李*' }), expect.objectContaining({ name: '张*' })] }],
    ['a map under a marked field', { phones: { home: '13812341234' } }, { phones: { home: '138****1234' } }],
    ['an array of decimals under a marked field', { incomes: ['1200.00', '80.50'] }, { incomes: ['***', '***'] }],
    [
      'a wrapped union branch',
      { either: { 'cn.test.Person': zhang } },
      { either: { 'cn.test.Person': expect.objectContaining({ idNumber: '510104********1234' }) } },
    ],
    ['an unwrapped string branch', { either: 'plain' }, { either: 'plain' }],
    ['a marked optional string', { note: '家中有困难', reference: 'REF-1' }, { note: '***', reference: 'REF-1' }],
    ['a field the schema does not know', { extra: '500111196804170022' }, { extra: '500111196804170022' }],
  ])('masks %s', (_what, value, expected) => {
    expect(maskBySchema(schema, value)).toEqual(expected);
  });

  it('leaves the input unchanged', () => {
    const value = { applicant: { ...li } };
    maskBySchema(schema, value);
    expect(value.applicant.name).toBe('李秀英');
  });

  it('masks a contract event by its own markings and keeps routing facts', () => {
    const event = catalogue.event('SubsidyApplicationSubmitted')!;
    const value = {
      envelope: { eventId: '6f1c1d1e-0000-4000-8000-000000000001', caseId: 'SUB-1', sourceRegion: '510104', targetRegion: '500111' },
      applicant: { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' },
      certificateNumber: '50011119680417002241',
      disabilityCategory: 'PHYSICAL',
      disabilityGrade: 'GRADE_1',
      subsidyTypes: ['LIVING', 'NURSING'],
      hardshipStatus: 'MINIMUM_LIVING_ALLOWANCE',
      residence: { division: '510104', detail: '锦江区春熙路 88 号 3 栋 2 单元 501' },
      contactPhone: '13812341234',
      agent: null,
      consentRef: 'CONSENT-1',
    };
    expect(maskBySchema(event.schema, value)).toEqual({
      ...value,
      applicant: { idNumber: '500111********0022', name: '李*', hukouDivision: '500111' },
      certificateNumber: '***',
      disabilityCategory: '***',
      disabilityGrade: '***',
      hardshipStatus: '***',
      residence: { division: '510104', detail: '锦江区***' },
      contactPhone: '138****1234',
    });
  });

  it('lists every personal value with its path and kind', () => {
    const found = collectPii(schema, { applicant: li, members: [zhang], reference: 'R' });
    expect(found).toEqual([
      { path: 'applicant.idNumber', kind: 'id-number', value: '500111196804170022' },
      { path: 'applicant.name', kind: 'name', value: '李秀英' },
      { path: 'members[0].idNumber', kind: 'id-number', value: '510104199001011234' },
      { path: 'members[0].name', kind: 'name', value: '张三' },
    ]);
  });

  it('finds a marking on every personal field of every contract', () => {
    for (const event of catalogue.allEvents()) expect(() => maskBySchema(event.schema, {})).not.toThrow();
  });
});
