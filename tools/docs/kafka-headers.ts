import type { JsonSchema } from '@tongban/avro';
import { CLOUDEVENTS_HEADERS, CONNECT_ERROR_HEADERS, EVENT_CONTENT_TYPE, FAILURE_HEADERS, HEADERS, REPLAY_OF_HEADER } from '@tongban/kafka';
import { TRACE_HEADERS } from '@tongban/observability';

/**
 * What each header of a published event says. Keyed by the header names of libs/kafka, so a header added
 * there without a line here stops the generator (see headerProperties).
 */
export const EVENT_HEADER_DOCS: Record<string, string> = {
  [HEADERS.eventId]: 'The event id (envelope.eventId, a UUID); consumers apply an id once.',
  [HEADERS.eventType]: 'The event type, the short record name (envelope.eventType), e.g. SubsidyApplicationSubmitted.',
  [HEADERS.correlationId]: 'Ties together every event and log line of one request chain (envelope.correlationId).',
  [HEADERS.sourceRegion]: 'GB/T 2260 division code of the publishing region (envelope.sourceRegion).',
  [HEADERS.targetRegion]: 'GB/T 2260 division code of the addressed region (envelope.targetRegion).',
  [CLOUDEVENTS_HEADERS.specversion]: 'CloudEvents spec version: `1.0`.',
  [CLOUDEVENTS_HEADERS.id]: 'CloudEvents id: the event id.',
  [CLOUDEVENTS_HEADERS.type]: "CloudEvents type: the Avro full name of the event's schema, e.g. cn.tongban.subsidy.v1.SubsidyApplicationSubmitted.",
  [CLOUDEVENTS_HEADERS.source]: 'CloudEvents source: the publishing division, `urn:tongban:division:<code>`.',
  [CLOUDEVENTS_HEADERS.time]: 'CloudEvents time: when the fact happened (envelope.occurredAt), ISO-8601 UTC.',
  [CLOUDEVENTS_HEADERS.subject]: 'CloudEvents subject: the case id, as the record key.',
  [CLOUDEVENTS_HEADERS.contentType]: `The value's media type: \`${EVENT_CONTENT_TYPE}\`, Avro binary in the Confluent wire format (magic byte 0, 4-byte schema id, body).`,
  [REPLAY_OF_HEADER]: 'Only on a dead letter an operator replayed to its original topic: the `<topic>/<partition>/<offset>` of the original.',
  [TRACE_HEADERS.traceparent]:
    "Only while tracing is on: W3C Trace Context, the relay's send of the record in the trace of the request or apply that published the event.",
  [TRACE_HEADERS.tracestate]: 'Only with a traceparent whose trace has vendor state: W3C Trace Context `tracestate`.',
};

/** What each failure header of a retry or dead-letter copy says. */
export const FAILURE_HEADER_DOCS: Record<string, string> = {
  [FAILURE_HEADERS.originalTopic]: 'The topic the message was first written to (the inbox or the local topic).',
  [FAILURE_HEADERS.originalPartition]: 'Its partition there.',
  [FAILURE_HEADERS.originalOffset]: 'Its offset there; with topic and partition the reference of the message (`<topic>/<partition>/<offset>`).',
  [FAILURE_HEADERS.originalKey]: 'The record key: the case id.',
  [FAILURE_HEADERS.errorClass]: 'Class of the last error, e.g. DecodeFailure.',
  [FAILURE_HEADERS.errorCode]: 'tongban error code of the last error, or UNEXPECTED.',
  [FAILURE_HEADERS.errorMessage]: 'Message of the last error (at most 2000 characters).',
  [FAILURE_HEADERS.attempts]: 'Deliveries tried so far.',
  [FAILURE_HEADERS.firstFailureAt]: 'When the first delivery failed, ISO-8601.',
  [FAILURE_HEADERS.lastFailureAt]: 'When the last delivery failed, ISO-8601.',
  [FAILURE_HEADERS.consumerGroup]: 'The consumer group that failed to handle it.',
  [FAILURE_HEADERS.failedTopic]: 'The topic whose delivery failed last (the inbox, or `.retry.<n>`).',
  [FAILURE_HEADERS.retryLevel]: 'On a retry topic: its level (1 for `.retry.1`).',
  [FAILURE_HEADERS.retryDueAt]: 'On a retry topic: when the message is due again, ISO-8601.',
  [FAILURE_HEADERS.failureKind]: '`retriable` or `permanent`: why the message went where it went.',
  [FAILURE_HEADERS.arrivedVia]: '`link` when the other province wrote the record and MirrorMaker 2 carried it here, else `local` or `unknown`.',
  [FAILURE_HEADERS.arrivedFrom]: 'The province (510000, 500000) that wrote the record, when known.',
  [CONNECT_ERROR_HEADERS.topic]: 'Dead letters only, under Kafka Connect’s name: the original topic.',
  [CONNECT_ERROR_HEADERS.partition]: 'Dead letters only (Kafka Connect): the original partition.',
  [CONNECT_ERROR_HEADERS.offset]: 'Dead letters only (Kafka Connect): the original offset.',
  [CONNECT_ERROR_HEADERS.exceptionClass]: 'Dead letters only (Kafka Connect): the class of the error.',
  [CONNECT_ERROR_HEADERS.exceptionMessage]: 'Dead letters only (Kafka Connect): the message of the error.',
  [CONNECT_ERROR_HEADERS.exceptionStacktrace]: 'Dead letters only (Kafka Connect): the stack trace, when there is one (at most 4000 characters).',
};

/** Headers every published event carries (the rest of EVENT_HEADER_DOCS is optional). */
export const REQUIRED_EVENT_HEADERS: readonly string[] = [...Object.values(HEADERS), ...Object.values(CLOUDEVENTS_HEADERS)];

/** Headers every retry and dead-letter copy carries, besides the event's own. */
const REQUIRED_FAILURE_HEADERS: readonly string[] = [
  FAILURE_HEADERS.originalTopic,
  FAILURE_HEADERS.originalPartition,
  FAILURE_HEADERS.originalOffset,
  FAILURE_HEADERS.originalKey,
  FAILURE_HEADERS.errorClass,
  FAILURE_HEADERS.errorCode,
  FAILURE_HEADERS.errorMessage,
  FAILURE_HEADERS.attempts,
  FAILURE_HEADERS.firstFailureAt,
  FAILURE_HEADERS.lastFailureAt,
  FAILURE_HEADERS.consumerGroup,
  FAILURE_HEADERS.failedTopic,
  FAILURE_HEADERS.failureKind,
];

const FIXED: Record<string, JsonSchema> = {
  [CLOUDEVENTS_HEADERS.specversion]: { const: '1.0' },
  [CLOUDEVENTS_HEADERS.contentType]: { const: EVENT_CONTENT_TYPE },
  [HEADERS.eventId]: { format: 'uuid' },
  [CLOUDEVENTS_HEADERS.id]: { format: 'uuid' },
  [HEADERS.sourceRegion]: { pattern: '^[0-9]{6}$' },
  [HEADERS.targetRegion]: { pattern: '^[0-9]{6}$' },
  [CLOUDEVENTS_HEADERS.source]: { pattern: '^urn:tongban:division:[0-9]{6}$' },
  [CLOUDEVENTS_HEADERS.time]: { format: 'date-time' },
  [FAILURE_HEADERS.failureKind]: { enum: ['retriable', 'permanent'] },
  [FAILURE_HEADERS.arrivedVia]: { enum: ['link', 'local', 'unknown'] },
  [FAILURE_HEADERS.originalPartition]: { pattern: '^[0-9]+$' },
  [FAILURE_HEADERS.originalOffset]: { pattern: '^[0-9]+$' },
  [FAILURE_HEADERS.attempts]: { pattern: '^[0-9]+$' },
  [FAILURE_HEADERS.retryLevel]: { pattern: '^[0-9]+$' },
  [TRACE_HEADERS.traceparent]: { pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
};

/** JSON Schema properties of `names`, each a string with its description; a name without one throws. */
export function headerProperties(names: readonly string[], docs: Record<string, string>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const name of names) {
    if (!docs[name]) throw new Error(`Kafka header ${name} has no description in tools/docs/kafka-headers.ts`);
    out[name] = { type: 'string', ...(FIXED[name] ?? {}), description: docs[name] };
  }
  return out;
}

/** The headers of a published event, as a JSON Schema object (AsyncAPI message `headers`). */
export function eventHeadersSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'Kafka headers of every tongban event record (UTF-8 strings): tongban-* and the CloudEvents 1.0 binary-mode attributes.',
    properties: headerProperties([...REQUIRED_EVENT_HEADERS, REPLAY_OF_HEADER, TRACE_HEADERS.traceparent, TRACE_HEADERS.tracestate], EVENT_HEADER_DOCS),
    required: [...REQUIRED_EVENT_HEADERS],
  };
}

/** The headers of a retry or dead-letter copy: the event's own and the facts of its failure. */
export function failedEventHeadersSchema(eventHeadersRef: string): JsonSchema {
  return {
    description:
      "Headers of a retry or dead-letter copy: the event's own headers (the record's value and key are the original bytes) and the facts of the failure.",
    allOf: [
      { $ref: eventHeadersRef },
      {
        type: 'object',
        properties: headerProperties([...Object.values(FAILURE_HEADERS), ...Object.values(CONNECT_ERROR_HEADERS)], FAILURE_HEADER_DOCS),
        required: [...REQUIRED_FAILURE_HEADERS],
      },
    ],
  };
}
