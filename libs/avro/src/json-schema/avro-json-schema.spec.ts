import { contractsDir } from '@tongban/config';
import { SchemaCatalogue } from '../schema/schema-catalogue';
import { AvroJsonSchemas } from './avro-json-schema';

describe('AvroJsonSchemas', () => {
  const catalogue = new SchemaCatalogue(`${contractsDir()}/avro`);

  it('defines a shared named type by full name and answers its $ref', () => {
    const json = new AvroJsonSchemas(catalogue);
    expect(json.schemaOf('cn.tongban.common.v1.Envelope')).toEqual({ $ref: '#/components/schemas/Envelope' });
    expect(json.schemas.Envelope).toMatchObject({ type: 'object', properties: { eventId: { format: 'uuid' } } });
    expect(() => json.schemaOf('cn.tongban.common.v1.Nothing')).toThrow(/no Avro type named/);
  });

  it('lists the office ids it is given for an office-id string, and only describes one without them', () => {
    const withIds = new AvroJsonSchemas(catalogue, { officeIds: ['CQ-HTZ'], refPrefix: '#/defs/' });
    withIds.schemaOf('cn.tongban.common.v1.Envelope');
    const office = (withIds.schemas.Envelope.properties as Record<string, { anyOf: unknown[] }>).sourceOffice.anyOf;
    expect(office).toContainEqual(expect.objectContaining({ format: 'office-id', enum: ['CQ-HTZ'] }));
    const without = new AvroJsonSchemas(catalogue);
    without.schemaOf('cn.tongban.common.v1.Envelope');
    const described = (without.schemas.Envelope.properties as Record<string, { anyOf: Array<Record<string, unknown>> }>).sourceOffice.anyOf;
    expect(described.find((b) => b.format === 'office-id')).not.toHaveProperty('enum');
    expect(withIds.payloadOf('SubsidyApproved')).toEqual({ $ref: '#/defs/SubsidyApprovedPayload' });
  });
});
