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
 * Personal fields the contracts mark (`"pii"`), by path, blanked in every log line whatever a caller passed: a second
 * line of defence behind the rule that callers log facts, never payloads. Names distinctive enough to be personal
 * wherever they stand are blanked at any of the first three levels; generic ones (`name`, `amount`, `detail`,
 * `note`) only inside the objects that carry a person's data, so that `error.name` stays readable. The spec
 * checks this list against every field the contracts mark.
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

export const PERSONAL_LOG_PATHS: readonly string[] = [
  ...DISTINCT_PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...GENERIC_PERSONAL_FIELDS.flatMap((f) => PERSON_CARRIERS.flatMap((c) => [`${c}.${f}`, `*.${c}.${f}`])),
];
export const LOGGED_PERSONAL_FIELDS: readonly string[] = [...DISTINCT_PERSONAL_FIELDS, ...GENERIC_PERSONAL_FIELDS];

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
 * @tongban/masking), and the paths in `PERSONAL_LOG_PATHS` are blanked besides.
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
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => ({ ...currentLogContext(), ...activeTraceIds() }),
        redact: { paths: [...PERSONAL_LOG_PATHS], censor: REDACTED },
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
