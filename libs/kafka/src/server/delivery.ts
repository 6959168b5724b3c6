import type { KafkaMessage } from 'kafkajs';
import { classifyTopic, MessageOrigin, originRef, parseOriginRef, PriorFailure, readPriorFailure, REPLAY_OF_HEADER } from '../failures/failure-headers';
import { HEADERS, headerText } from '../kafka-client';
import type { HeldMessage } from '../ordering/hold-store.port';

/** One delivery of a message to a handler: from an inbox, a retry topic, or a hold. */
export interface Delivery {
  /** Where this copy was read (for logs): `<topic>/<partition>/<offset>`, or `hold:<case key>`. */
  from: string;
  /** The topic this copy was read from (a held message: its original topic). */
  fromTopic: string;
  mainTopic: string;
  /** 0 on the inbox, n on `.retry.<n>`. */
  level: number;
  /** Where the message was first written: holds and history know it by that place. */
  origin: MessageOrigin;
  ref: string;
  key: string;
  rawKey: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  eventId: string | null;
  prior?: PriorFailure;
  replayOf?: string;
  held?: HeldMessage;
  /** The record's Kafka timestamp (ms): for an inbox record, when the gateway accepted the event (the relay sets it). */
  timestamp?: number;
}

/** Lets the group know this member is alive while long work goes on. */
export type Heartbeat = () => Promise<void>;

export const NO_HEARTBEAT: Heartbeat = async () => undefined;

export function textHeaders(headers: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) out[name] = headerText(headers, name) ?? '';
  return out;
}

/** A record read from an inbox or a retry topic. */
export function deliveryOf(topic: string, partition: number, message: KafkaMessage): Delivery {
  const stage = classifyTopic(topic);
  const headers = textHeaders(message.headers);
  const prior = stage.level > 0 ? readPriorFailure(headers) : undefined;
  const replayOf = headers[REPLAY_OF_HEADER] || undefined;
  const here = { topic, partition, offset: message.offset };
  // A retry copy and a replay answer for the message first written: holds and history know it by that place.
  const origin = prior?.origin ?? (replayOf ? parseOriginRef(replayOf) : undefined) ?? here;
  return {
    from: originRef(here),
    fromTopic: topic,
    mainTopic: stage.mainTopic,
    level: stage.level,
    origin,
    ref: originRef(origin),
    key: message.key?.toString('utf8') ?? '',
    rawKey: message.key,
    value: message.value,
    headers,
    eventId: headers[HEADERS.eventId] || null,
    prior,
    replayOf,
    timestamp: Number(message.timestamp) || undefined,
  };
}

/** A message released from the hold of its case. */
export function heldDelivery(caseKey: string, held: HeldMessage): Delivery {
  return {
    from: `hold:${caseKey}`,
    fromTopic: held.topic,
    mainTopic: classifyTopic(held.topic).mainTopic,
    level: 0,
    origin: { topic: held.topic, partition: held.partition, offset: held.offset },
    ref: held.ref,
    key: caseKey,
    rawKey: caseKey,
    value: held.value,
    headers: held.headers,
    eventId: held.eventId,
    held,
  };
}
