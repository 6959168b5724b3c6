import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as avro from 'avsc';
import { SchemaCatalogue } from './schema-catalogue';
import { avroOptions } from './logical-types';

const root = join(__dirname, '../../../../contracts/avro');

describe('schema catalogue', () => {
  const catalogue = new SchemaCatalogue(root);

  it('finds events by the envelope field and names them by workflow', () => {
    const event = catalogue.event('SubsidyApplicationSubmitted');
    expect(event).toMatchObject({ fullName: 'cn.tongban.subsidy.v1.SubsidyApplicationSubmitted', workflow: 'subsidy', major: 1 });
  });

  it('keeps service records (cn.tongban.audit) apart from the case events, and releases both', () => {
    const record = catalogue.serviceRecord('cn.tongban.audit.v1.AuditChainHeads');
    expect(record).toMatchObject({ name: 'AuditChainHeads', area: 'audit', major: 1 });
    expect(catalogue.eventTypes()).not.toContain('AuditChainHeads');
    expect(catalogue.eventByFullName('cn.tongban.audit.v1.AuditChainHeads')).toBeUndefined();
    const released = catalogue.releasable().map((r) => r.fullName);
    expect(released).toContain('cn.tongban.audit.v1.AuditChainHeads');
    expect(released).toHaveLength(catalogue.eventTypes().length + catalogue.serviceRecords().length);
  });

  it('inlines shared named types once, so the schema stands alone', () => {
    const schema = catalogue.event('SubsidyApplicationSubmitted')!.schema;
    const text = JSON.stringify(schema);
    expect(text.match(/"name":"cn.tongban.common.v1.PersonRef"/g)).toHaveLength(1);
    // A standalone parse (no catalogue) must succeed.
    expect(() => avro.Type.forSchema(JSON.parse(text), avroOptions())).not.toThrow();
  });

  it('round-trips the example with dates, timestamps and unions', () => {
    const example = JSON.parse(readFileSync(join(root, '../examples/SubsidyApplicationSubmitted.json'), 'utf8'));
    const type = catalogue.event('SubsidyApplicationSubmitted')!.type;
    const value = {
      envelope: {
        eventId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
        eventType: example.eventType,
        caseId: example.caseId,
        sourceRegion: example.sourceRegion,
        targetRegion: example.targetRegion,
        sourceOffice: null,
        occurredAt: example.occurredAt,
        correlationId: 'c-1',
        causationId: null,
        producer: 'test',
        schemaVersion: 1,
        targetOffice: null,
      },
      ...example.payload,
    };
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });
});

describe('logical types', () => {
  const type = avro.Type.forSchema(
    {
      type: 'record',
      name: 'T',
      fields: [
        { name: 'd', type: { type: 'int', logicalType: 'date' } },
        { name: 'm', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
        { name: 'o', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }], default: null },
      ],
    } as avro.Schema,
    avroOptions(),
  );

  it('reads a writer of the same logical types through a resolver (another copy of the schema)', () => {
    const writer = avro.Type.forSchema(JSON.parse(JSON.stringify(type.schema({ exportAttrs: true }))), avroOptions());
    const resolver = type.createResolver(writer);
    const value = { d: '2026-11-25', m: '1234.50', o: '-0.01' };
    expect(type.fromBuffer(writer.toBuffer(value), resolver)).toEqual(value);
  });

  it.each(['0.00', '1234.50', '-0.01', '-128.00', '9999999999.99', '0.5'])('keeps money %s exact', (money) => {
    const back = type.fromBuffer(type.toBuffer({ d: '2026-11-25', m: money, o: money }));
    const expected = money.includes('.') && money.split('.')[1].length === 1 ? `${money}0` : money;
    expect(back).toEqual({ d: '2026-11-25', m: expected, o: expected });
  });

  it.each([
    [{ d: '2026-02-30', m: '1.00', o: null }, 'd'],
    [{ d: '2026-11-25', m: '1.005', o: null }, 'm'],
    [{ d: '2026-11-25', m: 1.5, o: null }, 'm'],
  ])('refuses %j at %s', (value, path) => {
    const paths: string[] = [];
    expect(type.isValid(value, { errorHook: (p: string[]) => paths.push(p.join('.')) })).toBe(false);
    expect(paths).toContain(path);
  });
});
