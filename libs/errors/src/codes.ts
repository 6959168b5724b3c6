/**
 * What kind of failure an error is. Kinds are few and generic: an HTTP answer's status follows from the
 * kind alone (libs/http), never from a service's code, and a client that knows no code can still act on it.
 */
export const ERROR_KINDS = [
  'Invalid',
  'Unauthenticated',
  'Forbidden',
  'NotFound',
  'Conflict',
  'TooLarge',
  'UnsupportedMediaType',
  'Unprocessable',
  'RateLimited',
  'Internal',
  'Unavailable',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** One code of the taxonomy. */
export interface ErrorCodeEntry {
  kind: ErrorKind;
  /** One line, the same for every occurrence: the problem type's `title`. */
  title: string;
  /**
   * The flat code answered before the taxonomy (`VALIDATION_FAILED`, `NOT_FOUND` …): still answered in the
   * deprecated `error.code` member and still carried by dead letters' `tongban-error-code` header.
   */
  legacy: string;
}

/** `<AREA>.<REASON>`, both UPPER_SNAKE. */
export const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\.[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

const code = (kind: ErrorKind, legacy: string, title: string): ErrorCodeEntry => ({ kind, legacy, title });

/**
 * Every error code of tongban. The README's "Errors" table is checked against this list, and a spec checks
 * that every code the sources throw is here: add a code here first, then throw it.
 */
export const ERROR_CODES = {
  // Any request, refused before or outside a service's own rules (libs/http, the HTTP framework).
  'REQUEST.INVALID': code('Invalid', 'VALIDATION_FAILED', 'The input breaks a rule; `problems` names each field'),
  'REQUEST.MALFORMED_JSON': code('Invalid', 'VALIDATION_FAILED', 'The body is not valid JSON'),
  'REQUEST.BODY_UNREADABLE': code('Invalid', 'VALIDATION_FAILED', 'The body could not be read'),
  'REQUEST.URL_TOO_LONG': code('Invalid', 'VALIDATION_FAILED', 'The URL is longer than the limit'),
  'REQUEST.CORRELATION_ID_INVALID': code('Invalid', 'VALIDATION_FAILED', 'X-Correlation-Id is not 1–128 letters, digits, . _ : or -'),
  'REQUEST.BAD_REQUEST': code('Invalid', 'BAD_REQUEST', 'The HTTP framework refused the request'),
  'REQUEST.NOT_FOUND': code('NotFound', 'NOT_FOUND', "No such resource, or not the caller's to see"),
  'REQUEST.ROUTE_NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No route answers this method and path'),
  'REQUEST.CONFLICT': code('Conflict', 'HTTP_409', 'The request conflicts with how the service is set up'),
  'REQUEST.BODY_TOO_LARGE': code('TooLarge', 'PAYLOAD_TOO_LARGE', 'The body is larger than the limit'),
  'REQUEST.UNSUPPORTED_ENCODING': code('UnsupportedMediaType', 'UNSUPPORTED_MEDIA_TYPE', "The body's encoding or charset is not supported"),
  'REQUEST.REFUSED': code('Invalid', 'HTTP_4XX', 'Another refusal of the HTTP framework, answered with its own status'),
  // The service itself.
  'SERVICE.OVERLOADED': code('Unavailable', 'OVERLOADED', 'The service is at capacity; nothing was done, try again after Retry-After'),
  'SERVICE.INTERNAL': code('Internal', 'INTERNAL', 'An unexpected error; the log has the details'),
  'DEPENDENCY.UNAVAILABLE': code(
    'Unavailable',
    'DEPENDENCY_UNAVAILABLE',
    'A database, cache, broker, registry or node did not answer; try again after Retry-After',
  ),
  'DEPENDENCY.CONFLICT': code(
    'Unavailable',
    'DEPENDENCY_CONFLICT',
    'The database gave up the request in a lock conflict with concurrent work; nothing was done, try again after Retry-After',
  ),
  // API keys, service tokens and rate limits (libs/auth).
  'AUTH.UNAUTHENTICATED': code('Unauthenticated', 'UNAUTHENTICATED', 'No credential, or an unknown, expired or revoked one'),
  'AUTH.FORBIDDEN_REGION': code('Forbidden', 'FORBIDDEN_REGION', 'The key may not speak for this region or office'),
  'AUTH.RATE_LIMITED': code('RateLimited', 'RATE_LIMITED', "Over the key's rate limit; try again after Retry-After"),
  'AUTH.TOO_MANY_FAILED_ATTEMPTS': code('RateLimited', 'RATE_LIMITED', 'Too many failed authentications from this address; try again after Retry-After'),
  'AUTH.API_KEY_NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No API key with this id'),
  'AUTH.API_KEY_REVOKED': code('Conflict', 'CONFLICT', 'The API key is revoked; issue a new one'),
  'AUTH.BINDING_INVALID': code('Invalid', 'VALIDATION_FAILED', 'A key binding is neither a division code nor a known service office'),
  'AUTH.SERVICE_HEADER_INVALID': code('Invalid', 'VALIDATION_FAILED', "A service call's actor or viewer header is missing or malformed"),
  // The gateway.
  'GATEWAY.ADMIN_TOKEN_REQUIRED': code('Forbidden', 'FORBIDDEN', 'The endpoint needs the admin token'),
  'GATEWAY.IDEMPOTENCY_CONFLICT': code('Conflict', 'IDEMPOTENCY_CONFLICT', 'The Idempotency-Key was used with another body'),
  'GATEWAY.EVENT_NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No event with this id published by the caller'),
  // Cases at a region node, and the holds of its ordered consumers.
  'CASE.NOT_FOUND': code('NotFound', 'NOT_FOUND', "No such case, or not the viewer's to see (the same answer)"),
  'CASE.EVENT_NOT_APPLIED': code('NotFound', 'NOT_FOUND', 'The event has not been applied at this node'),
  'HOLD.NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No open hold for this case'),
  'HOLD.NOT_RELEASABLE': code('Conflict', 'CONFLICT', 'The hold cannot be released that way now'),
  'HOLD.DISABLED': code('NotFound', 'HOLDS_DISABLED', 'This consumer keeps no holds'),
  // The ops service.
  'OPS.OPERATOR_UNAUTHENTICATED': code('Unauthenticated', 'UNAUTHENTICATED', 'No operator token, or an unknown one'),
  'OPS.OPERATOR_FORBIDDEN': code('Forbidden', 'FORBIDDEN', "The operator's role does not allow the action"),
  'OPS.DEAD_LETTER_NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No dead letter with this id'),
  'OPS.DEAD_LETTER_CONFLICT': code('Conflict', 'CONFLICT', "The dead letter's state does not allow the action"),
  'OPS.REPLAY_JOB_NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No bulk replay with this id'),
  'OPS.AUDIT_RECORD_NOT_FOUND': code('NotFound', 'NOT_FOUND', 'No record of a group with this id in any audit chain ops reads'),
  'OPS.REPLAY_JOB_ENDED': code('Conflict', 'CONFLICT', 'The bulk replay has ended; only a running one is cancelled'),
  'OPS.TOO_MANY_BULK_REPLAYS': code('RateLimited', 'RATE_LIMITED', 'As many bulk replays as allowed are running already'),
  'OPS.INGEST_FAILED': code('Internal', 'OPS.INGEST_FAILED', 'A dead letter could not be stored as it came (kept as a record of the failure)'),
  // The delivery service.
  'DELIVERY.NOT_FOUND': code('NotFound', 'NOT_FOUND', "No such delivery, or not the caller's"),
  'DELIVERY.NOT_PARKED': code('Conflict', 'CONFLICT', 'Only a parked delivery is redelivered'),
  'DELIVERY.SUBSCRIPTION_NOT_FOUND': code('NotFound', 'NOT_FOUND', "No such subscription, or not the caller's"),
  'DELIVERY.TOO_MANY_SUBSCRIPTIONS': code('Conflict', 'CONFLICT', 'The key holds as many subscriptions as allowed'),
  // The schema registry: its Confluent API answers `{error_code, message}`; these codes are for logs only.
  'REGISTRY.UNAUTHENTICATED': code('Unauthenticated', 'SCHEMA_REGISTRY_401XX', 'No or wrong registry credentials (error_code 40101)'),
  'REGISTRY.FORBIDDEN': code('Forbidden', 'SCHEMA_REGISTRY_403XX', 'A reader tried to write (error_code 40301)'),
  'REGISTRY.NOT_FOUND': code('NotFound', 'SCHEMA_REGISTRY_404XX', 'No such subject, version or schema (error_code 404xx)'),
  'REGISTRY.INCOMPATIBLE': code('Conflict', 'SCHEMA_REGISTRY_409', 'The schema is incompatible with an earlier one (error_code 409)'),
  'REGISTRY.UNPROCESSABLE': code('Unprocessable', 'SCHEMA_REGISTRY_422XX', 'An invalid schema, version, level or subject (error_code 422xx)'),
  'REGISTRY.RATE_LIMITED': code('RateLimited', 'SCHEMA_REGISTRY_42901', 'Too many failed authentications (error_code 42901)'),
  'REGISTRY.STORE_UNAVAILABLE': code('Unavailable', 'SCHEMA_REGISTRY_50001', "The registry's database failed (error_code 50001)"),
  // Avro bytes and the registry client (libs/avro): refusals of a message, dead-lettered at once.
  'AVRO.WIRE_FORMAT_INVALID': code('Invalid', 'WIRE_FORMAT_INVALID', 'The bytes are not in the Confluent wire format'),
  'AVRO.SCHEMA_ID_UNKNOWN': code('Invalid', 'SCHEMA_ID_UNKNOWN', 'The schema id is not in the registry'),
  'AVRO.DECODE_FAILED': code('Invalid', 'AVRO_DECODE_FAILED', 'The body does not decode with its writer schema'),
  'AVRO.EVENT_TYPE_UNKNOWN': code('Invalid', 'EVENT_TYPE_UNKNOWN', 'The writer schema is not an event type the reader knows'),
  'AVRO.SCHEMA_INVALID': code('Invalid', 'AVRO_SCHEMA_INVALID', 'The text is not a valid Avro schema'),
  'AVRO.SCHEMA_DEFINITION_INVALID': code('Internal', 'SCHEMA_DEFINITION_INVALID', 'A contract of contracts/avro breaks a rule of the catalogue'),
  'AVRO.REGISTRY_REFUSED': code('Internal', 'REGISTRY_4XX', 'The schema registry refused a request of this service'),
  'AVRO.REGISTRY_FAILED': code('Unavailable', 'REGISTRY_5XX', 'The schema registry failed to answer a request'),
  // Kafka transport (libs/kafka).
  'KAFKA.NO_HANDLER': code('Unprocessable', 'NO_HANDLER', 'This node has no handler for the event type'),
  'KAFKA.WORK_INTERRUPTED': code('Unavailable', 'KAFKA.WORK_INTERRUPTED', 'The transport closed while a dependency was unavailable'),
  'KAFKA.TLS_CA_UNREADABLE': code('Internal', 'KAFKA.TLS_CA_UNREADABLE', 'The Kafka CA file cannot be read'),
  'KAFKA.NOT_A_DEAD_LETTER': code('Invalid', 'NOT_A_DEAD_LETTER', 'The message carries no tongban-original-* headers'),
  // Start-up and policy files.
  'CONFIG.INVALID': code('Internal', 'CONFIG_INVALID', 'A configuration variable has a bad value; the process stops'),
  'AUDIT.LOG_INVALID': code('Internal', 'AUDIT_LOG_INVALID', 'An audit log entry or chain breaks a rule'),
  'MINIMISATION.POLICY_INVALID': code('Internal', 'MINIMISATION_POLICY_INVALID', 'The data minimisation policy breaks a rule'),
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The registry's entry for `code`, or undefined for a code that is not registered. */
export function errorCodeEntry(code: string): ErrorCodeEntry | undefined {
  return isErrorCode(code) ? ERROR_CODES[code] : undefined;
}
