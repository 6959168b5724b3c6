import { Kafka, logLevel, LogEntry } from 'kafkajs';
import type { JsonLogger } from '@tongban/observability';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose log lines go through the process's JSON logger. */
export function createKafka(brokers: string[], clientId: string, logger?: JsonLogger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 5000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        if (!logger) return;
        const { message, timestamp: _t, logger: _l, ...rest } = log;
        logger.event(LEVELS[level] ?? 'info', `kafka: ${message}`, { kafka: rest });
      },
  });
}

/** Kafka message headers tongban sets, readable without decoding the Avro body. */
export const HEADERS = {
  eventId: 'tongban-event-id',
  eventType: 'tongban-event-type',
  correlationId: 'tongban-correlation-id',
  sourceRegion: 'tongban-source-region',
  targetRegion: 'tongban-target-region',
} as const;

export function headerText(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return headerText({ v: value[0] }, 'v');
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
