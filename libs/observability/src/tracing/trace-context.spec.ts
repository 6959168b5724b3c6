import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { JsonLogger } from '../json-logger';
import { activeSpanLink, extractTraceContext, injectTraceContext, inSpan, traceHeadersOf, traceLinkOf } from './trace-context';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

describe('trace context carried in a header map', () => {
  beforeAll(() => provider.register());
  afterAll(() => provider.shutdown());
  beforeEach(() => exporter.reset());

  it('writes the active span as traceparent into an outbox header map, and reads it back from the stored JSON', async () => {
    await inSpan('POST /v1/events', { kind: SpanKind.SERVER }, async (span) => {
      const headers = injectTraceContext({ 'tongban-event-id': 'e-1', 'tongban-event-type': 'DeathRegistered' });
      const { traceId, spanId } = span.spanContext();
      expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
      expect(headers['tongban-event-id']).toBe('e-1');
      // The row keeps the headers as JSON; the relay parses them and takes the context from there.
      const stored = JSON.parse(JSON.stringify(headers)) as Record<string, string>;
      const read = trace.getSpanContext(extractTraceContext(stored));
      expect(read).toMatchObject({ traceId, spanId, isRemote: true });
    });
  });

  it('writes nothing outside a span, and a message without a traceparent starts a trace of its own', async () => {
    expect(injectTraceContext({ a: 'b' })).toEqual({ a: 'b' });
    await inSpan('poll', {}, async () => {
      expect(trace.getSpanContext(extractTraceContext({ 'tongban-event-id': 'e-1' }))).toBeUndefined();
    });
    expect(traceLinkOf({})).toBeUndefined();
  });

  it('keeps tracestate with traceparent and drops every other header', () => {
    const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=x', 'tongban-case-id': 'C-1' };
    expect(traceHeadersOf(headers)).toEqual({ traceparent: headers.traceparent, tracestate: 'vendor=x' });
    const ctx = trace.getSpanContext(extractTraceContext(headers))!;
    expect(ctx.traceState?.get('vendor')).toBe('x');
    expect(injectTraceContext({}, extractTraceContext(headers))).toEqual({ traceparent: headers.traceparent, tracestate: 'vendor=x' });
  });

  it('makes the span of a message a child of the context its headers carry, linked to the batch it was applied in', async () => {
    const upstream = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await inSpan('apply batch inbox', { kind: SpanKind.CONSUMER }, async (batch) => {
      const link = activeSpanLink();
      await inSpan(
        'apply DeathRegistered',
        { kind: SpanKind.CONSUMER, parent: extractTraceContext(upstream), links: link ? [link] : [] },
        async () => undefined,
      );
      expect(link?.context.spanId).toBe(batch.spanContext().spanId);
    });
    const apply = exporter.getFinishedSpans().find((s) => s.name === 'apply DeathRegistered')!;
    expect(apply.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(apply.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(apply.links.map((l) => l.context.spanId)).toHaveLength(1);
  });

  it('marks a span whose work threw as failed, and rethrows', async () => {
    await expect(
      inSpan('deliver DeathRegistered', {}, async () => {
        throw new Error('receiver down');
      }),
    ).rejects.toThrow('receiver down');
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'receiver down' });
  });

  it('puts traceId and spanId on log lines written while a span is active, and none outside', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = new JsonLogger('region-node', '500000', 'info', (line) => lines.push(JSON.parse(line)));
    logger.event('info', 'outside');
    await inSpan('apply DeathRegistered', {}, async (span) => {
      logger.event('info', 'event applied');
      expect(lines[1]).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    });
    expect(lines[0]).not.toHaveProperty('traceId');
  });
});
