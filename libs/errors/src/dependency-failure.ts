import { TongbanError, UnavailableError } from './tongban-error';

/**
 * Error codes of a connection that could not be made or was lost (Node's sockets, mysql2, MariaDB's
 * "server shutting down" and "too many connections"). An error with one of these is the dependency's
 * fault, not the request's or the message's: answer 503, or wait and try the same work again.
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'POOL_CLOSED',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_LOCK_WAIT_TIMEOUT_ON_CONNECT',
  // The pool's own bounds (libs/persistence): no connection free in time, or too many callers waiting.
  'POOL_ACQUIRE_TIMEOUT',
  'POOL_QUEUE_FULL',
]);

/** Messages of connection failures that carry no code (mysql2's closed connections, ioredis). */
const CONNECTION_MESSAGES = [
  /can't add new command when connection is in closed state/i,
  /connection is closed/i,
  /connection lost/i,
  /pool is closed/i,
  /queue limit reached/i,
  /stream isn't writeable/i,
  /reached the max retries per request limit/i,
  /connect ETIMEDOUT|connect ECONNREFUSED/i,
];

/** `error`, then its TypeORM `driverError` or its `cause`, and so on down the chain (each object once). */
function* errorChain(error: unknown): Generator<object> {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    yield e;
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
}

/**
 * Whether `error` (or its cause, or a TypeORM error's `driverError`) says a dependency could not be
 * reached, as opposed to a refusal of the work itself.
 */
export function isDependencyFailure(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e instanceof UnavailableError) return true;
    // A refusal of the work is never the dependency's fault, whatever it was caused by.
    if (e instanceof TongbanError && !e.retriable) return false;
    const { code, message, fatal } = e as { code?: unknown; message?: unknown; fatal?: unknown };
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (fatal === true && typeof code === 'string' && code.startsWith('PROTOCOL_')) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => m.test(message))) return true;
  }
  return false;
}

/** MariaDB's answers to a transaction that lost a lock conflict with another: the same work may simply run again. */
const CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Whether `error` (or its cause, or a TypeORM error's `driverError`) is the database giving up a transaction in a
 * lock conflict (a deadlock's victim, a lock wait that timed out): nothing of it was written, and trying the same
 * work again is expected to succeed.
 */
export function isTransientConflict(error: unknown): boolean {
  for (const e of errorChain(error)) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string' && CONFLICT_CODES.has(code)) return true;
  }
  return false;
}
