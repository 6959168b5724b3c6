import { RegistryApiError } from './registry-errors';
import { readSubmittedSchema } from './submitted-schema';
import { parseVersionRef } from './version-ref';

const record = {
  type: 'record',
  name: 'Case',
  namespace: 'cn.tongban.test.v1',
  fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } }],
};

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof RegistryApiError ? e.errorCode : undefined;
  }
  return undefined;
}

describe('a submitted schema', () => {
  it('is identified alike whatever its layout and namespace style', () => {
    const a = readSubmittedSchema({ schema: JSON.stringify(record, null, 2) });
    const b = readSubmittedSchema({
      schema: JSON.stringify({ fields: record.fields, name: 'cn.tongban.test.v1.Case', type: 'record' }),
      schemaType: 'AVRO',
    });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.text).toBe(JSON.stringify(record));
  });

  it('differs when only a decimal scale differs', () => {
    const other = { ...record, fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 } }] };
    expect(readSubmittedSchema({ schema: JSON.stringify(other) }).fingerprint).not.toBe(readSubmittedSchema({ schema: JSON.stringify(record) }).fingerprint);
  });

  it.each([
    ['no body', undefined],
    ['no schema', { schemaType: 'AVRO' }],
    ['an empty schema', { schema: ' ' }],
    ['text that is not JSON', { schema: '{"type":' }],
    ['a JSON Schema', { schema: '{"type":"object"}', schemaType: 'JSON' }],
    ['a Protobuf schema', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }],
    ['references', { schema: '"string"', references: [{ name: 'x', subject: 'x', version: 1 }] }],
    ['an undefined type', { schema: '{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}' }],
    ['a bad default', { schema: '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}' }],
  ])('is refused with 42201 for %s', (_what, body) => {
    expect(codeOf(() => readSubmittedSchema(body))).toBe(42201);
  });
});

describe('a version in a path', () => {
  it.each([
    ['1', 1],
    ['latest', 'latest'],
    ['-1', 'latest'],
    ['2147483647', 2147483647],
  ])('reads %s', (raw, expected) => expect(parseVersionRef(raw)).toBe(expected));

  it.each(['0', '-2', 'first', '2147483648', '1.5', ''])('refuses %j with 42202', (raw) => {
    expect(codeOf(() => parseVersionRef(raw))).toBe(42202);
  });
});
