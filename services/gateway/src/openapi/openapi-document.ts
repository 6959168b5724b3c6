import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvroJsonSchemas, type JsonSchema, type SchemaCatalogue } from '@tongban/avro';
import { problemResponse, problemSchemas, RETRY_AFTER } from '@tongban/http';
import { SERVICE_OFFICES } from '@tongban/regions';

export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: {
    required: boolean;
    description?: string;
    content: Record<string, { schema: JsonSchema; examples?: Record<string, { summary?: string; value: unknown }> }>;
  };
  responses: Record<string, unknown>;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description: string;
  schema: JsonSchema;
}

export interface OpenApiSources {
  catalogue: SchemaCatalogue;
  /** contracts/examples: one request body per event type, `<EventType>.json`. */
  examplesDir: string;
  version: string;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: JsonSchema, description: string, extra: Record<string, unknown> = {}) => ({
  description,
  content: { 'application/json': { schema } },
  ...extra,
});
const KEY = [{ apiKey: [] }];
const ADMIN = [{ adminToken: [] }];

/** The errors every authenticated route may answer, besides its own. */
const KEYED_ERRORS = { '401': response('Unauthenticated'), '429': response('RateLimited'), '503': response('Unavailable') };
const ADMIN_ERRORS = { '401': response('Unauthenticated'), '403': response('AdminForbidden'), '503': response('Unavailable') };

/** Examples of `POST /v1/events` bodies from contracts/examples, by event type (files for unknown types are left out). */
export function readExamples(dir: string, eventTypes: string[]): Record<string, unknown> {
  if (!existsSync(dir)) return {};
  const out: Record<string, unknown> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const eventType = file.slice(0, -'.json'.length);
    if (eventTypes.includes(eventType)) out[eventType] = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
  }
  return out;
}

/**
 * The gateway's OpenAPI 3.1 description. The routes are written here; the body of `POST /v1/events`
 * is derived from the Avro contracts (one variant per event type, its payload the event record
 * without the envelope), with contracts/examples as its examples, so a new contract is described
 * the moment the gateway can accept it.
 */
export function buildOpenApiDocument(sources: OpenApiSources): OpenApiDocument {
  const avro = new AvroJsonSchemas(sources.catalogue, { officeIds: SERVICE_OFFICES.map((o) => o.id) });
  const eventTypes = sources.catalogue.eventTypes();
  const variants: Record<string, JsonSchema> = {};
  for (const eventType of eventTypes) {
    const event = sources.catalogue.event(eventType)!;
    const doc = sources.catalogue.named.get(event.fullName)?.schema.doc as string | undefined;
    variants[`${eventType}Request`] = eventRequestVariant(eventType, event.workflow, doc, avro.payloadOf(eventType));
  }
  const batchVariants: Record<string, JsonSchema> = {};
  for (const eventType of eventTypes) {
    const single = variants[`${eventType}Request`] as JsonSchema & { properties: Record<string, JsonSchema> };
    batchVariants[`${eventType}BatchItem`] = {
      ...single,
      properties: {
        ...single.properties,
        idempotencyKey: {
          ...ref('IdempotencyKey'),
          description: "The item's Idempotency-Key: the same key and body answer the first event id again (`replayed: true`), another body is 409.",
        },
      },
    };
  }
  const examples = readExamples(sources.examplesDir, eventTypes);

  const schemas: Record<string, JsonSchema> = {
    EventRequest: {
      description: 'The body of POST /v1/events: one of the event types of the contracts, chosen by `eventType`.',
      oneOf: eventTypes.map((t) => ref(`${t}Request`)),
      discriminator: { propertyName: 'eventType', mapping: Object.fromEntries(eventTypes.map((t) => [t, `#/components/schemas/${t}Request`])) },
    },
    ...variants,
    EventBatchItem: {
      description: 'One item of POST /v1/events:batch: an event request as POST /v1/events takes it, with its own optional `idempotencyKey`.',
      oneOf: eventTypes.map((t) => ref(`${t}BatchItem`)),
      discriminator: { propertyName: 'eventType', mapping: Object.fromEntries(eventTypes.map((t) => [t, `#/components/schemas/${t}BatchItem`])) },
    },
    ...batchVariants,
    ...sharedSchemas(),
    ...avro.schemas,
  };

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'tongban gateway (川渝通办)',
      version: sources.version,
      description:
        'The public API of the tongban gateway: municipal civil-affairs systems of Sichuan (510000) and Chongqing (500000) publish case events ' +
        'and read the cases their division takes part in. Every event is validated against its Avro contract, stored in an outbox and carried to the ' +
        'region nodes over Kafka. Errors are answered as RFC 9457 problems (`application/problem+json`: `type`, `title`, `status`, `detail`, `code`, ' +
        '`problems` [{"path", "problem"}]) with a 4xx status for every bad input; `error` {"code", "message", "details"} repeats the answer of ' +
        'before for older clients and is deprecated.',
    },
    servers: [{ url: '/', description: 'this gateway' }],
    tags: [
      { name: 'events', description: 'Publishing events and following what became of them.' },
      { name: 'cases', description: "Cases as the caller's region node holds them." },
      { name: 'admin', description: "Operators' routes: API keys and data-subject requests (admin token)." },
      { name: 'operations', description: 'Health, metrics and this description.' },
    ],
    paths: {
      '/v1/events': {
        post: {
          operationId: 'publishEvent',
          tags: ['events'],
          summary: 'Publish an event',
          description:
            'Validates the event against its contract, checks that the key may speak for `sourceRegion` (and `sourceOffice`), and stores it for delivery ' +
            "to the addressee's node and the publisher's own node. 202 means it is stored and will be delivered; follow it with GET /v1/events/{eventId}.",
          security: KEY,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              description:
                'Makes a retry safe: the same key and body answer the first event id again (with `Idempotent-Replayed: true`); the same key with another body is 409.',
              schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
            },
            { name: 'X-Correlation-Id', in: 'header', description: 'Correlation id for the event when the body names none.', schema: ref('TraceId') },
          ],
          requestBody: {
            required: true,
            description: 'One event. Examples: contracts/examples/<EventType>.json.',
            content: {
              'application/json': {
                schema: ref('EventRequest'),
                examples: Object.fromEntries(Object.entries(examples).map(([t, value]) => [t, { summary: t, value }])),
              },
            },
          },
          responses: {
            '202': json(ref('EventAccepted'), 'Accepted: stored in the outbox, to be delivered.', {
              headers: {
                'X-Correlation-Id': { description: 'The correlation id the event carries.', schema: { type: 'string' } },
                'Idempotent-Replayed': {
                  description: '`true` when an earlier request with this Idempotency-Key created the event.',
                  schema: { type: 'string', enum: ['true'] },
                },
              },
            }),
            '400': response('ValidationFailed'),
            '403': response('ForbiddenRegion'),
            '409': response('IdempotencyConflict'),
            '413': response('PayloadTooLarge'),
            '415': response('UnsupportedMediaType'),
            ...KEYED_ERRORS,
          },
        },
      },
      '/v1/events:batch': {
        post: {
          operationId: 'publishEventBatch',
          tags: ['events'],
          summary: 'Publish up to 500 events at once (batch upload)',
          description:
            "For systems that upload a day's cases at night. Each item is judged exactly as POST /v1/events judges one request (contract, the key's " +
            'region and office, the case-id rule, its `idempotencyKey` like the Idempotency-Key header) and gets the answer that call would give: ' +
            '`status` 202 with the event id, or the 4xx status with the error body. The accepted items are stored in one transaction; refused ones ' +
            'are not. A key repeated within the batch is stored once, its repeats answered as replays (or 409 with another body). The answer is 207 ' +
            'with one result per item, in order. A body that is not an array, or an empty one, is 400; more than 500 items, or a body over ' +
            'TONGBAN_GATEWAY_BATCH_MAX_BYTES (8 MiB), is 413; a dependency down is 503 with Retry-After for the whole batch, nothing stored. ' +
            'X-Correlation-Id is not given to the items: each names its own `correlationId`, else its event id is used.',
          security: KEY,
          requestBody: {
            required: true,
            description: 'A JSON array of 1–500 event requests, each with an optional `idempotencyKey`.',
            content: {
              'application/json': {
                schema: { type: 'array', items: ref('EventBatchItem'), minItems: 1, maxItems: 500 },
                examples: Object.keys(examples).length
                  ? {
                      twoEvents: {
                        summary: 'Two events, one with an idempotency key',
                        value: Object.entries(examples)
                          .slice(0, 2)
                          .map(([t, value], i) => (i === 0 ? { ...(value as object), idempotencyKey: `nightly-${t}-1` } : value)),
                      },
                    }
                  : undefined,
              },
            },
          },
          responses: {
            '207': json(ref('EventBatchResults'), 'One result per item, in the order of the request.'),
            '400': response('ValidationFailed'),
            '403': response('ForbiddenRegion'),
            '413': response('BatchTooLarge'),
            '415': response('UnsupportedMediaType'),
            ...KEYED_ERRORS,
          },
        },
      },
      '/v1/events/{eventId}': {
        get: {
          operationId: 'getEvent',
          tags: ['events'],
          summary: 'An event the caller published',
          description:
            'Whether an accepted event has left for Kafka yet. Answered for the side that published it (its division, or its service office for an office key); ' +
            "another division's event is 404, exactly as one that does not exist.",
          security: KEY,
          parameters: [
            { name: 'eventId', in: 'path', required: true, description: 'The id POST /v1/events answered.', schema: { type: 'string', format: 'uuid' } },
          ],
          responses: { '200': json(ref('EventStatus'), 'The event.'), '400': response('ValidationFailed'), '404': response('NotFound'), ...KEYED_ERRORS },
        },
      },
      '/v1/cases/{caseId}': {
        get: {
          operationId: 'getCase',
          tags: ['cases'],
          summary: 'A case',
          description:
            "Answered by the caller's region node: the deciding side sees the whole case (`view: full`), the other side its state and events (`status`), " +
            'a region that only took part its own events (`participant`). Anyone else gets 404, as for a case that does not exist.',
          security: KEY,
          parameters: [{ name: 'caseId', in: 'path', required: true, description: 'The case id.', schema: ref('CaseId') }],
          responses: { '200': json(ref('Case'), 'The case as the caller may see it.'), '404': response('NotFound'), ...KEYED_ERRORS },
        },
      },
      '/v1/cases': {
        get: {
          operationId: 'listCases',
          tags: ['cases'],
          summary: 'Cases the caller takes part in',
          description: 'Any other query parameter is refused with 400; an ID number is never taken in a URL (use POST /v1/cases:search).',
          security: KEY,
          parameters: [
            { name: 'workflow', in: 'query', description: 'Only cases of this workflow.', schema: ref('Workflow') },
            {
              name: 'state',
              in: 'query',
              description: 'Only cases in this state.',
              schema: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,39}$', examples: ['under-review'] },
            },
            { name: 'limit', in: 'query', description: 'At most this many (1–500, default 50).', schema: { type: 'string', pattern: '^[0-9]{1,3}$' } },
            {
              name: 'cursor',
              in: 'query',
              description: 'The `nextCursor` of the page before: the next page.',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,400}$' },
            },
            {
              name: 'updatedSince',
              in: 'query',
              description: 'Only cases updated at or after this time (ISO 8601 with its offset).',
              schema: { type: 'string', format: 'date-time', examples: ['2026-11-30T00:00:00Z'] },
            },
          ],
          responses: { '200': json(ref('CaseList'), 'The cases, most recently changed first.'), '400': response('ValidationFailed'), ...KEYED_ERRORS },
        },
      },
      '/v1/cases:search': {
        post: {
          operationId: 'searchCases',
          tags: ['cases'],
          summary: "A person's cases",
          description: 'The search by person: the ID number travels in the body, never in a URL.',
          security: KEY,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('CaseSearch'), examples: { person: { value: { person: '500111196804170022' } } } } },
          },
          responses: { '200': json(ref('CaseList'), 'The cases, most recently changed first.'), '400': response('ValidationFailed'), ...KEYED_ERRORS },
        },
      },
      '/v1/admin/api-keys': {
        get: {
          operationId: 'listApiKeys',
          tags: ['admin'],
          summary: 'API keys',
          security: ADMIN,
          parameters: [{ name: 'system', in: 'query', description: 'Only the keys of this system.', schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { keys: { type: 'array', items: ref('ApiKey') } }, required: ['keys'] }, 'The keys (never the secrets).'),
            ...ADMIN_ERRORS,
          },
        },
        post: {
          operationId: 'issueApiKey',
          tags: ['admin'],
          summary: 'Issue an API key',
          description: 'The key is answered once; only its salted hash is kept.',
          security: ADMIN,
          requestBody: { required: true, content: { 'application/json': { schema: ref('ApiKeyRequest') } } },
          responses: { '201': json(ref('IssuedApiKey'), 'The new key.'), '400': response('ValidationFailed'), ...ADMIN_ERRORS },
        },
      },
      '/v1/admin/api-keys/{keyId}/rotate': {
        post: {
          operationId: 'rotateApiKey',
          tags: ['admin'],
          summary: 'Rotate an API key',
          description: 'A new key for the same system and division; the old one stays valid for the overlap.',
          security: ADMIN,
          parameters: [{ name: 'keyId', in: 'path', required: true, description: 'The key id.', schema: { type: 'string' } }],
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    overlapSeconds: {
                      type: 'number',
                      minimum: 0,
                      description: 'How long the old key stays valid, in seconds (default: TONGBAN_API_KEY_ROTATION_OVERLAP_SECONDS, one day).',
                    },
                  },
                },
              },
            },
          },
          responses: {
            '201': json({ allOf: [ref('IssuedApiKey')], properties: { previous: ref('ApiKey') } }, 'The new key and the old one.'),
            '400': response('ValidationFailed'),
            '404': response('KeyNotFound'),
            '409': response('Conflict'),
            ...ADMIN_ERRORS,
          },
        },
      },
      '/v1/admin/api-keys/{keyId}/revoke': {
        post: {
          operationId: 'revokeApiKey',
          tags: ['admin'],
          summary: 'Revoke an API key',
          security: ADMIN,
          parameters: [{ name: 'keyId', in: 'path', required: true, description: 'The key id.', schema: { type: 'string' } }],
          responses: { '200': json(ref('ApiKey'), 'The revoked key.'), '404': response('KeyNotFound'), ...ADMIN_ERRORS },
        },
      },
      '/v1/disclosures': {
        get: {
          operationId: 'refuseDisclosuresInUrl',
          tags: ['admin'],
          summary: 'Always 400: use POST /v1/disclosures:search',
          description: 'An ID number is never taken in a URL; this route answers where to send it.',
          security: ADMIN,
          responses: { '400': response('ValidationFailed'), ...ADMIN_ERRORS },
        },
      },
      '/v1/disclosures:search': {
        post: {
          operationId: 'searchDisclosures',
          tags: ['admin'],
          summary: "A person's cross-region disclosures (PIPL art. 45)",
          description: 'Every disclosure of one person’s data to another region, from the audit chain. The lookup is itself recorded.',
          security: ADMIN,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { idNumber: ref('IdNumber'), limit: { type: 'integer', minimum: 1, maximum: 1000 } },
                  required: ['idNumber'],
                  additionalProperties: false,
                },
              },
            },
          },
          responses: { '200': json(ref('Disclosures'), 'The disclosures, oldest first.'), '400': response('ValidationFailed'), ...ADMIN_ERRORS },
        },
      },
      '/health': { get: health('health', 'Readiness (same as /health/ready)') },
      '/health/ready': { get: health('healthReady', 'Readiness: 200 while the gateway can serve, 503 naming the dependency it cannot do without') },
      '/health/live': {
        get: {
          operationId: 'healthLive',
          tags: ['operations'],
          summary: 'Liveness: the process answers',
          responses: {
            '200': json(
              { type: 'object', properties: { status: { const: 'ok' }, uptimeSeconds: { type: 'integer' } }, required: ['status', 'uptimeSeconds'] },
              'Alive.',
            ),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'Prometheus text exposition.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          tags: ['operations'],
          summary: 'This description (OpenAPI 3.1)',
          responses: { '200': json({ type: 'object' }, 'The OpenAPI document.') },
        },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          tags: ['operations'],
          summary: 'This description as a web page',
          responses: { '200': { description: 'HTML, self-contained.', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      schemas,
      responses: errorResponses(),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: "A municipal system's API key, bound to a division or a service office: `Authorization: Bearer <key>`.",
        },
        adminToken: { type: 'http', scheme: 'bearer', description: "The operators' admin token: `Authorization: Bearer <admin token>`." },
      },
    },
  };
}

function health(operationId: string, summary: string): Operation {
  return {
    operationId,
    tags: ['operations'],
    summary,
    responses: { '200': json(ref('HealthReport'), 'Ready (possibly degraded).'), '503': json(ref('HealthReport'), 'Not ready.') },
  };
}

function eventRequestVariant(eventType: string, workflow: string, doc: string | undefined, payload: JsonSchema): JsonSchema {
  return {
    title: eventType,
    description: `${doc ?? eventType} (workflow: ${workflow})`,
    type: 'object',
    properties: {
      eventType: { const: eventType },
      caseId: ref('CaseId'),
      sourceRegion: { ...ref('DivisionCode'), description: 'The division that publishes: the key must cover it.' },
      targetRegion: { ...ref('DivisionCode'), description: 'The division the event is addressed to.' },
      occurredAt: { type: 'string', format: 'date-time', description: 'When it happened (ISO-8601); at most 5 minutes in the future.' },
      sourceOffice: {
        anyOf: [ref('OfficeId'), { type: 'null' }],
        description: 'The service office that publishes; an office key stamps its own when left out.',
      },
      targetOffice: { anyOf: [ref('OfficeId'), { type: 'null' }], description: "The service office addressed, when the target is an office's case." },
      correlationId: {
        anyOf: [ref('TraceId'), { type: 'null' }],
        description: 'Ties the events of one conversation together; defaults to X-Correlation-Id, else the event id.',
      },
      causationId: { anyOf: [ref('TraceId'), { type: 'null' }], description: 'The event this one answers.' },
      payload,
    },
    required: ['eventType', 'caseId', 'sourceRegion', 'targetRegion', 'occurredAt', 'payload'],
    additionalProperties: false,
  };
}

function sharedSchemas(): Record<string, JsonSchema> {
  const timestamp = { type: 'string', format: 'date-time' };
  return {
    CaseId: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{2,99}$',
      description: '3–100 letters, digits, `.`, `_`, `:` or `-`.',
      examples: ['SUB-510104-2026-000123'],
    },
    DivisionCode: {
      type: 'string',
      pattern: '^[0-9]{6}$',
      description: 'GB/T 2260 division code of Sichuan (51xxxx) or Chongqing (50xxxx).',
      examples: ['510104'],
    },
    OfficeId: { type: 'string', enum: SERVICE_OFFICES.map((o) => o.id), description: 'A cross-region service office.' },
    TraceId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,100}$' },
    IdNumber: { type: 'string', pattern: '^[0-9]{17}[0-9Xx]$', description: 'Resident ID number (GB 11643-1999).' },
    Workflow: { type: 'string', enum: ['disability-subsidy', 'marriage-registration', 'funeral-transfer', 'economic-check'] },
    EventAccepted: {
      type: 'object',
      properties: { eventId: { type: 'string', format: 'uuid' }, caseId: ref('CaseId'), correlationId: { type: 'string' } },
      required: ['eventId', 'caseId', 'correlationId'],
    },
    IdempotencyKey: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$', description: '1–200 visible ASCII characters.' },
    EventBatchResults: {
      type: 'object',
      properties: { results: { type: 'array', items: ref('EventBatchResult') } },
      required: ['results'],
    },
    EventBatchResult: {
      type: 'object',
      description: 'What POST /v1/events would have answered for this item alone.',
      properties: {
        index: { type: 'integer', minimum: 0, description: "The item's position in the request, from 0." },
        status: { type: 'integer', description: '202 when accepted (stored), else the 4xx status of the refusal.' },
        eventId: { type: 'string', format: 'uuid' },
        caseId: ref('CaseId'),
        correlationId: { type: 'string' },
        replayed: { const: true, description: 'An earlier request or item with the same idempotencyKey created the event.' },
        problem: {
          type: 'object',
          description: 'The problem POST /v1/events would have answered for this item (RFC 9457 members, without the deprecated `error`).',
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*\\.[A-Z][A-Z0-9_]*$' },
            problems: { type: 'array', items: ref('Problem') },
          },
          required: ['type', 'title', 'status', 'detail', 'code'],
        },
        error: {
          type: 'object',
          deprecated: true,
          description: 'The refusal as the deprecated `error` member of the single call’s problem.',
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: ref('Problem') } },
          required: ['code', 'message', 'details'],
        },
      },
      required: ['index', 'status'],
    },
    EventStatus: {
      type: 'object',
      properties: {
        eventId: { type: 'string', format: 'uuid' },
        eventType: { type: 'string' },
        caseId: ref('CaseId'),
        sourceRegion: ref('DivisionCode'),
        targetRegion: ref('DivisionCode'),
        sourceOffice: { anyOf: [ref('OfficeId'), { type: 'null' }] },
        correlationId: { type: 'string' },
        acceptedAt: timestamp,
        status: { type: 'string', enum: ['accepted', 'sent'], description: '`accepted`: stored, not yet on Kafka; `sent`: every copy is on Kafka.' },
        sentAt: {
          anyOf: [timestamp, { type: 'null' }],
          description: 'When the last copy reached Kafka (null while accepted, and once the sent record is purged).',
        },
        transit: {
          anyOf: [ref('Transit'), { type: 'null' }],
          description: "Only at a province's gateway, for an event addressed to the other province: where it is on its way there (null while still accepted).",
        },
        nodes: {
          type: 'array',
          items: ref('NodeOutcome'),
          description: "What each node of this gateway's province that got a copy did with it (empty once the sent copies are purged).",
        },
      },
      required: ['eventId', 'eventType', 'caseId', 'sourceRegion', 'targetRegion', 'sourceOffice', 'correlationId', 'acceptedAt', 'status', 'sentAt'],
    },
    NodeOutcome: {
      type: 'object',
      properties: {
        node: ref('DivisionCode'),
        outcome: {
          type: 'string',
          enum: ['applied', 'rejected', 'noted', 'pending', 'unknown'],
          description:
            "`applied` to its case; `rejected` by the case's rules (see `reason`); `noted` as this region's part of a case held elsewhere; `pending` not handled yet; `unknown` the node did not answer.",
        },
        reason: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'The case rule that refused it (`<REASON_CODE>: <text>`), for `rejected` only.' },
        at: { anyOf: [timestamp, { type: 'null' }], description: 'When the node handled it.' },
      },
      required: ['node', 'outcome', 'reason', 'at'],
    },
    Transit: {
      type: 'object',
      description: 'An event crossing to the other province, from the receipts that province sends back.',
      properties: {
        province: ref('DivisionCode'),
        status: {
          type: 'string',
          enum: ['in-transit', 'arrived', 'applied', 'rejected', 'unknown'],
          description:
            '`in-transit`: sent into the link, no receipt yet; `arrived`: parked there as a dead letter; `applied`/`rejected`: what its node recorded; `unknown`: the receipts could not be read.',
        },
        since: { anyOf: [timestamp, { type: 'null' }], description: 'When it was sent into the link.' },
        at: { anyOf: [timestamp, { type: 'null' }], description: 'When the other province recorded the outcome (null without a receipt).' },
        node: { anyOf: [ref('DivisionCode'), { type: 'null' }], description: 'The receiving node (null without a receipt).' },
        error: { type: 'string', description: 'Why the status is unknown.' },
      },
      required: ['province', 'status', 'since', 'at', 'node'],
    },
    CaseCrossing: {
      type: 'object',
      description: "One of the caller's events of the case addressed to the other province; `status` `accepted` while it is still in the outbox.",
      properties: {
        eventId: { type: 'string', format: 'uuid' },
        eventType: { type: 'string' },
        acceptedAt: timestamp,
        province: ref('DivisionCode'),
        status: { type: 'string', enum: ['accepted', 'in-transit', 'arrived', 'applied', 'rejected', 'unknown'] },
        since: { anyOf: [timestamp, { type: 'null' }] },
        at: { anyOf: [timestamp, { type: 'null' }] },
        node: { anyOf: [ref('DivisionCode'), { type: 'null' }] },
        error: { type: 'string' },
      },
      required: ['eventId', 'eventType', 'acceptedAt', 'province', 'status', 'since', 'at', 'node'],
    },
    CaseSearch: {
      type: 'object',
      properties: {
        person: ref('IdNumber'),
        workflow: ref('Workflow'),
        state: { type: 'string' },
        limit: { type: 'integer', minimum: 1, maximum: 500 },
        cursor: { type: 'string', description: 'The `nextCursor` of the page before.' },
        updatedSince: { type: 'string', format: 'date-time', description: 'Only cases updated at or after this time.' },
      },
      additionalProperties: false,
    },
    CaseSummary: {
      type: 'object',
      properties: {
        caseId: ref('CaseId'),
        workflow: ref('Workflow'),
        state: { type: 'string' },
        acceptingRegion: ref('DivisionCode'),
        responsibleRegion: ref('DivisionCode'),
        updatedAt: timestamp,
        view: { type: 'string', enum: ['full', 'status'] },
      },
      required: ['caseId', 'workflow', 'state', 'view'],
    },
    CaseList: {
      type: 'object',
      properties: {
        cases: { type: 'array', items: ref('CaseSummary') },
        nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'Pass it as `cursor` for the next page; null on the last page.' },
      },
      required: ['cases'],
    },
    Case: {
      type: 'object',
      description: 'A case; `data`, `version` and the payloads of `history` only in the full view.',
      properties: {
        caseId: ref('CaseId'),
        workflow: ref('Workflow'),
        state: { type: 'string' },
        view: { type: 'string', enum: ['full', 'status', 'participant'] },
        acceptingRegion: ref('DivisionCode'),
        responsibleRegion: ref('DivisionCode'),
        acceptingOffice: { anyOf: [ref('OfficeId'), { type: 'null' }] },
        openedAt: timestamp,
        updatedAt: timestamp,
        version: { type: 'integer' },
        data: { type: 'object', description: "The workflow's record of the case." },
        deadlines: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, startedAt: timestamp, dueAt: timestamp, mustAct: ref('DivisionCode') } },
        },
        history: { type: 'array', items: ref('CaseHistoryEntry') },
        crossings: {
          type: 'array',
          items: ref('CaseCrossing'),
          description:
            "Only at a province's gateway: the caller's own events of the case addressed to the other province, oldest first, each with where it is on its way.",
        },
      },
      required: ['caseId', 'view', 'history'],
    },
    CaseHistoryEntry: {
      type: 'object',
      properties: {
        eventId: { type: 'string' },
        seq: { type: 'integer' },
        eventType: { type: 'string' },
        sourceRegion: ref('DivisionCode'),
        targetRegion: ref('DivisionCode'),
        occurredAt: timestamp,
        receivedAt: timestamp,
        at: timestamp,
        outcome: { type: 'string', description: 'applied, rejected, …' },
        reason: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        stateAfter: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        payload: { type: 'object' },
        carriedOver: { const: true },
      },
      required: ['eventType'],
    },
    ApiKey: {
      type: 'object',
      properties: {
        keyId: { type: 'string' },
        systemName: { type: 'string' },
        division: ref('DivisionCode'),
        officeId: { anyOf: [ref('OfficeId'), { type: 'null' }] },
        origin: { type: 'string', description: 'Where the key came from (issued here, or a bootstrap key of the configuration).' },
        rotatedFrom: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        createdAt: timestamp,
        expiresAt: { anyOf: [timestamp, { type: 'null' }] },
        revokedAt: { anyOf: [timestamp, { type: 'null' }] },
        state: { type: 'string', enum: ['active', 'expired', 'revoked'] },
        ratePerSecond: { anyOf: [{ type: 'number' }, { type: 'null' }] },
        burst: { anyOf: [{ type: 'number' }, { type: 'null' }] },
      },
      required: ['keyId', 'systemName', 'division', 'state'],
    },
    ApiKeyRequest: {
      type: 'object',
      properties: {
        systemName: { type: 'string', pattern: '^[\\w.:@ -]{3,200}$' },
        division: { type: 'string', description: 'A division code or a service office id.' },
        expiresAt: { anyOf: [timestamp, { type: 'null' }] },
        ratePerSecond: { type: 'number', minimum: 1 },
        burst: { type: 'number', minimum: 1 },
      },
      required: ['systemName', 'division'],
    },
    IssuedApiKey: { allOf: [ref('ApiKey')], properties: { key: { type: 'string', description: 'The secret; shown once.' } }, required: ['key'] },
    Disclosures: {
      type: 'object',
      properties: {
        personRef: { type: 'string' },
        disclosures: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              at: timestamp,
              eventId: { type: 'string' },
              caseId: { type: 'string' },
              eventType: { type: 'string' },
              fromRegion: ref('DivisionCode'),
              toRegion: ref('DivisionCode'),
              fields: { type: 'array', items: { type: 'string' } },
              publishedBy: { type: 'string' },
              auditSeq: { type: 'integer', description: 'The chain entry recording it (for a record of a group, the group entry).' },
              auditHash: { type: 'string' },
              recordId: { type: 'string', description: 'A record of a group: its id (its inclusion proof: GET /v1/audit/records/{id}/proof at ops).' },
              leafHash: { type: 'string', description: 'A record of a group: SHA-256(0x00 ‖ canonical JSON of the record).' },
            },
          },
        },
      },
      required: ['personRef', 'disclosures'],
    },
    HealthReport: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'degraded', 'error'] },
        checks: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: { status: { type: 'string', enum: ['up', 'down'] }, latencyMs: { type: 'number' }, error: { type: 'string' }, details: {} },
            required: ['status', 'latencyMs'],
          },
        },
      },
      required: ['status', 'checks'],
    },
    ...problemSchemas(),
  };
}

function errorResponses(): Record<string, unknown> {
  const error = problemResponse;
  const retryAfter = RETRY_AFTER;
  return {
    ValidationFailed: error('Bad input: every problem, each with its path.', {
      code: 'REQUEST.INVALID',
      detail: '1 problem(s) in the input',
      problems: [{ path: 'payload.applicant.idNumber', problem: 'check character is 3, expected 2' }],
    }),
    Unauthenticated: error('No key, or an unknown, expired or revoked one.', {
      code: 'AUTH.UNAUTHENTICATED',
      detail: 'missing Authorization: Bearer <API key>',
    }),
    ForbiddenRegion: error('The key may not speak for this region or office.', {
      code: 'AUTH.FORBIDDEN_REGION',
      detail: 'key for division 510000 may not publish for 500111',
    }),
    AdminForbidden: error('Not the admin token.', { code: 'GATEWAY.ADMIN_TOKEN_REQUIRED', detail: 'this endpoint needs the admin token' }),
    NotFound: error('Not there, or not the caller’s to see (the same answer).', { code: 'CASE.NOT_FOUND', detail: 'case SUB-510104-2026-000123 not found' }),
    KeyNotFound: error('No API key with this id.', { code: 'AUTH.API_KEY_NOT_FOUND', detail: 'no API key k-1' }),
    IdempotencyConflict: error('The Idempotency-Key was used with another body.', {
      code: 'GATEWAY.IDEMPOTENCY_CONFLICT',
      detail: 'Idempotency-Key "k-1" was already used with a different body',
    }),
    Conflict: error('The key is revoked.', { code: 'AUTH.API_KEY_REVOKED', detail: 'API key k-1 is revoked; issue a new key instead' }),
    PayloadTooLarge: error('The body is over 1 MiB.', {
      code: 'REQUEST.BODY_TOO_LARGE',
      detail: 'the body is larger than 1048576 bytes',
      problems: [{ path: 'body', problem: 'the body is larger than 1048576 bytes' }],
    }),
    BatchTooLarge: error('The batch holds more than 500 events, or its body is over TONGBAN_GATEWAY_BATCH_MAX_BYTES (8 MiB).', {
      code: 'REQUEST.BODY_TOO_LARGE',
      detail: 'holds 501 events; a batch holds at most 500',
    }),
    UnsupportedMediaType: error('The body’s encoding or charset is not supported.', {
      code: 'REQUEST.UNSUPPORTED_ENCODING',
      detail: 'unsupported charset "LATIN-9"',
      problems: [{ path: 'body', problem: 'unsupported charset "LATIN-9"' }],
    }),
    RateLimited: error('Over the key’s rate limit.', { code: 'AUTH.RATE_LIMITED', detail: 'rate limit of this API key exceeded; retry after 1 s' }, retryAfter),
    Unavailable: error(
      'A dependency (database, region node, registry) is unavailable, or the gateway’s write queue is full (code SERVICE.OVERLOADED): nothing was done, try again after Retry-After.',
      { code: 'DEPENDENCY.UNAVAILABLE', detail: 'a dependency of this service is unavailable; try again later' },
      retryAfter,
    ),
  };
}
