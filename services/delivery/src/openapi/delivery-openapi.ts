import {
  jsonBody,
  jsonResponse,
  objectSchema,
  pathParam,
  problemResponse,
  problemSchemas,
  queryParam,
  responseRef,
  schemaRef,
  sharedProblemResponses,
  type ServiceApiDocument,
} from '@tongban/http';
import { DELIVERY_STATES } from '../deliveries/deliveries.controller';

const KEY = [{ apiKey: [] }];
const KEY_OR_ADMIN: Array<Record<string, string[]>> = [{ apiKey: [] }, { adminToken: [] }];
const AUTH_ERRORS = { '401': responseRef('Unauthenticated'), '429': responseRef('TooManyFailedAttempts'), '503': responseRef('Unavailable') };
const object = objectSchema;

/** The delivery service's OpenAPI 3.1 description: partners' webhook subscriptions and the deliveries made to them. */
export function buildDeliveryOpenApiDocument(version: string, eventTypes: string[]): ServiceApiDocument {
  const text = { 'text/plain': { schema: { type: 'string' } } };
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'tongban delivery',
      version,
      description:
        "Webhooks for partner systems: a partner registers a subscription with its own API key (the gateway's keys) and receives the events addressed to a " +
        'region its key covers, signed with the secret answered once at registration. Operators see every delivery with the admin token ' +
        '(TONGBAN_ADMIN_TOKEN); a partner sees its own. Errors are RFC 9457 problems (`application/problem+json`) of the codes in libs/errors/src/codes.ts.',
    },
    servers: [{ url: '/', description: 'this delivery service' }],
    tags: [
      { name: 'subscriptions', description: "A partner's webhook subscriptions (its API key)." },
      { name: 'deliveries', description: 'Deliveries to the subscriptions, and redelivery of parked ones.' },
      { name: 'operations', description: 'Health, metrics and this description (no credential).' },
    ],
    paths: {
      '/v1/subscriptions': {
        post: {
          operationId: 'createSubscription',
          tags: ['subscriptions'],
          summary: 'Register a webhook',
          description:
            'The URL must be https (plain http only in the development profile) and must not point at a private, loopback, link-local or metadata address. ' +
            'The answer carries the signing secret, shown this once. A key holds a limited number of subscriptions (TONGBAN_DELIVERY_MAX_SUBSCRIPTIONS_PER_KEY).',
          security: KEY,
          requestBody: jsonBody(schemaRef('SubscriptionRequest'), { url: 'https://partner.example/hooks/tongban', eventTypes: ['*'], region: '510104' }),
          responses: {
            '201': jsonResponse(schemaRef('CreatedSubscription'), 'Registered; `secret` signs every delivery (shown once).'),
            '400': responseRef('ValidationFailed'),
            '403': responseRef('ForbiddenRegion'),
            '409': responseRef('TooManySubscriptions'),
            ...AUTH_ERRORS,
          },
        },
        get: {
          operationId: 'listSubscriptions',
          tags: ['subscriptions'],
          summary: "The caller's subscriptions",
          security: KEY,
          responses: {
            '200': jsonResponse(
              object('The subscriptions.', { subscriptions: { type: 'array', items: schemaRef('Subscription') } }, ['subscriptions']),
              'The subscriptions (never the secrets).',
            ),
            ...AUTH_ERRORS,
          },
        },
      },
      '/v1/subscriptions/{id}': {
        delete: {
          operationId: 'deleteSubscription',
          tags: ['subscriptions'],
          summary: 'Delete a subscription',
          description: "Another system's subscription is 404, as one that does not exist.",
          security: KEY,
          parameters: [pathParam('id', 'The subscription id.')],
          responses: { '204': { description: 'Deleted.' }, '404': responseRef('SubscriptionNotFound'), ...AUTH_ERRORS },
        },
      },
      '/v1/deliveries': {
        get: {
          operationId: 'listDeliveries',
          tags: ['deliveries'],
          summary: 'Deliveries, oldest first',
          description: "With the admin token every subscription's; with a partner's API key its own subscriptions'.",
          security: KEY_OR_ADMIN,
          parameters: [
            queryParam('state', 'Only deliveries in this state.', { type: 'string', enum: DELIVERY_STATES }),
            queryParam('caseId', 'Only deliveries of this case.'),
            queryParam('limit', 'At most this many (1–1000, default 100).', { type: 'string', pattern: '^[0-9]{1,4}$' }),
          ],
          responses: {
            '200': jsonResponse(object('The deliveries.', { deliveries: { type: 'array', items: schemaRef('Delivery') } }, ['deliveries']), 'The deliveries.'),
            '400': responseRef('ValidationFailed'),
            ...AUTH_ERRORS,
          },
        },
      },
      '/v1/deliveries/{id}/redeliver': {
        post: {
          operationId: 'redeliver',
          tags: ['deliveries'],
          summary: 'Queue a parked delivery again',
          description: "Only a parked delivery (409 otherwise); a partner only its own (another's is 404).",
          security: KEY_OR_ADMIN,
          parameters: [pathParam('id', 'The delivery id.', { type: 'string', pattern: '^[0-9]{1,18}$' })],
          responses: {
            '202': jsonResponse(
              object(
                'Queued.',
                {
                  deliveryId: { type: 'string' },
                  state: { const: 'queued' },
                  eventId: { type: 'string' },
                  eventType: { type: 'string' },
                  caseId: { type: 'string' },
                  subscriptionId: { type: 'string' },
                },
                ['deliveryId', 'state', 'eventId', 'eventType', 'caseId', 'subscriptionId'],
              ),
              'Queued for delivery.',
            ),
            '404': responseRef('DeliveryNotFound'),
            '409': responseRef('NotParked'),
            ...AUTH_ERRORS,
          },
        },
      },
      '/health/live': {
        get: { operationId: 'live', tags: ['operations'], summary: 'Liveness', responses: { '200': jsonResponse(object('Up.'), 'The process runs.') } },
      },
      '/health': {
        get: {
          operationId: 'health',
          tags: ['operations'],
          summary: 'Readiness and its checks',
          responses: { '200': jsonResponse(object('Health.'), 'Ready.'), '503': jsonResponse(object('Health.'), 'A dependency is down.') },
        },
      },
      '/health/ready': {
        get: {
          operationId: 'ready',
          tags: ['operations'],
          summary: 'Readiness (the same as /health)',
          responses: { '200': jsonResponse(object('Health.'), 'Ready.'), '503': jsonResponse(object('Health.'), 'A dependency is down.') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'The metrics.', content: text } },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openapi', tags: ['operations'], summary: 'This document', responses: { '200': jsonResponse({ type: 'object' }, 'OpenAPI 3.1.') } },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          tags: ['operations'],
          summary: 'This document as a page',
          responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: "A partner system's API key (issued at the gateway): `Authorization: Bearer <key>`." },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: "The operators' token of the delivery service (TONGBAN_ADMIN_TOKEN): `Authorization: Bearer <token>`.",
        },
      },
      schemas: {
        ...problemSchemas(),
        SubscriptionRequest: {
          type: 'object',
          properties: {
            url: { type: 'string', format: 'uri', description: 'Where the events are posted: https, no credentials, not an internal address.' },
            eventTypes: {
              type: 'array',
              minItems: 1,
              items: { type: 'string', enum: ['*', ...eventTypes] },
              default: ['*'],
              description: '`["*"]` for every event type.',
            },
            region: { type: 'string', pattern: '^[0-9]{6}$', description: 'Events addressed to this division; the key must cover it.' },
          },
          required: ['url', 'region'],
        },
        Subscription: object(
          'A subscription.',
          {
            subscriptionId: { type: 'string' },
            keyId: { type: 'string' },
            systemName: { type: 'string' },
            region: { type: 'string' },
            url: { type: 'string' },
            eventTypes: { type: 'array', items: { type: 'string' } },
            createdAt: { type: 'string' },
          },
          ['subscriptionId', 'keyId', 'systemName', 'region', 'url', 'eventTypes', 'createdAt'],
        ),
        Delivery: object(
          'A delivery of one event to one subscription (never its body).',
          {
            deliveryId: { type: 'string' },
            subscriptionId: { type: 'string' },
            systemName: { type: ['string', 'null'], description: 'The partner system of the subscription; null once the subscription is gone.' },
            eventId: { type: 'string' },
            eventType: { type: 'string' },
            caseId: { type: 'string' },
            targetRegion: { type: 'string' },
            state: { type: 'string', enum: DELIVERY_STATES },
            attempts: { type: 'integer', description: 'Attempts in the current retry window (a redelivery starts a new one).' },
            lastStatus: { type: ['integer', 'null'], description: "The receiver's last HTTP status; null when it did not answer." },
            lastError: { type: ['string', 'null'] },
            createdAt: { type: 'string', format: 'date-time' },
            firstAttemptAt: { type: ['string', 'null'], format: 'date-time' },
            deliveredAt: { type: ['string', 'null'], format: 'date-time' },
            parkedAt: { type: ['string', 'null'], format: 'date-time' },
          },
          [
            'deliveryId',
            'subscriptionId',
            'systemName',
            'eventId',
            'eventType',
            'caseId',
            'targetRegion',
            'state',
            'attempts',
            'lastStatus',
            'lastError',
            'createdAt',
            'firstAttemptAt',
            'deliveredAt',
            'parkedAt',
          ],
        ),
        CreatedSubscription: { allOf: [schemaRef('Subscription'), object('With the signing secret.', { secret: { type: 'string' } }, ['secret'])] },
      },
      responses: {
        ValidationFailed: problemResponse('Bad input: every problem, each with its path.', {
          code: 'REQUEST.INVALID',
          detail: '1 problem(s) in the input',
          problems: [{ path: 'url', problem: 'must be https' }],
        }),
        Unauthenticated: problemResponse('No key, or an unknown, expired or revoked one (or not the admin token).', {
          code: 'AUTH.UNAUTHENTICATED',
          detail: 'missing Authorization: Bearer <api key>',
        }),
        ForbiddenRegion: problemResponse('The key may not receive the events of this region.', {
          code: 'AUTH.FORBIDDEN_REGION',
          detail: 'key for 510000 may not subscribe to events addressed to 500111',
        }),
        TooManySubscriptions: problemResponse('The key holds as many subscriptions as allowed.', {
          code: 'DELIVERY.TOO_MANY_SUBSCRIPTIONS',
          detail: 'this key already holds 20 subscriptions, the most allowed; delete one first',
        }),
        SubscriptionNotFound: problemResponse("No such subscription, or not the caller's.", {
          code: 'DELIVERY.SUBSCRIPTION_NOT_FOUND',
          detail: 'no subscription 3f2a',
        }),
        DeliveryNotFound: problemResponse("No such delivery, or not the caller's.", { code: 'DELIVERY.NOT_FOUND', detail: 'no delivery 42' }),
        NotParked: problemResponse('Only a parked delivery is redelivered.', {
          code: 'DELIVERY.NOT_PARKED',
          detail: 'delivery 42 is delivered; only a parked delivery is redelivered',
        }),
        ...sharedProblemResponses(),
      },
    },
  };
}
