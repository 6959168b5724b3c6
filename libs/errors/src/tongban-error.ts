import { errorCodeEntry, type ErrorKind } from './codes';

export interface TongbanErrorOptions extends ErrorOptions {
  /** The kind, when the code's entry in ERROR_CODES does not give it (or the code is not registered). */
  kind?: ErrorKind;
  /** The flat code of the deprecated `error.code` member, when it depends on the occurrence. */
  legacyCode?: string;
}

/**
 * The one error base of tongban. `code` is stable and reads `<AREA>.<REASON>` (clients match on it; see
 * ERROR_CODES); `kind` decides the HTTP status; `retriable` alone decides whether a consumer retries a
 * message or sends it to the dead-letter topic.
 */
export class TongbanError extends Error {
  readonly kind: ErrorKind;
  /** The flat code answered before the taxonomy, kept in `error.code` and in dead letters' headers. */
  readonly legacyCode: string;

  constructor(
    readonly code: string,
    message: string,
    readonly retriable = false,
    options?: TongbanErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    const entry = errorCodeEntry(code);
    this.kind = options?.kind ?? entry?.kind ?? (retriable ? 'Unavailable' : 'Internal');
    this.legacyCode = options?.legacyCode ?? entry?.legacy ?? code;
  }
}

/** One problem with one field of an input, as answered in `problems` (and the deprecated `error.details`). */
export interface Problem {
  path: string;
  problem: string;
}

/** Input that breaks a rule: answered 400 over HTTP, dead-lettered by a consumer. */
export class ValidationError extends TongbanError {
  constructor(
    readonly problems: Problem[],
    message = `${problems.length} problem(s) in the input`,
    code = 'REQUEST.INVALID',
  ) {
    super(code, message, false, { kind: 'Invalid' });
  }
}

/** A dependency (broker, database, cache, registry) did not answer: worth trying again. */
export class UnavailableError extends TongbanError {
  constructor(what: string, options?: ErrorOptions) {
    super('DEPENDENCY.UNAVAILABLE', `${what} is unavailable`, true, options);
  }
}

/**
 * The service itself is at capacity (a full queue): nothing was done, the client may try again after
 * `retryAfterSeconds`. Answered 503 with Retry-After, like an unavailable dependency.
 */
export class OverloadedError extends TongbanError {
  constructor(
    what: string,
    readonly retryAfterSeconds = 1,
  ) {
    super('SERVICE.OVERLOADED', `${what} is full; try again in ${retryAfterSeconds} s`, true);
  }
}

export function isRetriable(error: unknown): boolean {
  if (error instanceof TongbanError) return error.retriable;
  // Unknown errors (driver hiccups, timeouts) are retried: bounded retries end in the dead-letter topic anyway.
  return true;
}
