import { join } from 'node:path';
import * as avro from 'avsc';
import { contractsDir } from '@tongban/config';
import { avroOptions } from '../schema/logical-types';
import { SchemaCatalogue } from '../schema/schema-catalogue';
import { AvroCodec } from './avro-codec';
import type { SchemaRegistryClient } from './registry-client';
import { frame } from './wire-format';

/** A writer that evolved the contract the way Java Avro allows: wider money, the envelope moved to v2. */
function evolvedWriter(schema: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(schema) as { fields: Array<{ name: string; type: Record<string, unknown> }> };
  copy.fields.find((f) => f.name === 'totalAmount')!.type.precision = 14;
  copy.fields.find((f) => f.name === 'envelope')!.type.namespace = 'cn.tongban.common.v2';
  return copy;
}

describe('AvroCodec reading a writer the registry accepted under Java Avro rules', () => {
  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const event = catalogue.event('FuneralSubsidyGranted')!;
  const writerSchema = evolvedWriter(event.schema as Record<string, unknown>);
  // A registry that knows one schema: the evolved writer, under id 77.
  const registry = { schemaById: async (id: number) => (id === 77 ? JSON.stringify(writerSchema) : Promise.reject(new Error('unknown'))) };
  const codec = new AvroCodec(catalogue, registry as unknown as SchemaRegistryClient, false);

  it('decodes the record with the reader schema, keeping the amount as written', async () => {
    const envelope = {
      eventId: '3f0c1a52-7d1e-4a4b-9a55-0d2b6c1e9f10',
      eventType: 'FuneralSubsidyGranted',
      caseId: 'FUN-510104-2026-000007',
    };
    const writer = avro.Type.forSchema(writerSchema as avro.Schema, avroOptions());
    const sample = writer.random() as unknown as Record<string, unknown>;
    const value = { ...sample, envelope: { ...(sample.envelope as object), ...envelope }, granted: [], paidOn: null, totalAmount: '123456789012.50' };
    const decoded = await codec.decode(frame(77, writer.toBuffer(value)));
    expect(decoded.eventType).toBe('FuneralSubsidyGranted');
    expect(decoded.value).toMatchObject({ totalAmount: '123456789012.50', envelope });
  });
});

describe('AvroCodec with service records', () => {
  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const fullName = 'cn.tongban.audit.v1.AuditChainHeads';
  const event = catalogue.event('FuneralSubsidyGranted')!;
  const registered = new Map<number, string>([
    [82, JSON.stringify(catalogue.serviceRecord(fullName)!.schema)],
    [5, JSON.stringify(event.schema)],
  ]);
  const registry = {
    register: async (subject: string) => (subject === fullName ? 82 : 5),
    schemaById: async (id: number) => registered.get(id) ?? Promise.reject(new Error('unknown')),
  };
  const codec = new AvroCodec(catalogue, registry as unknown as SchemaRegistryClient, true);
  const value = {
    kind: 'REPORTED',
    owner: '510000',
    sender: '510000',
    sentAt: '2026-11-30T01:00:00.000Z',
    heads: [{ database: 'tongban_ops', chain: 'ops', length: 12, headHash: 'a'.repeat(64), headAt: '2026-11-30T00:59:00.000Z', witnessedAt: null }],
  };

  it('encodes and decodes a record by its full name, under its registered id', async () => {
    const bytes = await codec.encodeRecord(fullName, value);
    expect(bytes.readInt32BE(1)).toBe(82);
    expect((await codec.decodeRecord(fullName, bytes)).value).toEqual(value);
  });

  it('refuses an event where a service record is expected, and an unknown record name', async () => {
    // The writer schema is refused by name before its body is read.
    const eventBytes = frame(5, Buffer.from([0]));
    await expect(codec.decodeRecord(fullName, eventBytes)).rejects.toThrow(/writes cn\.tongban\.funeral\.v1\.FuneralSubsidyGranted, not cn\.tongban\.audit/);
    await expect(codec.encodeRecord('cn.tongban.audit.v1.Nope', value)).rejects.toThrow(/unknown service record/);
  });
});
