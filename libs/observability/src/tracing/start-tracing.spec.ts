import * as http from 'node:http';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { noOrphanDatabaseCalls, startTracing, stopTracing, tracingServiceName } from './start-tracing';
import { injectTraceContext, inSpan } from './trace-context';

describe('startTracing without the OTEL_* variables', () => {
  afterAll(() => stopTracing());

  it('starts no SDK: spans do not record, nothing is propagated, no module is patched', async () => {
    const settings = await startTracing('gateway', { TONGBAN_PROFILE: 'development', OTEL_SERVICE_NAME: 'tongban-gateway' });
    expect(settings).toEqual({ enabled: false, reason: 'neither OTEL_TRACES_EXPORTER=otlp nor an OTLP endpoint is set' });
    expect(tracingServiceName()).toBeUndefined();
    await inSpan('apply SubsidyApplicationSubmitted', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(injectTraceContext({ 'tongban-event-id': 'e-1' })).toEqual({ 'tongban-event-id': 'e-1' });
    });
    expect(trace.getTracer('any').startSpan('x').isRecording()).toBe(false);
    // The http instrumentation wraps http.request (shimmer marks what it wrapped): off, it never did.
    expect((http.request as unknown as { __wrapped?: boolean }).__wrapped).toBeUndefined();
  });

  it('starts none when OTEL_SDK_DISABLED=true, whatever else is set', async () => {
    const settings = await startTracing('relay', {
      OTEL_SDK_DISABLED: 'true',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
    });
    expect(settings.enabled).toBe(false);
    expect(tracingServiceName()).toBeUndefined();
    expect(trace.getTracer('any').startSpan('x').isRecording()).toBe(false);
  });
});

describe('noOrphanDatabaseCalls (the root sampler: a database call outside any span is not traced)', () => {
  const RULES: Array<[string, SpanKind, Record<string, string>, boolean]> = [
    ['a MySQL query of the relay polling its outbox', SpanKind.CLIENT, { 'db.system.name': 'mysql' }, false],
    ['a Redis command under the older attribute name', SpanKind.CLIENT, { 'db.system': 'redis' }, false],
    ['an incoming request', SpanKind.SERVER, {}, true],
    ['an outgoing HTTP call', SpanKind.CLIENT, { 'http.request.method': 'POST' }, true],
    ['a consumer span of a message without a trace', SpanKind.CONSUMER, { 'messaging.system': 'kafka' }, true],
  ];
  it.each(RULES)('%s: sampled %s', (_case, kind, attributes, sampled) => {
    expect(noOrphanDatabaseCalls.shouldSample(ROOT_CONTEXT, '0af7651916cd43dd8448eb211c80319c', 'x', kind, attributes, []).decision).toBe(sampled ? 2 : 0);
  });
});
