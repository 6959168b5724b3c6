import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { activeTraceIds } from './tracing/trace-context';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

/** What a log line says about the request or message being handled. */
export interface LogContext {
  correlationId?: string;
  eventId?: string;
  caseId?: string;
  /** W3C trace id of the span active when the line is written (tracing on); see `activeTraceIds`. */
  traceId?: string;
  /** W3C span id of that span. */
  spanId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with ids that every log line inside it carries. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext {
  return context.getStore() ?? {};
}

const REDACTED = '[redacted]';

/**
 * Personal fields the contracts mark (`"pii"`), by name, blanked in every log line whatever a caller passed: a second
 * line of defence behind the rule that callers log facts, never payloads. Names distinctive enough to be personal
 * are blanked wherever they stand; generic ones (`name`, `amount`, `detail`, `note`) only inside the objects that
 * carry a person's data, so that `error.name` stays readable. The spec checks this list against every field the
 * contracts mark.
 */
const DISTINCT_PERSONAL_FIELDS = [
  'idNumber',
  'concernedPartyIdNumber',
  'withdrawingPartyIdNumber',
  'birthDate',
  'phone',
  'contactPhone',
  'holderName',
  'accountNumber',
  'causeOfDeath',
  'certificateNumber',
  'disabilityCategory',
  'disabilityGrade',
  'monthlyIncome',
  'monthlyAmount',
  'totalAmount',
  'depositTotal',
  'propertyArea',
  'propertyCount',
  'vehicleCount',
  'businessCount',
  'hardshipStatus',
  'extremelyPoor',
  'instructions',
  'reasonText',
] as const;
const GENERIC_PERSONAL_FIELDS = ['name', 'amount', 'detail', 'note'] as const;
const PERSON_CARRIERS = ['payload', 'body', 'person', 'applicant', 'deceased', 'payee', 'address', 'member', 'party', 'spouse'];

export const LOGGED_PERSONAL_FIELDS: readonly string[] = [...DISTINCT_PERSONAL_FIELDS, ...GENERIC_PERSONAL_FIELDS];

const DISTINCT = new Set<string>(DISTINCT_PERSONAL_FIELDS);
const GENERIC = new Set<string>(GENERIC_PERSONAL_FIELDS);
const CARRIERS = new Set<string>(PERSON_CARRIERS);
/** Levels of a line's facts that are looked at (a bound for objects that refer to themselves). */
const DEPTH = 8;

/**
 * The facts of a line with its personal fields blanked: a distinct one wherever it stands, a generic one where a
 * person carrier holds it (`payload.name`, `report.deceased.name`, not `error.name`), down to the eighth level;
 * arrays count as levels. The caller's objects are left as they are: what changes is copied, only along the way to
 * a blanked field, so a line without personal fields costs one walk of its keys and no copy. (pino's own `redact`,
 * given these rules as wildcard paths for the first three levels, took about 110 µs a line here; this about 2.)
 */
export function blankPersonal<T extends object>(facts: T, level = 1, inCarrier = false): T {
  let copy: Record<string, unknown> | unknown[] | undefined;
  const source = facts as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const value = source[key];
    let next = value;
    if (DISTINCT.has(key) || (inCarrier && GENERIC.has(key))) next = REDACTED;
    else if (level < DEPTH && value !== null && typeof value === 'object') next = blankPersonal(value, level + 1, CARRIERS.has(key));
    if (next !== value) {
      copy ??= Array.isArray(facts) ? [...facts] : { ...source };
      (copy as Record<string, unknown>)[key] = next;
    }
  }
  return (copy ?? facts) as T;
}

let stdout: DestinationStream | undefined;
/**
 * One asynchronous destination for the process: lines are written by sonic-boom without blocking the event loop
 * (a busy service no longer waits for its terminal or pipe on every line), and flushed when the process exits.
 */
function processStdout(): DestinationStream {
  stdout ??= pino.destination({ dest: 1, sync: false });
  return stdout;
}

function lineStream(write: (line: string) => void): DestinationStream {
  return { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) };
}

/**
 * JSON-lines logger on pino: `level` (debug, info, warn, error), `time` (ISO 8601), `service`, `region`, the ids of
 * the request or message being handled (`correlationId`, `eventId`, `caseId`; `traceId` and `spanId` while a span is
 * active), `msg`, then the facts.
 * Callers pass facts, never whole payloads: personal fields are masked before they reach a log call (see
 * @tongban/masking), and the fields `blankPersonal` knows are blanked besides.
 */
export class JsonLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(
    readonly service: string,
    readonly region?: string,
    level: Level = (process.env.TONGBAN_LOG_LEVEL as Level) || 'info',
    private readonly write?: (line: string) => void,
  ) {
    this.pino = pino(
      {
        level: LEVELS.includes(level) ? level : 'info',
        base: region ? { service, region } : { service },
        messageKey: 'msg',
        timestamp: () => `,"time":"${new Date().toISOString()}"`,
        formatters: { level: (label) => ({ level: label }), log: (facts) => blankPersonal(facts) },
        mixin: () => ({ ...currentLogContext(), ...activeTraceIds() }),
      },
      write ? lineStream(write) : processStdout(),
    );
  }

  child(region: string): JsonLogger {
    return new JsonLogger(this.service, region, this.pino.level as Level, this.write);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }

  /** Structured entry point: a message plus facts. */
  event(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    this.pino[level](fields, message);
  }

  /** Whether a line of this level would be written (to skip building costly facts). */
  enabled(level: Level): boolean {
    return this.pino.isLevelEnabled(level);
  }

  private emit(level: Level, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    // Nest passes the context (class name) last, and a stack trace before it for errors.
    const last = rest[rest.length - 1];
    if (typeof last === 'string') fields.context = last;
    if (level === 'error' && typeof rest[0] === 'string' && rest.length > 1) fields.stack = rest[0];
    if (message instanceof Error) {
      fields.error = { name: message.name, message: message.message, code: (message as { code?: string }).code };
      this.event(level, message.message, fields);
    } else if (typeof message === 'object' && message !== null) {
      this.event(level, String((message as { msg?: string }).msg ?? ''), { ...fields, ...(message as object) });
    } else {
      this.event(level, String(message), fields);
    }
  }
}
