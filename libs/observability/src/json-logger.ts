import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** What a log line says about the request or message being handled. */
export interface LogContext {
  correlationId?: string;
  eventId?: string;
  caseId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with ids that every log line inside it carries. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext {
  return context.getStore() ?? {};
}

/**
 * JSON-lines logger. Callers pass facts, never whole payloads: personal fields are masked before
 * they reach a log call (see @tongban/masking).
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(
    readonly service: string,
    readonly region?: string,
    level: Level = (process.env.TONGBAN_LOG_LEVEL as Level) || 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    this.threshold = RANK[level] ?? RANK.info;
  }

  child(region: string): JsonLogger {
    return new JsonLogger(this.service, region, undefined, this.write);
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
    if (RANK[level] < this.threshold) return;
    this.write(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        service: this.service,
        region: this.region,
        ...currentLogContext(),
        msg: message,
        ...fields,
      }),
    );
  }

  private emit(level: Level, message: unknown, rest: unknown[]): void {
    if (RANK[level] < this.threshold) return;
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
