import { HEADERS } from '../kafka-client';

/** The CloudEvents 1.0 attributes of the Kafka protocol binding, binary mode (`ce_` prefix). */
export const CLOUDEVENTS_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
} as const;

/**
 * The record value's media type: Avro binary in the Confluent wire format (magic byte 0, the
 * schema id as 4 bytes, then the body), which any Confluent-compatible deserializer reads.
 */
export const EVENT_CONTENT_TYPE = 'application/avro';

export interface PublishedEvent {
  eventId: string;
  eventType: string;
  /** The Avro full name of the event's schema, e.g. `cn.tongban.subsidy.v1.SubsidyApplicationSubmitted`. */
  schemaName: string;
  caseId: string;
  correlationId: string;
  sourceRegion: string;
  targetRegion: string;
  /** ISO-8601 time the event happened. */
  occurredAt: string;
}

/** Where an event comes from, as a CloudEvents `source`: the publishing division. */
export function eventSource(sourceRegion: string): string {
  return `urn:tongban:division:${sourceRegion}`;
}

/**
 * Every header a published event carries: tongban's own (what its consumers route and dedupe by)
 * and the CloudEvents binary-mode attributes, so that tools which know CloudEvents read the same
 * facts. The one place publishers build them.
 */
export function eventHeaders(e: PublishedEvent): Record<string, string> {
  return {
    [HEADERS.eventId]: e.eventId,
    [HEADERS.eventType]: e.eventType,
    [HEADERS.correlationId]: e.correlationId,
    [HEADERS.sourceRegion]: e.sourceRegion,
    [HEADERS.targetRegion]: e.targetRegion,
    [CLOUDEVENTS_HEADERS.specversion]: '1.0',
    [CLOUDEVENTS_HEADERS.id]: e.eventId,
    [CLOUDEVENTS_HEADERS.type]: e.schemaName,
    [CLOUDEVENTS_HEADERS.source]: eventSource(e.sourceRegion),
    [CLOUDEVENTS_HEADERS.time]: new Date(e.occurredAt).toISOString(),
    [CLOUDEVENTS_HEADERS.subject]: e.caseId,
    [CLOUDEVENTS_HEADERS.contentType]: EVENT_CONTENT_TYPE,
  };
}
