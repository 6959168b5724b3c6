import { Attributes, SpanKind } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';
import { OPS_PATHS } from '../ops-paths';
import { readTracingSettings, TracingSettings } from './tracing.config';

/**
 * Keeps every span but a database call made outside any span (a relay's poll of the outbox, a sweeper's query): those
 * would each be a trace of their own, several a second, and say nothing about an event. Used as the root sampler of
 * a parent-based one, so a call inside a request or an apply is kept with its trace.
 */
export const noOrphanDatabaseCalls: Sampler = {
  shouldSample(_context: unknown, _traceId: string, _name: string, kind: SpanKind, attributes: Attributes): SamplingResult {
    const database = kind === SpanKind.CLIENT && (attributes['db.system.name'] !== undefined || attributes['db.system'] !== undefined);
    // 0 = NOT_RECORD, 2 = RECORD_AND_SAMPLED (SamplingDecision), without loading the SDK to name them.
    return { decision: database ? 0 : 2 };
  },
  toString: () => 'NoOrphanDatabaseCalls',
};

let sdk: NodeSDK | undefined;
let serviceName: string | undefined;

/** The service name spans are sent as, while tracing runs; undefined when it is off. */
export function tracingServiceName(): string | undefined {
  return sdk ? serviceName : undefined;
}

/**
 * Starts OpenTelemetry tracing for a service when the standard variables switch it on (see `readTracingSettings`):
 * the Node SDK with the OTLP/HTTP exporter (JSON; `OTEL_EXPORTER_OTLP_*` say where) and the http, express, kafkajs,
 * mysql2 and ioredis instrumentations. Call it before the service's own modules are loaded, so that the
 * instrumentations patch those libraries as they are required. Off, it loads nothing of the SDK.
 */
export async function startTracing(service: string, env: Record<string, string | undefined> = process.env): Promise<TracingSettings> {
  const settings = readTracingSettings(service, env);
  if (!settings.enabled || sdk) return settings;
  const [
    { ParentBasedSampler },
    { NodeSDK },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { ExpressInstrumentation },
    { KafkaJsInstrumentation },
    { MySQL2Instrumentation },
    { IORedisInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-kafkajs'),
    import('@opentelemetry/instrumentation-mysql2'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  sdk = new NodeSDK({
    serviceName: settings.serviceName,
    traceExporter: new OTLPTraceExporter(),
    sampler: new ParentBasedSampler({ root: noOrphanDatabaseCalls }),
    instrumentations: [
      // Paths a load balancer or Prometheus asks every few seconds: no trace of their own.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => OPS_PATHS.has((req.url ?? '').split('?')[0]) }),
      new ExpressInstrumentation(),
      new KafkaJsInstrumentation(),
      // Statements with their values would put personal data into spans: numbers and quoted strings are masked.
      new MySQL2Instrumentation({ maskStatement: true }),
      // BullMQ's commands carry job data and keys: the command name is enough.
      new IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  serviceName = settings.serviceName;
  return settings;
}

/** Sends the spans not yet exported and stops the SDK (nothing when tracing was off). */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => undefined);
}
