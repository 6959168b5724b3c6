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

describe('decimals written under another precision or scale', () => {
  const money = (type: object) => ({ type: 'record', name: 'Payment', fields: [{ name: 'amount', type }] }) as avro.Schema;
  const decimal = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });
  const read = (readerType: object, writerType: object, amount: unknown) => {
    const reader = avro.Type.forSchema(money(readerType), avroOptions());
    const writer = avro.Type.forSchema(money(writerType), avroOptions());
    return reader.fromBuffer(writer.toBuffer({ amount }), reader.createResolver(writer), true);
  };

  it.each([
    ['a wider precision reading a narrower one', decimal(14, 2), decimal(12, 2), '9999999999.99', '9999999999.99'],
    ['a narrower precision reading a wider one', decimal(12, 2), decimal(14, 2), '-123456789012.34', '-123456789012.34'],
    ['a larger scale reading a smaller one', decimal(12, 3), decimal(12, 2), '1234.50', '1234.500'],
    ['a smaller scale reading a larger one keeps every digit', decimal(12, 1), decimal(12, 3), '12.345', '12.345'],
  ])('%s keeps the amount the writer wrote', (_case, readerType, writerType, written, readBack) => {
    expect(read(readerType, writerType, written)).toEqual({ amount: readBack });
  });

  it('reads plain bytes under the reader scale', () => {
    expect(read(decimal(12, 2), { type: 'bytes' }, Buffer.from([0x30, 0x39]))).toEqual({ amount: '123.45' });
  });
});
