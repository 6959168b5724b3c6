/**
 * The one error base of tongban. `code` is stable (clients and dashboards match on it);
 * `retriable` alone decides whether a consumer retries a message or sends it to the dead-letter topic.
 */
export class TongbanError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem with one field of an input, as answered in `error.details`. */
export interface Problem {
  path: string;
  problem: string;
}

/** Input that breaks a rule: answered 400 over HTTP, dead-lettered by a consumer. */
export class ValidationError extends TongbanError {
  constructor(
    readonly problems: Problem[],
    message = `${problems.length} problem(s) in the input`,
  ) {
    super('VALIDATION_FAILED', message, false);
  }
}

/** A dependency (broker, database, cache, registry) did not answer: worth trying again. */
export class UnavailableError extends TongbanError {
  constructor(what: string, options?: ErrorOptions) {
    super('DEPENDENCY_UNAVAILABLE', `${what} is unavailable`, true, options);
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
    super('OVERLOADED', `${what} is full; try again in ${retryAfterSeconds} s`, true);
  }
}

export function isRetriable(error: unknown): boolean {
  if (error instanceof TongbanError) return error.retriable;
  // Unknown errors (driver hiccups, timeouts) are retried: bounded retries end in the dead-letter topic anyway.
  return true;
}
