import { createHash } from 'node:crypto';
import { releasedVersionsOf, type EventSchema } from '@tongban/avro';
import { DEFAULT_RETRY_POLICY, EVENT_CONTENT_TYPE, HEADERS, eventHeaders } from '@tongban/kafka';
import { Minimiser } from '@tongban/masking';
import { topics } from '@tongban/regions';
import type { ContractSources } from './contract-sources';
import { eventHeadersSchema, failedEventHeadersSchema } from './kafka-headers';

/** The schema format of an Avro schema in AsyncAPI (a Multi Format Schema Object). */
export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro+json;version=1.9.0';

/** One province's Kafka cluster as `npm run infra:up` starts it (docs/deployment.md). */
export interface ProvinceCluster {
  /** Division code of the province and of its region node. */
  node: string;
  /** Server id in the document, e.g. `sichuan`; its link listener is `<id>Link`. */
  id: string;
  name: string;
  /** The local listener (SASL/SCRAM) the province's own services and partners use. */
  local: string;
  /** The link listener (SASL_SSL) the other province's MirrorMaker 2 reads. */
  link: string;
  /** The province's schema registry. */
  registry: string;
}

export const PROVINCE_CLUSTERS: readonly ProvinceCluster[] = [
  { node: '510000', id: 'sichuan', name: 'Sichuan', local: '127.0.0.1:9092', link: '127.0.0.1:9093', registry: 'http://127.0.0.1:8081' },
  { node: '500000', id: 'chongqing', name: 'Chongqing', local: '127.0.0.1:9094', link: '127.0.0.1:9095', registry: 'http://127.0.0.1:8091' },
];

export interface AsyncApiOptions {
  /** TONGBAN_TOPIC_NAMESPACE: `tongban`. */
  namespace?: string;
  clusters?: readonly ProvinceCluster[];
  /** Number of retry topics (TONGBAN_RETRY_DELAYS), 3 by default. */
  retryLevels?: number;
}

export type AsyncApiDocument = Record<string, unknown> & {
  asyncapi: '3.0.0';
  channels: Record<string, Json>;
  operations: Record<string, Json>;
  components: { schemas: Record<string, Json>; messages: Record<string, Json>; securitySchemes: Record<string, Json> };
};

type Json = Record<string, unknown>;

const KAFKA_BINDING = '0.5.0';
const ref = (path: string) => ({ $ref: path });
const schemaRef = (name: string) => ref(`#/components/schemas/${name}`);

/** A UUID that is the same on every run for the same text, so the document does not change between runs. */
function stableUuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The channel ids of a node: its inbox, its local copies, and their retry and dead-letter topics. */
export function channelIds(node: string) {
  return { inbox: `inbox${node}`, local: `local${node}`, retry: `retry${node}`, dlq: `deadLetters${node}` };
}

/**
 * The AsyncAPI 3.0 description of tongban's Kafka interface, generated from the contracts (one message
 * per event type, its payload the event's self-contained Avro schema) and the topic naming of
 * libs/regions (`topics`); headers from libs/kafka. Nothing in it is written per event type.
 */
export function buildAsyncApiDocument(sources: ContractSources, options: AsyncApiOptions = {}): AsyncApiDocument {
  const namespace = options.namespace ?? 'tongban';
  const clusters = options.clusters ?? PROVINCE_CLUSTERS;
  const levels = options.retryLevels ?? DEFAULT_RETRY_POLICY.delaysMs.length;
  const { catalogue } = sources;
  const eventTypes = catalogue.eventTypes();
  const minimiser = new Minimiser(catalogue, sources.policy);

  const schemas: Record<string, Json> = {
    EventHeaders: eventHeadersSchema(),
    FailedEventHeaders: failedEventHeadersSchema('#/components/schemas/EventHeaders'),
    CaseId: {
      type: 'string',
      description: 'The record key: the case id (envelope.caseId), UTF-8. All events of a case go to one partition and keep their order.',
    },
  };
  const messages: Record<string, Json> = {};
  for (const eventType of eventTypes) {
    const event = catalogue.event(eventType)!;
    const doc = catalogue.named.get(event.fullName)?.schema.doc as string | undefined;
    const route = sources.routes.get(eventType);
    const ids = sources.manifest ? releasedVersionsOf(sources.manifest, event.fullName).map((e) => e.id) : [];
    schemas[eventType] = { schemaFormat: AVRO_SCHEMA_FORMAT, schema: structuredClone(event.schema) };
    const base: Json = {
      name: eventType,
      title: eventType,
      summary: route ? `${route.from} → ${route.to}: ${route.summary}` : eventType,
      ...(doc
        ? {
            description: `${doc}\n\nAvro subject \`${event.fullName}\`${ids.length ? `; released schema ids ${ids.join(', ')} (the latest ${ids[ids.length - 1]})` : '; not released yet'}. Reference: docs/events/${eventType}.md.`,
          }
        : {}),
      contentType: EVENT_CONTENT_TYPE,
      payload: schemaRef(eventType),
      correlationId: { description: 'The correlation id of the request chain.', location: `$message.header#/${HEADERS.correlationId}` },
      tags: [{ name: event.workflow }],
      bindings: {
        kafka: {
          key: schemaRef('CaseId'),
          schemaIdLocation: 'payload',
          schemaIdPayloadEncoding: 'confluent',
          schemaLookupStrategy: 'RecordNameStrategy',
          bindingVersion: KAFKA_BINDING,
        },
      },
    };
    const example = exampleOf(sources, minimiser, event);
    messages[eventType] = { ...base, headers: schemaRef('EventHeaders'), ...(example ? { examples: [example] } : {}) };
    messages[`${eventType}Failed`] = {
      ...base,
      name: `${eventType}Failed`,
      title: `${eventType} (retry or dead letter)`,
      summary: `A ${eventType} whose handling failed: the original key and value, the failure in the headers.`,
      headers: schemaRef('FailedEventHeaders'),
    };
  }

  const servers: Record<string, Json> = {};
  for (const c of clusters) {
    servers[c.id] = {
      host: c.local,
      protocol: 'kafka',
      title: `${c.name} (${c.node}), local listener`,
      description:
        `${c.name}'s own Kafka cluster, the listener of its services (gateway relay, region node ${c.node}, ops, delivery) and of its partners. ` +
        "SASL/SCRAM-SHA-512 with ACLs: each principal reads and writes only its topics (a partner only its region's inbox). " +
        'The address is the development layout of `npm run infra:up`; production hosts differ (docs/deployment.md).',
      security: [ref('#/components/securitySchemes/scram')],
      tags: [{ name: c.node }],
      bindings: { kafka: { schemaRegistryUrl: c.registry, schemaRegistryVendor: 'confluent', bindingVersion: KAFKA_BINDING } },
    };
    servers[`${c.id}Link`] = {
      host: c.link,
      protocol: 'kafka-secure',
      title: `${c.name} (${c.node}), link listener`,
      description:
        `The listener of ${c.name}'s cluster that only the other province's MirrorMaker 2 reads, over TLS: it copies the inboxes addressed to the other province, under the same names. ` +
        'No retry, dead-letter or local topic crosses.',
      security: [ref('#/components/securitySchemes/linkScram')],
      tags: [{ name: c.node }],
    };
  }

  const channels: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  const serverRef = (id: string) => ref(`#/servers/${id}`);
  const messageRefs = (suffix = '') => Object.fromEntries(eventTypes.map((t) => [t, ref(`#/components/messages/${t}${suffix}`)]));
  const channelMessages = (channel: string) => eventTypes.map((t) => ref(`#/channels/${channel}/messages/${t}`));
  const topicBinding = (topic: string) => ({ kafka: { topic, bindingVersion: KAFKA_BINDING } });

  for (const c of clusters) {
    const others = clusters.filter((o) => o !== c);
    const ch = channelIds(c.node);
    const inbox = topics.inbox(namespace, c.node);
    const local = topics.local(namespace, c.node);
    channels[ch.inbox] = {
      address: inbox,
      title: `Inbox of ${c.name} (${c.node})`,
      description:
        `Every event addressed to a division that node ${c.node} serves, minimised for the addressee (contracts/policy/minimisation.json). ` +
        `Written in the publisher's province; an event from ${others.map((o) => o.name).join(', ')} is copied into ${c.name}'s cluster by MirrorMaker 2 under the same name.`,
      servers: [serverRef(c.id), ...others.flatMap((o) => [serverRef(o.id), serverRef(`${o.id}Link`)])],
      messages: messageRefs(),
      bindings: topicBinding(inbox),
    };
    channels[ch.local] = {
      address: local,
      title: `Own copies of ${c.name} (${c.node})`,
      description: `The publishing region's own copy of each event its systems publish, every field: only node ${c.node} reads it, and it never leaves the province.`,
      servers: [serverRef(c.id)],
      messages: messageRefs(),
      bindings: topicBinding(local),
    };
    const copy = { description: 'Which topic failed: the inbox or the local copies.', enum: ['inbox', 'local'] };
    channels[ch.retry] = {
      address: topics.retry(`${namespace}.${c.node}.{copy}`, 0).replace(/0$/, '{level}'),
      title: `Retry topics of node ${c.node}`,
      description:
        `A message whose handling failed with a retriable error after the tries in place goes through \`.retry.1\` … \`.retry.${levels}\` (delays TONGBAN_RETRY_DELAYS, ` +
        'by default 5 s, 1 min, 10 min); the node reads each one again when the message is due. Key and value are the original bytes.',
      servers: [serverRef(c.id)],
      parameters: {
        copy,
        level: { description: 'The retry level, 1 first.', enum: Array.from({ length: levels }, (_, i) => String(i + 1)), default: '1' },
      },
      messages: messageRefs('Failed'),
    };
    channels[ch.dlq] = {
      address: topics.dlq(`${namespace}.${c.node}.{copy}`),
      title: `Dead letters of node ${c.node}`,
      description:
        'A message that failed permanently (it does not decode, its schema id is unknown, the case refuses it for a reason that is not business) or ran out of retries, ' +
        'with the original bytes and the reason; the partition moves on. The ops service stores them; an operator replays one to its original topic.',
      servers: [serverRef(c.id)],
      parameters: { copy },
      messages: messageRefs('Failed'),
    };

    const nodeGroup = `${namespace}.region-node.${c.node}`;
    operations[`publishTo${ch.inbox}`] = {
      action: 'send',
      channel: ref(`#/channels/${ch.inbox}`),
      title: `Events addressed to ${c.name}`,
      summary: 'Municipal systems publish through the gateway, not on Kafka.',
      description:
        "A municipal system publishes with `POST /v1/events` on its own province's gateway (OpenAPI: the gateway's `/openapi.json`): the gateway validates the event, " +
        "minimises it for the addressee and stores it in its outbox in one transaction; the relay of the publisher's province writes it here with an idempotent producer. " +
        'Region nodes publish their follow-ups (answers, rejections, deadline breaches) the same way, through their own outbox. Nothing else writes to an inbox.',
      messages: channelMessages(ch.inbox),
    };
    operations[`node${c.node}Receives${ch.inbox}`] = {
      action: 'receive',
      channel: ref(`#/channels/${ch.inbox}`),
      title: `Region node ${c.node} applies the events addressed to it`,
      description:
        "Applied once by event id through the workflow's state machine; offsets are committed after the effect is stored. An event the case cannot take is refused and answered with CaseEventRejected.",
      bindings: { kafka: { groupId: { type: 'string', const: nodeGroup }, bindingVersion: KAFKA_BINDING } },
      messages: channelMessages(ch.inbox),
    };
    operations[`partnersOf${c.node}Receive${ch.inbox}`] = {
      action: 'receive',
      channel: ref(`#/channels/${ch.inbox}`),
      title: `Partner systems of ${c.name} read its inbox`,
      description:
        `As principal \`partner-${c.node}\` (SCRAM), which may read only this topic and use only consumer groups starting with \`partner.${c.node}.\`; ` +
        "or they receive the same copy as signed webhooks from the delivery service (docs/partners.md), narrowed further by the policy's webhook list.",
      bindings: { kafka: { groupId: { type: 'string', pattern: `^partner\\.${c.node}\\.` }, bindingVersion: KAFKA_BINDING } },
      messages: channelMessages(ch.inbox),
    };
    operations[`publishTo${ch.local}`] = {
      action: 'send',
      channel: ref(`#/channels/${ch.local}`),
      title: `${c.name}'s own copies`,
      description: `The relay writes the publisher's whole copy here beside the addressee's copy, so node ${c.node} follows every case its region takes part in.`,
      messages: channelMessages(ch.local),
    };
    operations[`node${c.node}Receives${ch.local}`] = {
      action: 'receive',
      channel: ref(`#/channels/${ch.local}`),
      title: `Region node ${c.node} applies its own region's events`,
      bindings: { kafka: { groupId: { type: 'string', const: nodeGroup }, bindingVersion: KAFKA_BINDING } },
      messages: channelMessages(ch.local),
    };
    operations[`node${c.node}Retries`] = {
      action: 'send',
      channel: ref(`#/channels/${ch.retry}`),
      title: `Node ${c.node} hands a failing message to the next retry topic`,
      messages: channelMessages(ch.retry),
    };
    operations[`node${c.node}ReceivesRetries`] = {
      action: 'receive',
      channel: ref(`#/channels/${ch.retry}`),
      title: `Node ${c.node} tries a message again when it is due`,
      messages: channelMessages(ch.retry),
    };
    operations[`node${c.node}DeadLetters`] = {
      action: 'send',
      channel: ref(`#/channels/${ch.dlq}`),
      title: `Node ${c.node} parks a message it cannot handle`,
      messages: channelMessages(ch.dlq),
    };
    operations[`ops${c.node}ReceivesDeadLetters`] = {
      action: 'receive',
      channel: ref(`#/channels/${ch.dlq}`),
      title: `The ops service of ${c.name} stores dead letters`,
      description: 'Operators find, inspect and replay them (console, `npx tongban`).',
      messages: channelMessages(ch.dlq),
    };
  }

  return {
    asyncapi: '3.0.0',
    id: `urn:${namespace}:kafka`,
    info: {
      title: 'tongban Kafka interface (川渝通办)',
      version: sources.version,
      description: [
        'The events the civil-affairs systems of Sichuan (510000) and Chongqing (500000) hand each other, as they lie on Kafka.',
        '',
        `- Each receiving node has an inbox \`${topics.inbox(namespace, '<node>')}\`; the publisher's own copies are on \`${topics.local(namespace, '<node>')}\`; failures go through \`<topic>.retry.<n>\` to \`<topic>.dlq\`.`,
        "- Value: Avro binary in the Confluent wire format (magic byte 0, the 4-byte big-endian schema id, the body). Released schema versions have the same id in both provinces' registries (contracts/released/schema-ids.json); subjects follow the record name strategy.",
        '- Key: the case id, so the events of a case keep their order.',
        '- Headers: `tongban-*` and the CloudEvents 1.0 binary-mode attributes (`ce_*`, `content-type`).',
        "- Municipal systems do not write to Kafka: they publish through their province's gateway (`POST /v1/events`).",
        '',
        'Generated from contracts/ by tools/docs/generate-docs.ts; the event reference is docs/events/README.md.',
      ].join('\n'),
    },
    defaultContentType: EVENT_CONTENT_TYPE,
    servers,
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        scram: {
          type: 'scramSha512',
          description: "SASL/SCRAM-SHA-512 on a province's local listener; credentials per service and per partner, ACLs per principal.",
        },
        linkScram: {
          type: 'scramSha512',
          description:
            "SASL_SSL: TLS with host name verification against the source province's CA, then SCRAM-SHA-512 as `mirror-<node>`, a principal that may read only the inbox addressed to its province.",
        },
      },
    },
  };
}

/** A message example: the example body of contracts/examples as the record it becomes, with its headers. */
function exampleOf(sources: ContractSources, minimiser: Minimiser, event: EventSchema): Json | undefined {
  const { eventType, fullName } = event;
  const body = sources.examples[eventType] as Json | undefined;
  if (!body) return undefined;
  const eventId = stableUuid(`example:${eventType}`);
  const correlationId = stableUuid(`correlation:${eventType}`);
  const known: Json = {
    eventId,
    eventType,
    caseId: body.caseId,
    sourceRegion: body.sourceRegion,
    targetRegion: body.targetRegion,
    sourceOffice: body.sourceOffice,
    targetOffice: body.targetOffice,
    occurredAt: body.occurredAt,
    correlationId,
    causationId: body.causationId,
    producer: `municipal:${String(body.sourceOffice ?? body.sourceRegion)}:example-key`,
    schemaVersion: event.major,
  };
  // Every field of the envelope, in the schema's order; one the body does not give takes its default.
  const envelopeFields = (((event.schema.fields as Json[])[0].type as Json).fields as Json[]) ?? [];
  const envelope = Object.fromEntries(envelopeFields.map((f) => [f.name, known[String(f.name)] ?? f.default ?? null]));
  const headers = eventHeaders({
    eventId,
    eventType,
    schemaName: fullName,
    caseId: String(body.caseId),
    correlationId,
    sourceRegion: String(body.sourceRegion),
    targetRegion: String(body.targetRegion),
    occurredAt: String(body.occurredAt),
  });
  const record = { envelope, ...(body.payload as Json) };
  return {
    name: `${eventType}Example`,
    summary: `contracts/examples/${eventType}.json as the addressee's inbox copy, minimised, in its JSON form (on Kafka it is Avro); the local copy carries every field`,
    headers,
    payload: { envelope, ...minimiser.minimise(eventType, 'addressee', record).value },
  };
}

/** The document as committed: JSON, two spaces, a final newline. */
export function formatAsyncApi(doc: AsyncApiDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Every `$ref` in a JSON value. */
export function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}
