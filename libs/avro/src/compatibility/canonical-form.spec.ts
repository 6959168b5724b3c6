import { canonicalForm, normalizedForm, sha256Fingerprint } from './canonical-form';
import { InvalidSchemaError, parseSchema } from './avro-schema';

// Inputs and canonical forms from the Avro specification's shared test data (share/test/data/schema-tests.txt).
const SPEC_CASES: Array<[input: string, canonical: string]> = [
  ['"null"', '"null"'],
  ['{"type":"null"}', '"null"'],
  ['{"type":"boolean"}', '"boolean"'],
  ['{"type":"string"}', '"string"'],
  ['[  ]', '[]'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]'],
  ['{"fields":[], "type":"record", "name":"foo"}', '{"name":"foo","type":"record","fields":[]}'],
  ['{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', '{"name":"x.y.foo","type":"record","fields":[]}'],
  ['{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', '{"name":"a.b.foo","type":"record","fields":[]}'],
  ['{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}', '{"name":"foo","type":"record","fields":[]}'],
  [
    '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
  ],
  [
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
  ],
  ['{"type":"enum", "name":"foo", "symbols":["A1"]}', '{"name":"foo","type":"enum","symbols":["A1"]}'],
  ['{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}', '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}'],
  ['{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}', '{"name":"x.y.z.foo","type":"fixed","size":32}'],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}'],
  [
    '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
  ],
];

describe('Parsing Canonical Form', () => {
  it.each(SPEC_CASES)('%s', (input, canonical) => {
    expect(canonicalForm(input)).toBe(canonical);
  });

  it('writes nested names and references in full, from the enclosing namespace', () => {
    const schema = {
      type: 'record',
      name: 'Case',
      namespace: 'cn.tongban.subsidy.v1',
      fields: [
        { name: 'grade', type: { type: 'enum', name: 'Grade', symbols: ['A'] } },
        { name: 'previous', type: ['null', 'Grade'], default: null },
        { name: 'who', type: { type: 'record', name: 'cn.tongban.common.v1.PersonRef', fields: [{ name: 'g', type: 'cn.tongban.subsidy.v1.Grade' }] } },
      ],
    };
    expect(canonicalForm(schema)).toBe(
      '{"name":"cn.tongban.subsidy.v1.Case","type":"record","fields":[' +
        '{"name":"grade","type":{"name":"cn.tongban.subsidy.v1.Grade","type":"enum","symbols":["A"]}},' +
        '{"name":"previous","type":["null","cn.tongban.subsidy.v1.Grade"]},' +
        '{"name":"who","type":{"name":"cn.tongban.common.v1.PersonRef","type":"record","fields":[{"name":"g","type":"cn.tongban.subsidy.v1.Grade"}]}}]}',
    );
  });

  it('reduces a logical type to its underlying primitive', () => {
    expect(canonicalForm({ type: 'long', logicalType: 'timestamp-millis' })).toBe('"long"');
  });

  it('is the same for schemas that differ only in layout, attribute order and namespace style', () => {
    const a = '{"type": "record", "namespace": "x", "name": "R", "fields": [{"name": "f", "type": "int", "doc": "d"}]}';
    const b = '{"name":"x.R","fields":[{"type":{"type":"int"},"name":"f"}],"type":"record"}';
    expect(canonicalForm(a)).toBe(canonicalForm(b));
  });
});

describe('normalized form (registry identity)', () => {
  const base = { type: 'record', name: 'R', namespace: 'x', fields: [{ name: 'f', type: 'int' }] };

  it('ignores layout and attribute order like the canonical form', () => {
    const a = JSON.stringify(base, null, 2);
    const b = '{"fields":[{"type":"int","name":"f"}],"name":"x.R","type":"record"}';
    expect(normalizedForm(a)).toBe(normalizedForm(b));
    expect(sha256Fingerprint(normalizedForm(a))).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['a field default', { ...base, fields: [{ name: 'f', type: 'int', default: 1 }] }],
    ['a logical type', { ...base, fields: [{ name: 'f', type: { type: 'int', logicalType: 'date' } }] }],
    ['a decimal scale', { ...base, fields: [{ name: 'f', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 1 } }] }],
    ['an alias', { ...base, aliases: ['Old'] }],
    ['a doc', { ...base, doc: 'text' }],
  ])('tells apart schemas whose canonical forms are equal but which differ in %s', (_what, other) => {
    const decimal = { ...base, fields: [{ name: 'f', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } }] };
    const reference = _what === 'a decimal scale' ? decimal : base;
    expect(canonicalForm(other)).toBe(canonicalForm(reference));
    expect(normalizedForm(other)).not.toBe(normalizedForm(reference));
  });

  it('qualifies aliases with the type namespace', () => {
    expect(normalizedForm({ ...base, aliases: ['Old'] })).toContain('"aliases":["x.Old"]');
  });
});

describe('schema parsing', () => {
  it('refuses a reference to an undefined type', () => {
    expect(() => parseSchema({ type: 'record', name: 'R', fields: [{ name: 'f', type: 'Missing' }] })).toThrow(InvalidSchemaError);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseSchema('{"type":')).toThrow('schema is not valid JSON');
  });
});
