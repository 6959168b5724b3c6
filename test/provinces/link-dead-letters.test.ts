import { join } from 'node:path';
import * as avro from 'avsc';
import { Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient, frame, readSchemaIdManifest } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { ARRIVAL_HEADERS, eventSource, FAILURE_HEADERS, HEADERS, headerText, ServerTongbanKafka } from '@tongban/kafka';
import { JsonLogger } from '@tongban/observability';
import { developmentRegistryAuth, startTestRegistry } from '../support/test-registry';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { admin, ensureProvinces, grantMirror, infra, Province, SIDE } from './province-stack';

interface Seen {
  value: Buffer | null;
  headers: IHeaders;
  partition: number;
}

/** Everything that arrives in one topic of one province. */
async function collect(kafka: Kafka, topic: string, group: string): Promise<{ records: Seen[]; stop(): Promise<void> }> {
  const records: Seen[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void records.push({ value: message.value, headers: message.headers ?? {}, partition }) });
  return { records, stop: () => consumer.disconnect() };
}

/**
 * A record Sichuan writes for Chongqing crosses MirrorMaker 2 and reaches Chongqing's node, which reads it with
 * Chongqing's registry. One that names a schema id only Sichuan's registry knows, or whose bytes are no record
 * at all, is parked on Chongqing's dead-letter topic with the link named as its origin, and the partition goes on.
 */
describe('records from the link that Chongqing cannot read', () => {
  const sc = SIDE.sichuan;
  const cq = SIDE.chongqing;
  const ns = `t-${uniqueId()}`;
  const inbox = `${ns}.500000.inbox`;
  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const manifest = readSchemaIdManifest(join(contractsDir(), 'released', 'schema-ids.json'));
  const released = manifest.schemas.find((e) => e.subject === 'cn.tongban.subsidy.v1.SubsidyApplicationSubmitted' && !e.retired)!;
  const cleanup: Array<() => Promise<unknown>> = [];
  let started = false;
  let sichuanRegistry: Awaited<ReturnType<typeof startTestRegistry>>;
  let chongqingRegistry: Awaited<ReturnType<typeof startTestRegistry>>;
  let producer: Producer;
  let server: ServerTongbanKafka;
  const applied: Array<{ envelope: { caseId: string } }> = [];

  const createInbox = async (p: Province) => {
    const a = admin(p).admin();
    await a.connect();
    await a.createTopics({ waitForLeaders: true, topics: [{ topic: inbox, numPartitions: 3 }] });
    await a.disconnect();
    cleanup.push(async () => {
      const d = admin(p).admin();
      await d.connect();
      const topics = (await d.listTopics()).filter((t) => t.startsWith(`${ns}.`));
      await d.deleteTopics({ topics }).catch(() => undefined);
      await d.disconnect();
    });
  };

  beforeAll(async () => {
    started = ensureProvinces();
    const id = ns.replace(/-/g, '_');
    // Each province's registry: the released ids from the manifest, its own ids in a range of its own.
    sichuanRegistry = await startTestRegistry(`tb_${id}_reg_sc`, { TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '51000000' });
    cleanup.push(() => sichuanRegistry.close());
    chongqingRegistry = await startTestRegistry(`tb_${id}_reg_cq`, { TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '50000000' });
    cleanup.push(() => chongqingRegistry.close());
    await createInbox(sc);
    await createInbox(cq);
    await grantMirror(ns, sc, cq);

    server = new ServerTongbanKafka({
      kafka: admin(cq),
      groupId: `${ns}.region-node.500000`,
      topics: [inbox],
      codec: new AvroCodec(catalogue, new SchemaRegistryClient(chongqingRegistry.url, { auth: developmentRegistryAuth() }), false),
      logger: new JsonLogger('region-node', undefined, 'error'),
      retry: { inPlaceAttempts: 1, delaysMs: [1000] },
    });
    server.addHandler('*', async (value: unknown) => void applied.push(value as { envelope: { caseId: string } }), true);
    await new Promise<void>((resolve, reject) => void server.listen((e?: unknown) => (e ? reject(e) : resolve())));
    cleanup.unshift(() => server.close());

    producer = admin(sc).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanup.unshift(() => producer.disconnect());
  }, 600_000);

  afterAll(async () => {
    for (const c of cleanup) await c().catch(() => undefined);
    if (started && !process.env.TONGBAN_PROVINCES_TEST_KEEP) infra('kafka-down');
  }, 180_000);

  it('parks them on Chongqing’s dead-letter topic with the link as origin, and applies what follows on the partition', async () => {
    const sichuanClient = new SchemaRegistryClient(sichuanRegistry.url, { auth: developmentRegistryAuth() });
    // A schema Sichuan registered itself (development) and never released: its id means nothing in Chongqing.
    const unreleased = { ...(released.schema as Record<string, unknown>), doc: `a Sichuan-only change ${ns}` };
    const localId = await sichuanClient.register(released.subject, unreleased);
    expect(localId).toBeGreaterThanOrEqual(51_000_000);
    const releasedId = await sichuanClient.lookup(released.subject, released.schema);
    expect(releasedId).toBe(released.id);

    const writer = avro.Type.forSchema(released.schema as avro.Schema);
    const value = (caseId: string) => {
      const v = writer.random() as unknown as { envelope: { caseId: string } };
      v.envelope.caseId = caseId;
      return writer.toBuffer(v);
    };
    const headers = (eventId: string) => ({
      [HEADERS.eventId]: eventId,
      [HEADERS.sourceRegion]: '510104',
      [HEADERS.targetRegion]: '500000',
      ce_source: eventSource('510104'),
    });
    await producer.send({
      topic: inbox,
      messages: [
        { key: 'SUB-510104-2026-000001', partition: 1, value: frame(localId, value('SUB-510104-2026-000001')), headers: headers(`${ns}-unknown-id`) },
        { key: 'SUB-510104-2026-000002', partition: 1, value: Buffer.from('not a record'), headers: headers(`${ns}-garbage`) },
        { key: 'SUB-510104-2026-000003', partition: 1, value: frame(releasedId, value('SUB-510104-2026-000003')), headers: headers(`${ns}-good`) },
      ],
    });

    const dlq = await collect(admin(cq), `${inbox}.dlq`, `${ns}.dlq-reader`);
    cleanup.unshift(() => dlq.stop());
    await waitFor(
      async () => (applied.some((v) => v.envelope.caseId === 'SUB-510104-2026-000003') ? true : undefined),
      'the readable record applied in Chongqing',
      150_000,
      250,
    );
    await waitFor(async () => (dlq.records.length >= 2 ? true : undefined), 'two dead letters in Chongqing', 60_000, 250);

    const byEvent = new Map(dlq.records.map((r) => [headerText(r.headers, HEADERS.eventId), r]));
    const unknownId = byEvent.get(`${ns}-unknown-id`)!;
    const garbage = byEvent.get(`${ns}-garbage`)!;
    for (const [record, code] of [
      [unknownId, 'SCHEMA_ID_UNKNOWN'],
      [garbage, 'WIRE_FORMAT_INVALID'],
    ] as const) {
      expect(record).toBeDefined();
      expect(headerText(record.headers, ARRIVAL_HEADERS.via)).toBe('link');
      expect(headerText(record.headers, ARRIVAL_HEADERS.from)).toBe('510000');
      expect(headerText(record.headers, FAILURE_HEADERS.errorCode)).toBe(code);
      expect(headerText(record.headers, FAILURE_HEADERS.failureKind)).toBe('permanent');
      expect(headerText(record.headers, FAILURE_HEADERS.originalTopic)).toBe(inbox);
      expect(headerText(record.headers, FAILURE_HEADERS.originalPartition)).toBe('1');
    }
    expect(headerText(unknownId.headers, FAILURE_HEADERS.errorMessage)).toContain(`schema id ${localId} is not in the registry`);
    // The bytes are kept as they crossed, for a replay once Chongqing's registry knows the schema.
    expect(unknownId.value?.readUInt32BE(1)).toBe(localId);
    expect(applied.map((v) => v.envelope.caseId)).toEqual(['SUB-510104-2026-000003']);
  }, 240_000);
});
