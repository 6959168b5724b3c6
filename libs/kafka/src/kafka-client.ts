import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { KafkaTlsConfig, kafkaTlsConfig, repoRoot } from '@tongban/config';
import { TongbanError } from '@tongban/errors';
import type { JsonLogger } from '@tongban/observability';

export type SaslMechanism = 'scram-sha-512' | 'scram-sha-256' | 'plain';

export interface KafkaCredentials {
  username: string;
  password: string;
  mechanism: SaslMechanism;
}

/** What infra.sh writes for a SASL broker into `<secrets dir>/kafka/<host>-<port>.json`. */
interface CredentialsFile {
  mechanism?: SaslMechanism;
  defaultUser?: string;
  users?: Record<string, string>;
}

function secretsDir(env: NodeJS.ProcessEnv): string {
  return env.TONGBAN_SECRETS_DIR ?? join(repoRoot(), '.tongban', 'secrets');
}

/** The credentials file infra.sh generated for one of these brokers, if any. */
export function kafkaCredentialsFile(brokers: string[], env: NodeJS.ProcessEnv = process.env): { file: string; content: CredentialsFile } | undefined {
  for (const broker of brokers) {
    const [host, port] = broker.split(':');
    const names = [host, ...(['localhost', '127.0.0.1'].includes(host) ? ['127.0.0.1', 'localhost'] : [])];
    for (const name of new Set(names)) {
      const file = join(secretsDir(env), 'kafka', `${name}-${port}.json`);
      try {
        return { file, content: JSON.parse(readFileSync(file, 'utf8')) as CredentialsFile };
      } catch {
        // not this one
      }
    }
  }
  return undefined;
}

/**
 * The SASL identity a client uses: TONGBAN_KAFKA_USERNAME / _PASSWORD / _SASL_MECHANISM when set
 * (production), otherwise the default user of the broker's generated credentials file (local runs:
 * the admin), otherwise none (a PLAINTEXT broker). TONGBAN_KAFKA_SECURITY=plaintext turns SASL off.
 * A username without a password takes its password from the credentials file.
 */
export function resolveKafkaCredentials(brokers: string[], env: NodeJS.ProcessEnv = process.env): KafkaCredentials | undefined {
  if (env.TONGBAN_KAFKA_SECURITY === 'plaintext') return undefined;
  const mechanism = (env.TONGBAN_KAFKA_SASL_MECHANISM?.toLowerCase() as SaslMechanism | undefined) ?? undefined;
  if (env.TONGBAN_KAFKA_USERNAME && env.TONGBAN_KAFKA_PASSWORD) {
    return { username: env.TONGBAN_KAFKA_USERNAME, password: env.TONGBAN_KAFKA_PASSWORD, mechanism: mechanism ?? 'scram-sha-512' };
  }
  const found = kafkaCredentialsFile(brokers, env);
  if (!found) {
    if (env.TONGBAN_KAFKA_SECURITY === 'sasl') {
      throw new Error(
        `TONGBAN_KAFKA_SECURITY=sasl but no TONGBAN_KAFKA_USERNAME/PASSWORD and no credentials file for ${brokers.join(',')} in ${secretsDir(env)}/kafka`,
      );
    }
    return undefined;
  }
  const username = env.TONGBAN_KAFKA_USERNAME ?? found.content.defaultUser ?? 'admin';
  const password = found.content.users?.[username];
  if (!password) throw new Error(`${found.file} has no password for Kafka user "${username}"`);
  return { username, password, mechanism: mechanism ?? found.content.mechanism ?? 'scram-sha-512' };
}

export class KafkaTlsCaUnreadableError extends TongbanError {
  constructor(file: string, cause: unknown) {
    super('KAFKA.TLS_CA_UNREADABLE', `cannot read the Kafka CA file ${file} (TONGBAN_KAFKA_SSL_CA_FILE): ${(cause as Error).message}`, false, { cause });
  }
}

/**
 * kafkajs `ssl` for a TLS setting: false (SASL_PLAINTEXT, loopback or a private network only), true (the
 * system's CAs) or the given CA only. Node checks the broker's certificate against the host name either way.
 */
export function kafkaTlsOptions(tls: KafkaTlsConfig): boolean | ConnectionOptions {
  if (!tls.enabled) return false;
  if (!tls.caFile) return true;
  try {
    return { ca: [readFileSync(tls.caFile, 'utf8')] };
  } catch (e) {
    throw new KafkaTlsCaUnreadableError(tls.caFile, e);
  }
}

/**
 * kafkajs connection options for these credentials and TLS setting (TONGBAN_KAFKA_SSL and
 * TONGBAN_KAFKA_SSL_CA_FILE when not given): SASL_SSL, SASL_PLAINTEXT, SSL or nothing.
 */
export function kafkaSecurityOptions(
  credentials: KafkaCredentials | undefined,
  tls: KafkaTlsConfig = kafkaTlsConfig(),
): { sasl?: SASLOptions; ssl?: boolean | ConnectionOptions } {
  const ssl = kafkaTlsOptions(tls);
  if (!credentials) return ssl === false ? {} : { ssl };
  return { sasl: { mechanism: credentials.mechanism, username: credentials.username, password: credentials.password } as SASLOptions, ssl };
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * A kafkajs client whose log lines go through the process's JSON logger, authenticated as
 * `credentials` or as resolveKafkaCredentials finds (nothing to set for local runs), over TLS when `tls`
 * (default: TONGBAN_KAFKA_SSL, TONGBAN_KAFKA_SSL_CA_FILE) says so.
 */
export function createKafka(brokers: string[], clientId: string, logger?: JsonLogger, credentials?: KafkaCredentials, tls?: KafkaTlsConfig): Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...kafkaSecurityOptions(credentials ?? resolveKafkaCredentials(brokers), tls),
    connectionTimeout: 5000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        if (!logger) return;
        const { message, timestamp: _t, logger: _l, ...rest } = log;
        // A rebalance answers heartbeats with REBALANCE_IN_PROGRESS; kafkajs logs that as an error, but it is
        // the group working as designed (a member joined or left), not a fault an operator must look at.
        const expected = /rebalancing/i.test(String((rest as { error?: unknown }).error ?? ''));
        logger.event(expected ? 'info' : (LEVELS[level] ?? 'info'), `kafka: ${message}`, { kafka: rest });
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
