import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { inSpan } from '@tongban/observability';
import { minimisationPolicyPath, Minimiser, readMinimisationPolicy } from '@tongban/masking';
import { RoutingTable } from '@tongban/regions';
import { EventPublisher } from '../publishing/event-publisher';
import type { OutboxMessage } from './outbox';
import { relaySpan, topicMessagesOf } from './outbox-relay';
import type { OutboxRow } from './outbox-store.port';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
const registry = {
  lookup: async () => 42,
  schemaById: async () => JSON.stringify(catalogue.event('DeathRegistered')!.schema),
} as unknown as SchemaRegistryClient;
const example = JSON.parse(readFileSync(join(contractsDir(), 'examples', 'DeathRegistered.json'), 'utf8'));

/** An outbox row as the MySQL outbox stores a message: the headers as JSON. */
function rowOf(m: OutboxMessage, id = '1'): OutboxRow {
  return { id, lane: 0, event_id: m.eventId, topic: m.topic, message_key: m.key, value: m.value, headers: JSON.stringify(m.headers) };
}

describe('the trace context carried through the outbox', () => {
  const written: OutboxMessage[] = [];
  const publisher = new EventPublisher({
    codec: new AvroCodec(catalogue, registry, false),
    routing: new RoutingTable([['5101', '510100']]),
    minimiser,
    topicNamespace: 'tb',
    outbox: { enqueue: async (_tx, messages) => void written.push(...messages) },
  });
  const publish = () =>
    publisher.publish('tx', {
      envelope: {
        eventId: '9b2f7c1e-3a44-4d8e-b1a0-5c6d7e8f9a01',
        eventType: 'DeathRegistered',
        caseId: example.caseId,
        sourceRegion: '510104',
        targetRegion: '500111',
        sourceOffice: null,
        occurredAt: example.occurredAt,
        correlationId: 'corr-1',
        causationId: null,
        producer: 'municipal:510104:key-1',
        schemaVersion: 1,
        targetOffice: null,
      },
      payload: example.payload,
    });

  beforeAll(() => provider.register());
  afterAll(() => provider.shutdown());
  beforeEach(() => {
    exporter.reset();
    written.length = 0;
  });

  it('stores the context active at publishing with every copy of the event', async () => {
    const request = await inSpan('POST /v1/events', { kind: SpanKind.SERVER }, async (span) => {
      await publish();
      return span.spanContext();
    });
    expect(written.map((m) => m.topic).sort()).toEqual(['tb.500000.inbox', 'tb.510100.local']);
    for (const m of written) expect(m.headers.traceparent).toBe(`00-${request.traceId}-${request.spanId}-01`);
  });

  it('stores none for an event published outside any span', async () => {
    await publish();
    for (const m of written) expect(m.headers).not.toHaveProperty('traceparent');
  });

  it("sends each row under a producer span that is a child of the row's context, and puts that span in the record's traceparent", async () => {
    const request = await inSpan('POST /v1/events', { kind: SpanKind.SERVER }, async (span) => {
      await publish();
      return span.spanContext();
    });
    exporter.reset();
    const rows = written.map((m, i) => rowOf(m, String(i + 1)));
    const spans: ReturnType<typeof relaySpan>[] = [];
    const batch = topicMessagesOf(rows, Date.now(), (row, headers) => void spans.push(relaySpan(row, headers)));
    spans.forEach((s) => s.end());
    const sent = exporter.getFinishedSpans();
    expect(sent).toHaveLength(rows.length);
    for (const { topic, messages } of batch) {
      const [message] = messages;
      const span = sent.find((s) => s.name === `publish ${topic}`)!;
      expect(span.kind).toBe(SpanKind.PRODUCER);
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId).toBe(request.spanId);
      expect(span.attributes).toMatchObject({
        'messaging.destination.name': topic,
        'tongban.event_type': 'DeathRegistered',
        'messaging.kafka.message.key': example.caseId,
      });
      // One traceparent, the relay's span's: the consumer's span becomes a child of the send.
      expect(Object.keys(message.headers).filter((h) => h.toLowerCase() === 'traceparent')).toEqual(['traceparent']);
      expect(message.headers.traceparent).toBe(`00-${request.traceId}-${span.spanContext().spanId}-01`);
      expect(message.headers['tongban-event-id']).toBe('9b2f7c1e-3a44-4d8e-b1a0-5c6d7e8f9a01');
    }
  });
});
