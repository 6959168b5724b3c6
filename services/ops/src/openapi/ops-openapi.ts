import {
  jsonBody,
  jsonResponse,
  objectSchema,
  pathParam,
  problemResponse,
  problemSchemas,
  queryParam,
  responseRef,
  RETRY_AFTER,
  schemaRef,
  sharedProblemResponses,
  type Schema,
  type ServiceApiDocument,
  type ServiceOperation,
} from '@tongban/http';
import { AUDIT_BREAKS } from '@tongban/audit';
import { HOLD_RESOLUTIONS, HOLD_STATUSES, RELEASE_OUTCOMES } from '@tongban/kafka';
import { WITNESS_STATUSES } from '../audit/witness/witness-check';
import { DEAD_LETTER_STATES, FILTER_FIELDS, WORKFLOWS } from '../dead-letters/domain/dead-letter';
import { AGE_BUCKETS } from '../dead-letters/domain/triage';
import { MAX_BULK_DISCARD } from '../dead-letters/infrastructure/dlq.controller';
import { REPLAY_ITEM_OUTCOMES, REPLAY_JOB_STATES } from '../dead-letters/infrastructure/replay-job.repository';
import { DELIVERY_STATES } from '../deliveries/delivery-view';
import { leastRoleFor, type Permission, type Role } from '../operators/operator-registry';

/**
 * Routes the document leaves out on purpose: `POST /internal/transit/receipts` is called by the gateway
 * with the service token (not an operator's), and is no API for people or partner systems.
 */
export const UNDOCUMENTED_OPS_ROUTES = ['POST /internal/transit/receipts'];

const OPERATOR = [{ operatorToken: [] }];

/** The problems every operator route may answer besides its own. */
const AUTH_ERRORS = { '401': responseRef('OperatorUnauthenticated'), '429': responseRef('TooManyFailedAttempts'), '503': responseRef('Unavailable') };
const ROLE_ERRORS = { ...AUTH_ERRORS, '403': responseRef('OperatorForbidden') };

/** An operator route: its least role (from the permission it checks) in `x-tongban-role` and in its description. */
function operatorRoute(permission: Permission | 'any', op: Omit<ServiceOperation, 'security' | 'x-tongban-role'>): ServiceOperation {
  const role: Role = permission === 'any' ? 'viewer' : leastRoleFor(permission);
  const who = permission === 'any' ? 'Any operator token.' : `Role ${role} or above (permission \`${permission}\`).`;
  return {
    ...op,
    description: op.description ? `${who} ${op.description}` : who,
    security: OPERATOR,
    'x-tongban-role': role,
    ...(permission === 'any' ? {} : { 'x-tongban-permission': permission }),
    responses: { ...op.responses, ...(permission === 'any' ? AUTH_ERRORS : ROLE_ERRORS) },
  };
}

const filterParams = [
  queryParam('state', 'Only letters in this state.', { type: 'string', enum: [...DEAD_LETTER_STATES] }),
  queryParam('workflow', 'Only letters of this workflow.', schemaRef('Workflow')),
  ...['region', 'topic', 'eventType', 'errorClass', 'errorCode', 'caseId', 'eventId', 'correlationId'].map((name) =>
    queryParam(name, `Only letters whose ${name} is this (up to 300 characters).`),
  ),
  queryParam('q', 'Free text searched in the reason and the error message.'),
  queryParam('from', 'Only letters parked at or after this time (ISO 8601).', { type: 'string', format: 'date-time' }),
  queryParam('to', 'Only letters parked before this time (ISO 8601).', { type: 'string', format: 'date-time' }),
];
const pagingParams = [
  queryParam('limit', 'At most this many (1–500, default 50).', { type: 'string', pattern: '^[0-9]{1,3}$' }),
  queryParam('cursor', 'The `nextCursor` of the page before.', { type: 'string', pattern: '^[0-9]{1,15}$' }),
];
const letterId = pathParam('id', 'The dead letter id.', { type: 'string', pattern: '^[0-9]{1,15}$' });
const jobId = pathParam('jobId', 'The bulk replay id (a UUID).', { type: 'string', format: 'uuid' });
const object = objectSchema;
/** An object whose every listed member is always there. */
const record = (description: string, properties: Record<string, Schema>): Schema => object(description, properties, Object.keys(properties));
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const nullable = (type: 'string' | 'integer', extra: Schema = {}): Schema => ({ type: [type, 'null'], ...(extra as object) });
const dateTime: Schema = { type: 'string', format: 'date-time' };
const count = (description: string, value: Schema): Schema => ({
  type: 'array',
  description,
  items: object('One value and its letters.', { value, count: int }, ['value', 'count']),
});
const holdAnswer: Schema = {
  type: 'string',
  enum: ['released', 'nothing-held', 'failed'],
  description: "What the letter's node did with the hold the letter left on its case.",
};
/** Where a chain first broke. */
const firstBroken = object(
  'Where the first break is; absent when every chain holds.',
  {
    seq: int,
    entryId: str,
    problem: { type: 'string', enum: [...AUDIT_BREAKS] },
    message: str,
    recordId: str,
    pos: int,
    database: str,
    chain: str,
  },
  ['seq', 'problem', 'message'],
);
const auditFacts: Record<string, Schema> = {
  at: dateTime,
  actor: str,
  actorKind: { type: 'string', enum: ['operator', 'service'] },
  action: str,
  subject: record('What the entry concerns; persons only as keyed hashes.', {
    messages: { type: 'array', items: str },
    cases: { type: 'array', items: str },
    persons: { type: 'array', items: str },
    regions: { type: 'array', items: str },
  }),
  details: { type: 'object', description: 'What the action records; its members depend on the action.' },
  before: { description: 'The state before the action, if it recorded one.' },
  after: { description: 'The state after the action, if it recorded one.' },
};
const AUDIT_FACTS = ['at', 'actor', 'actorKind', 'action', 'subject', 'details'];
const chainWitness = object(
  'One chain compared with the heads the other province witnessed of it.',
  {
    database: str,
    chain: str,
    status: { type: 'string', enum: [...WITNESS_STATUSES] },
    length: nullable('integer', { description: 'Entries the chain holds now.' }),
    witnessedLength: nullable('integer'),
    witnessedAt: nullable('string'),
    checked: { type: 'integer', description: 'Witnessed heads compared with the chain.' },
    brokenAt: int,
    message: str,
  },
  ['database', 'chain', 'status', 'length', 'witnessedLength', 'witnessedAt', 'checked'],
);
const witnessConflict = record('A head the other province reported that contradicts one it reported before.', {
  owner: str,
  database: str,
  chain: str,
  length: int,
  headHash: str,
  receivedAt: dateTime,
  conflict: str,
});

/** The ops service's OpenAPI 3.1 description: the operators' API behind the console (dead letters, holds, audit, link). */
export function buildOpsOpenApiDocument(version: string): ServiceApiDocument {
  const paths: ServiceApiDocument['paths'] = {
    '/v1/me': {
      get: operatorRoute('any', {
        operationId: 'me',
        tags: ['operators'],
        summary: 'Who the token belongs to and what they may do',
        responses: { '200': jsonResponse(schemaRef('Operator'), 'The operator.') },
      }),
    },
    '/v1/dlq': {
      get: operatorRoute('dlq.read', {
        operationId: 'listDeadLetters',
        tags: ['dead-letters'],
        summary: 'Dead letters, newest first',
        description: 'Filtered by the query; personal data is masked.',
        parameters: [...filterParams, ...pagingParams],
        responses: { '200': jsonResponse(schemaRef('DeadLetterPage'), 'A page of letters.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/dlq/counts': {
      get: operatorRoute('dlq.read', {
        operationId: 'countDeadLetters',
        tags: ['dead-letters'],
        summary: 'How many letters the filters take, by workflow, event type, error code, region and age',
        parameters: filterParams,
        responses: { '200': jsonResponse(schemaRef('DeadLetterCounts'), 'The counts.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/dlq:search': {
      post: operatorRoute('dlq.read', {
        operationId: 'searchDeadLettersByPerson',
        tags: ['dead-letters'],
        summary: 'The letters naming a person',
        description:
          'Matched by the keyed hash of the ID number, which travels in the body only and is never echoed. The list filters may be given in the body too.',
        requestBody: jsonBody(
          object(
            'A person and optional filters.',
            { idNumber: schemaRef('IdNumber'), limit: { type: 'integer', minimum: 1, maximum: 500 }, cursor: { type: 'integer', minimum: 1 } },
            ['idNumber'],
          ),
          { idNumber: '500111196804170022' },
        ),
        responses: { '200': jsonResponse(schemaRef('DeadLetterPage'), 'A page of letters.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/dlq/counts:search': {
      post: operatorRoute('dlq.read', {
        operationId: 'countDeadLettersByPerson',
        tags: ['dead-letters'],
        summary: 'How many letters naming a person the filters take, by workflow, event type, error code, region and age',
        description: 'Matched by the keyed hash of the ID number, which travels in the body only; audited like the search.',
        requestBody: jsonBody(object('A person and optional filters.', { idNumber: schemaRef('IdNumber') }, ['idNumber']), { idNumber: '500111196804170022' }),
        responses: { '200': jsonResponse(schemaRef('DeadLetterCounts'), "The person's counts."), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/dlq:discard': {
      post: operatorRoute('dlq.discard', {
        operationId: 'discardDeadLetters',
        tags: ['dead-letters'],
        summary: `Discard up to ${MAX_BULK_DISCARD} selected letters`,
        description: 'Each discard is audited; the answer gives the outcome per id.',
        requestBody: jsonBody(
          object(
            'The letters and why.',
            {
              ids: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: MAX_BULK_DISCARD },
              reason: { type: 'string', minLength: 1, maxLength: 2000 },
            },
            ['ids', 'reason'],
          ),
          { ids: [12, 13], reason: 'test events of the training system' },
        ),
        responses: { '200': jsonResponse(schemaRef('DiscardOutcomes'), 'Done.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/dlq/{id}': {
      get: operatorRoute('dlq.read', {
        operationId: 'getDeadLetter',
        tags: ['dead-letters'],
        summary: 'One dead letter, decoded',
        description: 'Masked by default; `view=clear` shows the personal data, needs the admin role (`dlq.read-clear`) and a `reason`, and is audited.',
        parameters: [
          letterId,
          queryParam('view', '`masked` (default) or `clear`.', { type: 'string', enum: ['masked', 'clear'] }),
          queryParam('reason', 'Why the personal data must be seen (required with `view=clear`, up to 500 characters).'),
        ],
        responses: {
          '200': jsonResponse(schemaRef('DeadLetter'), 'The letter.'),
          '400': responseRef('ValidationFailed'),
          '404': responseRef('DeadLetterNotFound'),
        },
      }),
    },
    '/v1/dlq/{id}/replay': {
      post: operatorRoute('dlq.replay', {
        operationId: 'replayDeadLetter',
        tags: ['dead-letters'],
        summary: 'Send the letter to its node again',
        parameters: [letterId],
        requestBody: { ...jsonBody(object('An optional note.', { note: { type: 'string', maxLength: 2000 } })), required: false },
        responses: {
          '200': jsonResponse(schemaRef('ReplayResult'), 'Replayed.'),
          '400': responseRef('ValidationFailed'),
          '404': responseRef('DeadLetterNotFound'),
          '409': responseRef('DeadLetterConflict'),
        },
      }),
    },
    '/v1/dlq/{id}/edit': {
      post: operatorRoute('dlq.edit', {
        operationId: 'editDeadLetter',
        tags: ['dead-letters'],
        summary: 'Correct the event and replay it',
        description: 'The whole corrected event; `dryRun: true` only checks it against its contract.',
        parameters: [letterId],
        requestBody: jsonBody(
          object(
            'The corrected event.',
            {
              event: { type: 'object' },
              eventType: { type: 'string', maxLength: 100 },
              note: { type: 'string', maxLength: 2000 },
              dryRun: { type: 'boolean' },
            },
            ['event'],
          ),
        ),
        responses: {
          '200': jsonResponse(
            {
              oneOf: [schemaRef('EditCheck'), schemaRef('ReplayResult')],
              description: 'With `dryRun: true` the check, else the replay of the corrected copy.',
            },
            'Checked, or corrected and replayed.',
          ),
          '400': responseRef('ValidationFailed'),
          '404': responseRef('DeadLetterNotFound'),
          '409': responseRef('DeadLetterConflict'),
        },
      }),
    },
    '/v1/dlq/{id}/discard': {
      post: operatorRoute('dlq.discard', {
        operationId: 'discardDeadLetter',
        tags: ['dead-letters'],
        summary: 'Drop the letter, saying why',
        parameters: [letterId],
        requestBody: jsonBody(object('Why.', { reason: { type: 'string', minLength: 1, maxLength: 2000 } }, ['reason'])),
        responses: {
          '200': jsonResponse(
            object(
              'The letter after the discard.',
              {
                id: { type: 'integer' },
                state: { const: 'discarded' },
                hold: holdAnswer,
              },
              ['id', 'state', 'hold'],
            ),
            'Discarded.',
          ),
          '400': responseRef('ValidationFailed'),
          '404': responseRef('DeadLetterNotFound'),
          '409': responseRef('DeadLetterConflict'),
        },
      }),
    },
    '/v1/dlq/replay-jobs': {
      get: operatorRoute('dlq.read', {
        operationId: 'listReplayJobs',
        tags: ['replay-jobs'],
        summary: 'Bulk replays, newest first',
        parameters: [queryParam('limit', 'At most this many (default 20).', { type: 'string', pattern: '^[0-9]{1,4}$' })],
        responses: { '200': jsonResponse(object('The jobs.', { jobs: { type: 'array', items: schemaRef('ReplayJob') } }, ['jobs']), 'The jobs.') },
      }),
      post: operatorRoute('dlq.replay', {
        operationId: 'startReplayJob',
        tags: ['replay-jobs'],
        summary: 'Replay every parked letter a filter takes, paced',
        requestBody: jsonBody(schemaRef('ReplayJobRequest'), { filter: { errorCode: 'CASE.NOT_FOUND' }, ratePerSecond: 5 }),
        responses: {
          '202': jsonResponse(schemaRef('ReplayJob'), 'Started.'),
          '400': responseRef('ValidationFailed'),
          '429': responseRef('TooManyBulkReplays'),
        },
      }),
    },
    '/v1/dlq/replay-jobs:preview': {
      post: operatorRoute('dlq.replay', {
        operationId: 'previewReplayJob',
        tags: ['replay-jobs'],
        summary: 'What a bulk replay would take, and how long it would run',
        requestBody: jsonBody(schemaRef('ReplayJobRequest')),
        responses: { '200': jsonResponse(schemaRef('ReplayPreview'), 'The preview.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/dlq/replay-jobs/{jobId}': {
      get: operatorRoute('dlq.read', {
        operationId: 'getReplayJob',
        tags: ['replay-jobs'],
        summary: 'A bulk replay: progress and summary',
        parameters: [jobId],
        responses: { '200': jsonResponse(schemaRef('ReplayJob'), 'The job.'), '404': responseRef('ReplayJobNotFound') },
      }),
    },
    '/v1/dlq/replay-jobs/{jobId}/items': {
      get: operatorRoute('dlq.read', {
        operationId: 'listReplayJobItems',
        tags: ['replay-jobs'],
        summary: 'Each letter of a bulk replay and its outcome so far',
        parameters: [jobId],
        responses: {
          '200': jsonResponse(
            object(
              'Every letter of the job (at most 10000), by id.',
              {
                jobId: { type: 'string', format: 'uuid' },
                items: {
                  type: 'array',
                  items: object(
                    'One letter and its outcome so far.',
                    {
                      deadLetterId: { type: 'integer' },
                      outcome: { type: 'string', enum: [...REPLAY_ITEM_OUTCOMES] },
                      detail: { type: ['string', 'null'] },
                      updatedAt: { type: 'string', format: 'date-time' },
                    },
                    ['deadLetterId', 'outcome', 'detail', 'updatedAt'],
                  ),
                },
              },
              ['jobId', 'items'],
            ),
            'The items.',
          ),
          '404': responseRef('ReplayJobNotFound'),
        },
      }),
    },
    '/v1/dlq/replay-jobs/{jobId}/cancel': {
      post: operatorRoute('dlq.replay', {
        operationId: 'cancelReplayJob',
        tags: ['replay-jobs'],
        summary: 'Stop a running bulk replay at its next letter',
        description: 'The job becomes `cancelled` once it has stopped; one that has ended is 409.',
        parameters: [jobId],
        requestBody: { ...jsonBody(object('An optional reason.', { reason: { type: 'string', maxLength: 500 } })), required: false },
        responses: {
          '202': jsonResponse(schemaRef('ReplayJob'), 'Cancelling.'),
          '400': responseRef('ValidationFailed'),
          '404': responseRef('ReplayJobNotFound'),
          '409': responseRef('ReplayJobEnded'),
        },
      }),
    },
    '/v1/holds': {
      get: operatorRoute('dlq.read', {
        operationId: 'listHolds',
        tags: ['holds'],
        summary: 'Cases whose events wait behind a parked one',
        parameters: [
          queryParam('all', '`true` also lists released holds.', { type: 'string', enum: ['true', 'false'] }),
          queryParam('node', 'Only the holds of this node (division code).', schemaRef('DivisionCode')),
          queryParam('limit', 'At most this many (1–1000, default 100).', { type: 'string', pattern: '^[0-9]{1,4}$' }),
        ],
        responses: { '200': jsonResponse(schemaRef('Holds'), 'The holds.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/holds/{key}/release': {
      post: operatorRoute('dlq.replay', {
        operationId: 'releaseHold',
        tags: ['holds'],
        summary: 'Release a hold: its blocker replayed or discarded',
        description: '`resolution: discarded` needs permission `dlq.discard` (operator) and a `reason`.',
        parameters: [pathParam('key', 'The hold key (up to 200 characters).', { type: 'string', maxLength: 200 })],
        requestBody: jsonBody(
          object(
            'How the blocker was resolved.',
            { resolution: { type: 'string', enum: ['replayed', 'discarded'] }, reason: { type: 'string', maxLength: 2000 }, node: schemaRef('DivisionCode') },
            ['resolution'],
          ),
          { resolution: 'replayed' },
        ),
        responses: { '200': jsonResponse(schemaRef('HoldRelease'), 'Released.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/deliveries': {
      get: operatorRoute('delivery.read', {
        operationId: 'listDeliveries',
        tags: ['deliveries'],
        summary: "Webhook deliveries of this province's delivery service, oldest first",
        description:
          'Ops asks the delivery service with the admin token it is configured with (TONGBAN_OPS_DELIVERY_URL, TONGBAN_OPS_DELIVERY_TOKEN); the operator token never goes there. ' +
          '409 when no delivery service is configured, 503 when it does not answer.',
        parameters: [
          queryParam('state', 'Only deliveries in this state (`parked`: given up after the retry window).', { type: 'string', enum: [...DELIVERY_STATES] }),
          queryParam('caseId', 'Only the deliveries of this case (up to 100 characters).', { type: 'string', maxLength: 100 }),
          queryParam('limit', 'At most this many (1–1000, default 100).', { type: 'string', pattern: '^[0-9]{1,4}$' }),
        ],
        responses: {
          '200': jsonResponse(object('The deliveries.', { deliveries: { type: 'array', items: schemaRef('Delivery') } }, ['deliveries']), 'The deliveries.'),
          '400': responseRef('ValidationFailed'),
          '409': responseRef('NoDeliveryService'),
        },
      }),
    },
    '/v1/deliveries/{id}/redeliver': {
      post: operatorRoute('delivery.redeliver', {
        operationId: 'redeliverDelivery',
        tags: ['deliveries'],
        summary: 'Queue a parked delivery again, with a fresh retry window',
        description: 'Only a parked delivery (409 otherwise, and when no delivery service is configured); recorded in the audit chain as `delivery.redeliver`.',
        parameters: [pathParam('id', 'The delivery id.', { type: 'string', pattern: '^[0-9]{1,18}$' })],
        requestBody: { ...jsonBody(object('An optional reason, kept in the audit entry.', { reason: { type: 'string', maxLength: 2000 } })), required: false },
        responses: {
          '202': jsonResponse(
            object(
              'Queued again.',
              {
                deliveryId: { type: 'string' },
                state: { const: 'queued' },
                eventId: { type: ['string', 'null'] },
                eventType: { type: ['string', 'null'] },
                caseId: { type: ['string', 'null'] },
              },
              ['deliveryId', 'state', 'eventId', 'eventType', 'caseId'],
            ),
            'Queued for delivery.',
          ),
          '400': responseRef('ValidationFailed'),
          '404': responseRef('DeliveryNotFound'),
          '409': responseRef('DeliveryNotParked'),
        },
      }),
    },
    '/v1/pipeline': {
      get: operatorRoute('pipeline.read', {
        operationId: 'getPipeline',
        tags: ['pipeline'],
        summary: 'Outbox backlog per database and consumer lag per group and partition',
        description:
          "The outboxes are counted in this province's databases (TONGBAN_OPS_OUTBOX_DATABASES), the lag read from this province's broker for its namespace's consumer groups " +
          'on the inbox and local topics; each figure over its threshold (TONGBAN_OPS_OUTBOX_MAX_PENDING, _MAX_AGE_SECONDS, TONGBAN_OPS_CONSUMER_LAG_MAX_MESSAGES) carries why in `behind`.',
        responses: { '200': jsonResponse(schemaRef('Pipeline'), 'The pipeline now.') },
      }),
    },
    '/v1/audit': {
      get: operatorRoute('audit.read', {
        operationId: 'listAuditEntries',
        tags: ['audit'],
        summary: 'Audit entries, newest first',
        description: 'An ID number is never taken in a URL (`person` is 400): use POST /v1/audit:search.',
        parameters: [
          ...['actor', 'action', 'caseId', 'message'].map((name) => queryParam(name, `Only entries whose ${name} is this.`)),
          queryParam('from', 'From this time (ISO 8601).', { type: 'string', format: 'date-time' }),
          queryParam('to', 'Up to this time (ISO 8601).', { type: 'string', format: 'date-time' }),
          queryParam('before', 'The `nextBefore` of the page before.', { type: 'string', pattern: '^[0-9]+$' }),
          queryParam('limit', 'At most this many (default 50).', { type: 'string', pattern: '^[0-9]+$' }),
        ],
        responses: { '200': jsonResponse(schemaRef('AuditPage'), 'A page of entries.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/audit:search': {
      post: operatorRoute('audit.read', {
        operationId: 'searchAuditByPerson',
        tags: ['audit'],
        summary: "The audit entries of a person's data",
        requestBody: jsonBody(
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              person: schemaRef('IdNumber'),
              action: { type: 'string' },
              limit: { type: 'integer', minimum: 0 },
              before: { type: 'integer', minimum: 0 },
            },
            required: ['person'],
          },
          { person: '500111196804170022' },
        ),
        responses: { '200': jsonResponse(schemaRef('AuditPage'), 'A page of entries.'), '400': responseRef('ValidationFailed') },
      }),
    },
    '/v1/audit/records/{id}/proof': {
      get: operatorRoute('audit.read', {
        operationId: 'getAuditRecordProof',
        tags: ['audit'],
        summary: 'The inclusion proof of one record of a group',
        description: 'The record, its leaf hash, the sibling path to the Merkle root and the chain entry carrying the root, with whether they hold.',
        parameters: [pathParam('id', 'The record id.')],
        responses: { '200': jsonResponse(schemaRef('AuditRecordProof'), 'The proof.'), '404': responseRef('AuditRecordNotFound') },
      }),
    },
    '/v1/audit/verify': {
      get: operatorRoute('audit.verify', {
        operationId: 'verifyAudit',
        tags: ['audit'],
        summary: 'Walk every audit chain and check it',
        description: 'With `witness=true` also against the heads the other province witnessed (409 when this ops has no partner province).',
        parameters: [queryParam('witness', '`true` compares with the witnessed heads.', { type: 'string', enum: ['true', 'false'] })],
        responses: { '200': jsonResponse(schemaRef('AuditVerification'), 'The verdict.'), '409': responseRef('NoWitness') },
      }),
    },
    '/v1/audit/witnessed': {
      get: operatorRoute('audit.verify', {
        operationId: 'getWitnessedHeads',
        tags: ['audit'],
        summary: "What this province witnessed of the other province's chains",
        responses: { '200': jsonResponse(schemaRef('WitnessedHeads'), 'The heads.'), '409': responseRef('NoWitness') },
      }),
    },
    '/v1/link': {
      get: operatorRoute('any', {
        operationId: 'getLinkStatus',
        tags: ['link'],
        summary: 'The lag of the mirrored link between the provinces',
        responses: {
          '200': jsonResponse(
            object('The link.', { configured: { type: 'boolean' }, incoming: { type: 'array', items: schemaRef('LinkFlow') } }, ['configured', 'incoming']),
            'The link.',
          ),
        },
      }),
    },
    '/': {
      get: {
        operationId: 'console',
        tags: ['operations'],
        summary: 'The web console',
        description: 'One HTML page; it asks for the operator token and calls this API with it.',
        responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    '/health/live': {
      get: {
        operationId: 'live',
        tags: ['operations'],
        summary: 'Liveness',
        responses: {
          '200': jsonResponse(
            object('Up.', { status: { const: 'ok' }, uptimeSeconds: { type: 'integer', minimum: 0 } }, ['status', 'uptimeSeconds']),
            'The process runs.',
          ),
        },
      },
    },
    '/health': {
      get: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'Readiness and its checks',
        responses: { '200': jsonResponse(schemaRef('HealthReport'), 'Ready.'), '503': jsonResponse(schemaRef('HealthReport'), 'A dependency is down.') },
      },
    },
    '/health/ready': {
      get: {
        operationId: 'ready',
        tags: ['operations'],
        summary: 'Readiness (the same as /health)',
        responses: { '200': jsonResponse(schemaRef('HealthReport'), 'Ready.'), '503': jsonResponse(schemaRef('HealthReport'), 'A dependency is down.') },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['operations'],
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
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
  };

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'tongban ops',
      version,
      description:
        "The operators' API of tongban, behind the console at `/`: dead letters (search, replay, correct, discard, bulk replays), holds, parked webhook deliveries, " +
        'the pipeline (outbox backlog, consumer lag), the audit chains and the link ' +
        'between the provinces. Every route takes an operator token (`Authorization: Bearer <token>`, TONGBAN_OPERATORS); `x-tongban-role` names the least role ' +
        '(viewer < operator < admin) a route needs. Errors are RFC 9457 problems (`application/problem+json`) of the codes in libs/errors/src/codes.ts. ' +
        '`POST /internal/transit/receipts` (the gateway’s, with the service token) is not described here.',
    },
    servers: [{ url: '/', description: 'this ops service' }],
    tags: [
      { name: 'dead-letters', description: 'Events a node could not apply, parked for an operator.' },
      { name: 'replay-jobs', description: 'Bulk replays of the letters a filter takes.' },
      { name: 'holds', description: 'Cases held behind a parked event.' },
      { name: 'deliveries', description: "Webhook deliveries to partner systems, asked of this province's delivery service." },
      { name: 'pipeline', description: 'What waits in the outboxes and behind the consumer groups.' },
      { name: 'audit', description: 'The audit chains: entries, proofs, verification.' },
      { name: 'link', description: 'The mirrored link between Sichuan and Chongqing.' },
      { name: 'operators', description: 'The caller.' },
      { name: 'operations', description: 'Console, health, metrics and this description (no token).' },
    ],
    paths,
    components: {
      securitySchemes: {
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: "An operator's token with its role, viewer, operator or admin (TONGBAN_OPERATORS): `Authorization: Bearer <token>`.",
        },
      },
      schemas: {
        ...problemSchemas(),
        Workflow: { type: 'string', enum: [...WORKFLOWS] },
        DivisionCode: { type: 'string', pattern: '^[0-9]{6}$', examples: ['510104'] },
        IdNumber: { type: 'string', pattern: '^[0-9]{17}[0-9Xx]$', description: 'Resident ID number (GB 11643-1999).' },
        Operator: object(
          'An operator.',
          {
            name: { type: 'string' },
            role: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
            permissions: { type: 'array', items: { type: 'string' } },
          },
          ['name', 'role', 'permissions'],
        ),
        DeadLetterPage: object(
          'A page of dead letters (masked).',
          {
            items: { type: 'array', items: schemaRef('DeadLetterSummary') },
            total: int,
            nextCursor: { type: ['string', 'null'], pattern: '^[0-9]{1,15}$', description: 'The `cursor` of the next page; null on the last.' },
          },
          ['items', 'total', 'nextCursor'],
        ),
        DeadLetterSummary: object(
          'Where a letter failed and what it was, nothing personal.',
          {
            id: int,
            state: { type: 'string', enum: [...DEAD_LETTER_STATES] },
            region: nullable('string', { description: 'The division code of the node that parked it.' }),
            dlq: record('Its place on the dead-letter topic.', { topic: str, partition: int, offset: str }),
            original: record('Where the message was first written, when the transport said.', {
              topic: str,
              partition: nullable('integer'),
              offset: nullable('string'),
              key: nullable('string'),
            }),
            eventId: nullable('string'),
            eventType: nullable('string'),
            workflow: nullable('string'),
            caseId: nullable('string'),
            correlationId: nullable('string'),
            sourceRegion: nullable('string'),
            targetRegion: nullable('string'),
            errorClass: str,
            errorCode: str,
            errorMessage: str,
            attempts: int,
            parkedAt: dateTime,
            storedAt: dateTime,
            replayCount: int,
            lastReplayedAt: nullable('string', { format: 'date-time' }),
            lastReplayedBy: nullable('string'),
            resolvedBy: nullable('string'),
            replayOf: nullable('string', { description: 'The `tongban-replay-of` header: the message this one replays.' }),
          },
          [
            'id',
            'state',
            'region',
            'dlq',
            'original',
            'eventId',
            'eventType',
            'workflow',
            'caseId',
            'correlationId',
            'sourceRegion',
            'targetRegion',
            'errorClass',
            'errorCode',
            'errorMessage',
            'attempts',
            'parkedAt',
            'replayCount',
            'lastReplayedAt',
            'lastReplayedBy',
            'resolvedBy',
            'replayOf',
          ],
        ),
        DeadLetter: {
          description: 'One letter, decoded: masked by its schema, or in the clear (`view=clear`).',
          allOf: [
            schemaRef('DeadLetterSummary'),
            object(
              'The failure and the payload.',
              {
                failure: record('How it failed.', {
                  errorClass: str,
                  errorCode: str,
                  errorMessage: str,
                  attempts: int,
                  consumerGroup: nullable('string'),
                  firstFailureAt: nullable('string', { format: 'date-time' }),
                  lastFailureAt: nullable('string', { format: 'date-time' }),
                }),
                decodeError: nullable('string', { description: 'Why the bytes could not be decoded.' }),
                schemaId: nullable('integer'),
                view: { type: 'string', enum: ['masked', 'clear'] },
                payload: {
                  type: ['object', 'null'],
                  description: 'The decoded event (its fields those of its event type); null when undecodable, or masked without a known schema.',
                },
                edited: { type: ['object', 'null'], description: 'The last corrected copy, shown as `payload` is; null when never corrected.' },
                headers: { type: 'object', description: 'The Kafka headers, without the failure headers.', additionalProperties: str },
                replayOfHeader: nullable('string'),
                rawBytes: { type: 'integer', description: 'Length of the stored bytes.' },
                rawBase64: { type: 'string', description: 'The stored bytes (clear view only).' },
                resolution: {
                  ...object(
                    'Who replayed or discarded it, when, and the note; null while parked.',
                    { at: dateTime, by: nullable('string'), note: nullable('string') },
                    ['at', 'by', 'note'],
                  ),
                  type: ['object', 'null'],
                },
              },
              ['failure', 'decodeError', 'schemaId', 'view', 'payload', 'edited', 'headers', 'replayOfHeader', 'rawBytes', 'resolution'],
            ),
          ],
        },
        DeadLetterCounts: record('How many letters the filters take, in all and by each dimension (most first; `value` null: none given).', {
          total: int,
          byWorkflow: count('By workflow.', nullable('string')),
          byEventType: count('By event type.', nullable('string')),
          byErrorCode: count('By error code.', nullable('string')),
          byRegion: count('By node (division code).', nullable('string')),
          byAge: {
            type: 'array',
            description: 'By time since parking, every bucket.',
            items: record('One age bucket.', { bucket: { type: 'string', enum: [...AGE_BUCKETS] }, count: int }),
          },
        }),
        DiscardOutcomes: record('How many were discarded, and the outcome of each id.', {
          discarded: int,
          items: {
            type: 'array',
            items: object(
              'One id: 200 with its state and hold, or 404/409 with the problem code and detail.',
              { id: int, status: { type: 'integer', enum: [200, 404, 409] }, state: { const: 'discarded' }, hold: holdAnswer, code: str, detail: str },
              ['id', 'status'],
            ),
          },
        }),
        ReplayResult: record('The letter after its replay.', {
          id: int,
          state: { const: 'replayed' },
          alreadyApplied: {
            type: 'string',
            enum: ['yes', 'no', 'unknown'],
            description: 'Whether the node had applied the event before (asked, not guessed).',
          },
          replayedTo: record('Where the replay was written.', { topic: str, partition: int, offset: str }),
          replayRef: { type: 'string', description: 'What the replay carries in `tongban-replay-of`.' },
          hold: holdAnswer,
        }),
        EditCheck: record('A corrected event checked, not sent (`dryRun: true`).', {
          id: int,
          valid: { const: true },
          withheld: { type: 'array', items: str, description: 'Fields a replay would not change.' },
          changedFields: { type: 'array', items: str, description: 'Paths that differ from the stored event.' },
        }),
        ReplayPreview: record('What a bulk replay would take now: nothing personal, the oldest letters as a sample.', {
          matching: { type: 'integer', description: 'Letters the filter takes now.' },
          willReplay: { type: 'integer', description: 'Letters the job would take (up to the limit).' },
          ratePerSecond: int,
          estimatedSeconds: { type: 'integer', description: 'Seconds the publishing alone takes at that rate.' },
          sample: {
            type: 'array',
            items: record('One letter.', {
              id: int,
              eventType: nullable('string'),
              caseId: nullable('string'),
              errorCode: str,
              region: nullable('string'),
              parkedAt: dateTime,
            }),
          },
          more: { type: 'integer', description: 'Letters it would take besides the sample.' },
        }),
        ReplayJobRequest: object('What to replay, and how fast.', {
          filter: {
            type: 'object',
            description:
              'The filters of GET /v1/dlq (state, workflow, region, topic, eventType, errorClass, errorCode, caseId, eventId, correlationId, q, from, to).',
          },
          ratePerSecond: { type: 'integer' },
          limit: { type: 'integer' },
          waitSeconds: {
            type: 'integer',
            minimum: 0,
            maximum: 600,
            description: 'How long to wait for the outcome of each replay (POST /v1/dlq/replay-jobs only).',
          },
        }),
        ReplayJob: record('A bulk replay.', {
          id: { type: 'string', format: 'uuid' },
          state: { type: 'string', enum: [...REPLAY_JOB_STATES] },
          createdBy: str,
          createdAt: dateTime,
          finishedAt: nullable('string', { format: 'date-time' }),
          filter: object(
            'The filter it replays (a bulk replay without a state takes parked letters).',
            Object.fromEntries(FILTER_FIELDS.map((name) => [name, str])),
          ),
          ratePerSecond: int,
          total: { type: 'integer', description: 'Letters it takes.' },
          published: int,
          summary: record('Its letters by outcome so far (`skipped`: never sent, the job was cancelled first).', {
            applied: int,
            alreadyApplied: int,
            failedAgain: int,
            publishFailed: int,
            pending: int,
            queued: int,
            skipped: int,
          }),
          cancelRequested: {
            ...record('Who asked to cancel it and when; null when nobody did.', { at: dateTime, by: str }),
            type: ['object', 'null'],
          },
          error: nullable('string'),
        }),
        AuditPage: object(
          'A page of audit entries.',
          { entries: { type: 'array', items: schemaRef('AuditEntry') }, nextBefore: { type: ['integer', 'null'] } },
          ['entries'],
        ),
        AuditEntry: object(
          'An audit entry, or a record of a group (then `seq`, `prevHash` and `hash` are those of its group entry).',
          {
            ...auditFacts,
            chain: str,
            seq: int,
            entryId: str,
            prevHash: str,
            hash: str,
            record: record('Set on a record of a group.', { id: str, pos: int, leafHash: str }),
          },
          [...AUDIT_FACTS, 'chain', 'seq', 'entryId', 'prevHash', 'hash'],
        ),
        AuditRecordProof: object(
          'The inclusion proof of one record, where it was found, and whether it holds.',
          {
            database: str,
            chain: str,
            record: object('The record the leaf hash covers.', { ...auditFacts, chain: str, recordId: str }, [...AUDIT_FACTS, 'chain', 'recordId']),
            leafHash: str,
            pos: { type: 'integer', description: 'Its position in the group.' },
            count: { type: 'integer', description: 'Records in the group.' },
            path: { type: 'array', items: str, description: 'Sibling hashes from the leaf up.' },
            merkleRoot: str,
            entry: schemaRef('AuditEntry'),
            ok: { type: 'boolean' },
            problem: { type: 'string', enum: [...AUDIT_BREAKS] },
            message: str,
          },
          ['database', 'chain', 'record', 'leafHash', 'pos', 'count', 'path', 'merkleRoot', 'entry', 'ok'],
        ),
        AuditVerification: object(
          'The verdict on every chain and person index; with `witness=true` also against the witnessed heads.',
          {
            ok: { type: 'boolean' },
            chain: { type: 'string', description: "This ops' own chain." },
            checked: { type: 'integer', description: 'Entries checked in all chains.' },
            headSeq: int,
            firstBroken,
            chains: {
              type: 'array',
              items: object('One chain.', { database: str, chain: str, ok: { type: 'boolean' }, checked: int, records: int, headSeq: int, firstBroken }, [
                'database',
                'chain',
                'ok',
                'checked',
                'headSeq',
              ]),
            },
            indexes: {
              type: 'array',
              items: record('A person index compared with the chain (cases only, never hashes).', {
                database: str,
                index: { const: 'case_persons' },
                ok: { type: 'boolean' },
                rows: int,
                missing: { type: 'array', items: record('A case.', { caseId: str }) },
                unrecorded: { type: 'array', items: record('A case.', { caseId: str }) },
              }),
            },
            unreachable: { type: 'array', items: record('A database that could not be read.', { database: str, error: str }) },
            witness: object(
              'The chains against the heads the other province witnessed (`witness=true` only).',
              {
                ok: { type: 'boolean' },
                province: str,
                witness: str,
                lastAcknowledgedAt: nullable('string'),
                chains: { type: 'array', items: chainWitness },
                partnerConflicts: { type: 'array', items: witnessConflict },
                firstBroken: chainWitness,
              },
              ['ok', 'province', 'witness', 'lastAcknowledgedAt', 'chains', 'partnerConflicts'],
            ),
          },
          ['ok', 'chain', 'checked', 'headSeq', 'chains', 'indexes', 'unreachable'],
        ),
        WitnessedHeads: record("What this province witnessed of the other province's chains.", {
          owner: { type: 'string', description: 'The other province.' },
          heads: {
            type: 'array',
            items: record('The longest head of one chain.', {
              database: str,
              chain: str,
              length: int,
              headHash: str,
              headAt: nullable('string'),
              witnessedAt: dateTime,
            }),
          },
          conflicts: { type: 'array', items: witnessConflict },
        }),
        Holds: record('The holds of every node asked, the most recently changed first.', {
          holds: {
            type: 'array',
            items: object(
              "A node's hold (as the node answers it) and the node.",
              {
                node: schemaRef('DivisionCode'),
                caseKey: str,
                status: { type: 'string', enum: [...HOLD_STATUSES] },
                blockerRef: { type: 'string', description: 'The message everything else waits for.' },
                blockerEventId: nullable('string'),
                errorCode: str,
                errorMessage: nullable('string'),
                forwardTopic: str,
                resolution: { type: ['string', 'null'], enum: [...HOLD_RESOLUTIONS, null] },
                heldCount: int,
                openedAt: dateTime,
                updatedAt: dateTime,
              },
              ['node', 'caseKey', 'status'],
            ),
          },
          nodes: {
            type: 'array',
            items: object('Per node: how many holds it answered, or why it did not.', { node: str, ok: { type: 'boolean' }, count: int, error: str }, [
              'node',
              'ok',
            ]),
          },
        }),
        HoldRelease: object(
          'What the node did with the release, and the node.',
          {
            node: schemaRef('DivisionCode'),
            caseKey: str,
            resolution: { type: 'string', enum: ['replayed', 'discarded'] },
            outcome: {
              type: 'string',
              enum: [...RELEASE_OUTCOMES],
              description:
                '`released`: held messages processed; `reblocked`: one failed and blocks now; `replay-published`: the blocker is sent again; `busy`.',
            },
            applied: { type: 'integer', description: 'Held messages processed.' },
            blockerRef: str,
          },
          ['node', 'caseKey', 'resolution', 'outcome', 'applied'],
        ),
        LinkFlow: object(
          "One incoming flow's lag, or why it could not be read.",
          {
            source: str,
            target: str,
            readAt: dateTime,
            messages: int,
            oldestAgeMs: { type: 'number' },
            behind: nullable('string'),
            error: str,
          },
          ['source', 'target', 'behind'],
        ),
        Delivery: object(
          'A webhook delivery (never its body).',
          {
            deliveryId: { type: 'string' },
            partner: { type: ['string', 'null'], description: 'The partner system of the subscription; null once the subscription is gone.' },
            subscriptionId: { type: 'string' },
            eventId: { type: 'string' },
            eventType: { type: 'string' },
            caseId: { type: 'string' },
            targetRegion: { type: 'string' },
            state: { type: 'string', enum: [...DELIVERY_STATES] },
            attempts: { type: 'integer', description: 'Attempts in the last retry window.' },
            lastStatus: { type: ['integer', 'null'], description: "The receiver's last HTTP status; null when it did not answer." },
            lastError: { type: ['string', 'null'] },
            createdAt: { type: 'string', format: 'date-time' },
            parkedAt: { type: ['string', 'null'], format: 'date-time' },
          },
          [
            'deliveryId',
            'partner',
            'subscriptionId',
            'eventId',
            'eventType',
            'caseId',
            'targetRegion',
            'state',
            'attempts',
            'lastStatus',
            'lastError',
            'createdAt',
            'parkedAt',
          ],
        ),
        Pipeline: object(
          'The outboxes and the consumer lag, read now.',
          {
            readAt: { type: 'string', format: 'date-time' },
            threshold: object(
              'Above these a figure is behind.',
              { outboxPending: { type: 'integer' }, outboxOldestSeconds: { type: 'integer' }, consumerLag: { type: 'integer' } },
              ['outboxPending', 'outboxOldestSeconds', 'consumerLag'],
            ),
            outbox: {
              type: 'array',
              items: object(
                "One database's outbox: rows the relay has not sent, or why it could not be read.",
                {
                  database: { type: 'string' },
                  pending: { type: 'integer' },
                  oldestSeconds: { type: 'number' },
                  behind: { type: ['string', 'null'] },
                  error: { type: 'string' },
                },
                ['database', 'behind'],
              ),
            },
            consumers: {
              type: 'array',
              items: object(
                "One consumer group's lag on one topic.",
                {
                  group: { type: 'string' },
                  state: { type: ['string', 'null'], description: 'As the broker reports it: Stable, Empty (no consumer), …' },
                  members: { type: ['integer', 'null'] },
                  topic: { type: 'string' },
                  lag: { type: 'integer', description: 'Records waiting on all its partitions.' },
                  partitions: {
                    type: 'array',
                    items: object('One partition.', { partition: { type: 'integer' }, lag: { type: 'integer' }, behind: { type: 'boolean' } }, [
                      'partition',
                      'lag',
                      'behind',
                    ]),
                  },
                  behind: { type: ['string', 'null'] },
                },
                ['group', 'state', 'members', 'topic', 'lag', 'partitions', 'behind'],
              ),
            },
            consumersError: { type: 'string', description: 'Why the lag could not be read from the broker.' },
            alerts: { type: 'integer', description: 'Rows behind or unreadable.' },
          },
          ['readAt', 'threshold', 'outbox', 'consumers', 'alerts'],
        ),
        HealthReport: object(
          'Health and its checks.',
          {
            status: { type: 'string', enum: ['ok', 'degraded', 'error'] },
            checks: {
              type: 'object',
              description: 'Each check by name.',
              additionalProperties: object(
                'One check.',
                { status: { type: 'string', enum: ['up', 'down'] }, latencyMs: { type: 'number' }, error: str, details: {} },
                ['status', 'latencyMs'],
              ),
            },
          },
          ['status', 'checks'],
        ),
      },
      responses: {
        ValidationFailed: problemResponse('Bad input: every problem, each with its path.', {
          code: 'REQUEST.INVALID',
          detail: '1 problem(s) in the input',
          problems: [{ path: 'limit', problem: 'must be a whole number from 1 to 500' }],
        }),
        OperatorUnauthenticated: problemResponse('No operator token, or an unknown one.', {
          code: 'OPS.OPERATOR_UNAUTHENTICATED',
          detail: 'missing Authorization: Bearer <operator token>',
        }),
        OperatorForbidden: problemResponse("The operator's role does not allow the action.", {
          code: 'OPS.OPERATOR_FORBIDDEN',
          detail: 'li (viewer) may not dlq.replay',
        }),
        DeadLetterNotFound: problemResponse('No dead letter with this id.', { code: 'OPS.DEAD_LETTER_NOT_FOUND', detail: 'dead letter 42 not found' }),
        DeadLetterConflict: problemResponse("The letter's state does not allow the action.", {
          code: 'OPS.DEAD_LETTER_CONFLICT',
          detail: 'dead letter 42 is discarded',
        }),
        ReplayJobNotFound: problemResponse('No bulk replay with this id.', {
          code: 'OPS.REPLAY_JOB_NOT_FOUND',
          detail: 'replay job 1b4e28ba-2fa1-11d2-883f-0016d3cca427 not found',
        }),
        ReplayJobEnded: problemResponse('The bulk replay has ended.', {
          code: 'OPS.REPLAY_JOB_ENDED',
          detail: 'replay job 1b4e28ba-2fa1-11d2-883f-0016d3cca427 has ended',
        }),
        TooManyBulkReplays: problemResponse(
          'As many bulk replays as allowed are running.',
          { code: 'OPS.TOO_MANY_BULK_REPLAYS', detail: '2 bulk replays are running; try again when one ends' },
          RETRY_AFTER,
        ),
        AuditRecordNotFound: problemResponse('No record of a group with this id.', {
          code: 'OPS.AUDIT_RECORD_NOT_FOUND',
          detail: 'no record r-1 in the audit chains ops reads',
        }),
        NoDeliveryService: problemResponse('This ops has no delivery service configured.', {
          code: 'REQUEST.CONFLICT',
          detail: 'this ops has no delivery service to ask (TONGBAN_OPS_DELIVERY_URL)',
        }),
        DeliveryNotFound: problemResponse('No delivery with this id.', { code: 'DELIVERY.NOT_FOUND', detail: 'delivery service: no delivery 42' }),
        DeliveryNotParked: problemResponse('Only a parked delivery is redelivered.', {
          code: 'DELIVERY.NOT_PARKED',
          detail: 'delivery service: delivery 42 is delivered; only a parked delivery is redelivered',
        }),
        NoWitness: problemResponse('This ops has no partner province to witness its chains.', {
          code: 'REQUEST.CONFLICT',
          detail: 'this ops has no partner province to witness its audit chains',
        }),
        ...sharedProblemResponses(),
      },
    },
  };
}
