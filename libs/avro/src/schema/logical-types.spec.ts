import * as avro from 'avsc';
import { avroOptions } from './logical-types';

describe('logical types read through a resolver', () => {
  const schema = {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'd', type: { type: 'int', logicalType: 'date' } },
      { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'm', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    ],
  } as avro.Schema;

  it('keeps dates, timestamps and decimals a writer of the same schema wrote', () => {
    const reader = avro.Type.forSchema(schema, avroOptions());
    const writer = avro.Type.forSchema(schema, avroOptions());
    const value = { d: '1941-09-03', t: '2026-11-18T10:00:00.000Z', m: '1234.50' };
    expect(reader.fromBuffer(writer.toBuffer(value), reader.createResolver(writer), true)).toEqual(value);
  });
});
