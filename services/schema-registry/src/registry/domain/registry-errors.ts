import { TongbanError } from '@tongban/errors';

/** The taxonomy's code of an answer, by its HTTP status (for logs; the API answers Confluent's body). */
const CODE_OF_STATUS: Record<number, string> = {
  401: 'REGISTRY.UNAUTHENTICATED',
  403: 'REGISTRY.FORBIDDEN',
  404: 'REGISTRY.NOT_FOUND',
  409: 'REGISTRY.INCOMPATIBLE',
  422: 'REGISTRY.UNPROCESSABLE',
  429: 'REGISTRY.RATE_LIMITED',
  500: 'REGISTRY.STORE_UNAVAILABLE',
};

/**
 * An answer of the Confluent Schema Registry API: clients match on `errorCode` (40401, 42201, …),
 * and the HTTP status is its first three digits.
 */
export class RegistryApiError extends TongbanError {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: number,
    message: string,
    /** Extra fields of the answer, e.g. the reasons of an incompatibility. */
    readonly extra: Record<string, unknown> = {},
    retriable = false,
  ) {
    super(CODE_OF_STATUS[httpStatus] ?? 'REGISTRY.UNPROCESSABLE', message, retriable, { legacyCode: `SCHEMA_REGISTRY_${errorCode}` });
  }

  body(): Record<string, unknown> {
    return { error_code: this.errorCode, message: this.message, ...this.extra };
  }
}

/** The error codes Confluent clients expect, with the registry's wording. */
export const registryErrors = {
  subjectNotFound: (subject: string) => new RegistryApiError(404, 40401, `Subject '${subject}' not found.`),
  versionNotFound: (subject: string, version: number | string) => new RegistryApiError(404, 40402, `Version ${version} not found for subject '${subject}'.`),
  schemaNotFound: (what = 'Schema') => new RegistryApiError(404, 40403, `${what} not found.`),
  subjectSoftDeleted: (subject: string) => new RegistryApiError(404, 40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently.`),
  subjectNotSoftDeleted: (subject: string) => new RegistryApiError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted.`),
  versionSoftDeleted: (subject: string, version: number) =>
    new RegistryApiError(404, 40406, `Subject '${subject}' version ${version} was soft deleted. Set permanent=true to delete permanently.`),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new RegistryApiError(404, 40407, `Subject '${subject}' version ${version} was not deleted first before being permanently deleted.`),
  subjectConfigNotFound: (subject: string) => new RegistryApiError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured.`),
  incompatible: (subject: string, messages: string[]) =>
    new RegistryApiError(409, 409, `Schema being registered is incompatible with an earlier schema for subject '${subject}': ${messages.join('; ')}`, {
      messages,
    }),
  invalidSchema: (reason: string) => new RegistryApiError(422, 42201, `Invalid schema: ${reason}`),
  invalidVersion: (version: string) =>
    new RegistryApiError(
      422,
      42202,
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest".`,
    ),
  invalidCompatibility: (value: unknown) =>
    new RegistryApiError(
      422,
      42203,
      `Invalid compatibility level ${JSON.stringify(value)}. Valid values are none, backward, forward, full, backward_transitive, forward_transitive and full_transitive.`,
    ),
  schemaTooLarge: (bytes: number, limit: number) => new RegistryApiError(422, 42201, `Invalid schema: ${bytes} bytes, more than the limit of ${limit}`),
  tooManySubjects: (limit: number) =>
    new RegistryApiError(422, 42210, `Subject limit reached: this registry holds at most ${limit} subjects; delete unused subjects permanently first.`),
  unauthorized: (message = 'Unauthorized: send HTTP basic credentials of a registry user') => new RegistryApiError(401, 40101, message),
  forbidden: (user: string, operation: string) =>
    new RegistryApiError(403, 40301, `User ${user} is denied operation ${operation}: writes need an admin credential.`),
  tooManyFailedAttempts: (retryAfter: number) =>
    new RegistryApiError(429, 42901, `Too many failed authentication attempts from this address; retry after ${retryAfter} s.`),
  notReleased: (subject: string) =>
    new RegistryApiError(
      422,
      42205,
      `Operation not permitted: the schema submitted under subject '${subject}' is not a released contract. This registry ` +
        "registers only schemas of the released schema id manifest, so that every province's registry gives them the same id; " +
        'release the schema (contracts:release) and restart the registries with the new manifest.',
    ),
  invalidSubject: (reason: string) => new RegistryApiError(422, 42208, `Invalid subject: ${reason}`),
  store: (cause: unknown) => new RegistryApiError(500, 50001, `Error in the backend data store: ${(cause as Error)?.message ?? String(cause)}`, {}, true),
};
