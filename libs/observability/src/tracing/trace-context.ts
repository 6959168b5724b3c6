import { Attributes, Context, context, Link, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/** The W3C Trace Context headers a message or a stored row carries. */
export const TRACE_HEADERS = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

/**
 * The tracer of tongban's own spans. Taken once: until an SDK registers a provider it is the API's proxy, which
 * answers no-op spans and forwards to the real tracer once there is one.
 */
const tracer = trace.getTracer('tongban');

/**
 * Writes the trace context of `ctx` (the active one by default) into `carrier` as `traceparent` and, when
 * there is one, `tracestate`. Without a started SDK the global propagator is a no-op: nothing is written.
 */
export function injectTraceContext(carrier: Record<string, string>, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Only the trace context headers of `headers` (what an outbox row or a delivery keeps of them). */
export function traceHeadersOf(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(TRACE_HEADERS)) if (headers?.[name]) out[name] = headers[name] as string;
  return out;
}

/**
 * The context a message's `traceparent` / `tracestate` headers describe, on the root context: a message
 * without them starts a trace of its own rather than joining whatever the consumer happened to be doing.
 */
export function extractTraceContext(headers: Record<string, string | undefined> | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, traceHeadersOf(headers));
}

/** The span context a message's headers describe, as a link (for a span that handles many messages). */
export function traceLinkOf(headers: Record<string, string | undefined> | undefined): Link | undefined {
  const span = trace.getSpan(extractTraceContext(headers));
  return span ? { context: span.spanContext() } : undefined;
}

/** The span active now, as a link (a message's span pointing at the batch span it was applied in). */
export function activeSpanLink(): Link | undefined {
  const span = trace.getSpan(context.active());
  return span && trace.isSpanContextValid(span.spanContext()) ? { context: span.spanContext() } : undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent; the active context when absent. */
  parent?: Context;
}

/**
 * Runs `fn` inside a new span of tongban's own, active for everything `fn` does (its database calls, the
 * follow-ups it publishes, its log lines); a throw marks the span as failed and is rethrown. Without a
 * started SDK the tracer is a no-op and this costs a function call.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (e) {
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
        throw e;
      } finally {
        span.end();
      }
    },
  );
}

/** Starts a span that the caller ends (for work that does not fit one callback, such as a batch send). */
export function startSpan(name: string, options: SpanOptions): Span {
  return tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    options.parent ?? context.active(),
  );
}

/** The ids of the span active now, for a log line; nothing when no span is (tracing off, or outside any span). */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : {};
}

export { SpanKind } from '@opentelemetry/api';
