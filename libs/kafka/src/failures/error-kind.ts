import { DecodeFailure } from '@tongban/avro';
import { isDependencyFailure, isRetriable } from '@tongban/errors';

/**
 * Why a message's work failed, which decides where it goes:
 * - `dependency`: a database, broker or registry could not be reached; the work waits for it in place
 * - `programming`: a bug in the code (see `PROGRAMMING_ERRORS`); trying again cannot help, so permanent
 * - `permanent`: the message itself is refused (bytes not in the wire format, a rule broken, no handler)
 * - `retriable`: anything else worth another try (a retriable `TongbanError`, an unknown driver error)
 */
export type ErrorKind = 'dependency' | 'programming' | 'permanent' | 'retriable';

/** JavaScript's own errors of code that is wrong, as kafkajs treats them: never retried. */
export const PROGRAMMING_ERRORS: readonly string[] = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError'];

export function isProgrammingError(error: unknown): boolean {
  return error instanceof Error && PROGRAMMING_ERRORS.includes(error.name);
}

export function errorKindOf(error: unknown): ErrorKind {
  // A failed fetch is a TypeError whose cause is the refused connection: the dependency is asked first.
  if (isDependencyFailure(error)) return 'dependency';
  if (error instanceof DecodeFailure) return 'permanent';
  if (isProgrammingError(error)) return 'programming';
  return isRetriable(error) ? 'retriable' : 'permanent';
}

/** Whether another try may succeed: a failure of a dependency or a retriable one. */
export function isWorthRetrying(kind: ErrorKind): boolean {
  return kind === 'dependency' || kind === 'retriable';
}
