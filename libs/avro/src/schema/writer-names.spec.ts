import * as avro from 'avsc';
import { avroOptions } from './logical-types';
import { withWriterNames } from './writer-names';

describe('reading a writer whose nested record moved to another namespace', () => {
  const event = (personNamespace: string) => ({
    type: 'record',
    name: 'DeathRegistered',
    namespace: 'cn.tongban.funeral.v1',
    fields: [{ name: 'deceased', type: { type: 'record', name: 'PersonRef', namespace: personNamespace, fields: [{ name: 'name', type: 'string' }] } }],
  });

  it('cannot be resolved by avsc on full names alone', () => {
    const reader = avro.Type.forSchema(event('cn.tongban.common.v2') as avro.Schema, avroOptions());
    const writer = avro.Type.forSchema(event('cn.tongban.common.v1') as avro.Schema, avroOptions());
    expect(() => reader.createResolver(writer)).toThrow(/alias/);
  });

  it('resolves once the reader also answers to the writer names, and reads the value', () => {
    const writer = avro.Type.forSchema(event('cn.tongban.common.v1') as avro.Schema, avroOptions());
    const bridged = withWriterNames(event('cn.tongban.common.v2'), event('cn.tongban.common.v1'));
    const reader = avro.Type.forSchema(bridged as avro.Schema, avroOptions());
    const bytes = writer.toBuffer({ deceased: { name: '王建国' } });
    expect(reader.fromBuffer(bytes, reader.createResolver(writer), true)).toEqual({ deceased: { name: '王建国' } });
    expect(reader.name).toBe('cn.tongban.funeral.v1.DeathRegistered');
  });

  it('leaves a reader whose names already match as it was', () => {
    const schema = event('cn.tongban.common.v1');
    expect(withWriterNames(schema, schema)).toEqual(schema);
  });
});
