import { EnvReader } from './env-reader';

/** Connection settings every tongban process shares. */
export interface InfraConfig {
  kafkaBrokers: string[];
  kafkaClientId: string;
  /** First part of every topic name: `tongban` in production, unique per test run. */
  topicNamespace: string;
  mysql: { host: string; port: number; user: string; password: string };
  /** Bounds of every MySQL pool while the database is slow or gone (see readMysqlPoolLimits). */
  mysqlPool: MysqlPoolLimits;
  /**
   * `commandTimeoutMs` (TONGBAN_REDIS_COMMAND_TIMEOUT_MS): how long a call that can fail without harm (health
   * checks, adding a delivery job the sweeper would add again) waits for a slow Redis. Such clients keep no
   * offline queue; only BullMQ workers wait for Redis without end, as BullMQ requires.
   * `username` / `password` (TONGBAN_REDIS_USERNAME / _PASSWORD): the process's Redis identity, sent with AUTH;
   * absent, no AUTH is sent (the development default).
   */
  redis: RedisSettings;
  schemaRegistryUrl: string;
  /** HTTP basic credentials for the schema registry (TONGBAN_SCHEMA_REGISTRY_USERNAME / _PASSWORD). */
  schemaRegistryAuth?: RegistryCredentials;
  /**
   * The SASL identity (TONGBAN_KAFKA_USERNAME / _PASSWORD / _SASL_MECHANISM): required outside the development
   * profile; in development, when unset, the client takes the broker's generated credentials file.
   */
  /** Failed authentication attempts one client address may make per minute before it gets 429. */
  authFailuresPerMinute: number;
  kafkaCredentials?: { username: string; password: string; mechanism: (typeof SASL_MECHANISMS)[number] };
  /** How long the service may take to stop before it exits with work unfinished (TONGBAN_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** How the services create missing topics: defaults for one local broker; production 3 / 2 (see PRODUCTION.md). */
  topics: { partitions: number; replicationFactor: number; minInsyncReplicas: number };
  /**
   * Consumer group membership (TONGBAN_KAFKA_SESSION_TIMEOUT_MS, heartbeats every third of it): how long the
   * group waits for a member that stopped answering before its partitions go to the others, which is also how
   * long a restarted member waits to get them back after a kill -9.
   */
  consumerGroup: ConsumerGroupTiming;
}

export interface RedisSettings {
  host: string;
  port: number;
  /** Every key the process writes starts with `<keyPrefix>:` (a province's Redis user may touch no other). */
  keyPrefix: string;
  commandTimeoutMs: number;
  username?: string;
  password?: string;
}

/** Where and as whom an ioredis client or a BullMQ connection connects: spread into its options. */
export function redisConnection(r: RedisSettings): { host: string; port: number; username?: string; password?: string } {
  return {
    host: r.host,
    port: r.port,
    ...(r.username !== undefined ? { username: r.username } : {}),
    ...(r.password !== undefined ? { password: r.password } : {}),
  };
}

export interface ConsumerGroupTiming {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

export const DEFAULT_CONSUMER_GROUP_TIMING: Readonly<ConsumerGroupTiming> = { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 };

/** The broker refuses sessions shorter than its group.min.session.timeout.ms (6 s by default). */
export function readConsumerGroupTiming(env: EnvReader): ConsumerGroupTiming {
  const sessionTimeoutMs = env.int('TONGBAN_KAFKA_SESSION_TIMEOUT_MS', DEFAULT_CONSUMER_GROUP_TIMING.sessionTimeoutMs, { min: 6_000, max: 300_000 });
  return { sessionTimeoutMs, heartbeatIntervalMs: Math.min(DEFAULT_CONSUMER_GROUP_TIMING.heartbeatIntervalMs, Math.floor(sessionTimeoutMs / 3)) };
}

/**
 * What a MySQL pool may hold while the database is slow or down, so that nothing waits or piles up
 * without end: callers beyond `queueLimit` waiting for a connection are refused at once, a caller waits
 * at most `acquireTimeoutMs` for one, and a new connection is given up after `connectTimeoutMs`.
 * Each refusal is a dependency failure (503 with Retry-After at the HTTP edge).
 */
export interface MysqlPoolLimits {
  /** TONGBAN_MYSQL_POOL_QUEUE_LIMIT: callers that may wait for a free connection of one pool. */
  queueLimit: number;
  /** TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS: how long a caller waits for a free connection. */
  acquireTimeoutMs: number;
  /** TONGBAN_MYSQL_CONNECT_TIMEOUT_MS: how long opening one connection may take. */
  connectTimeoutMs: number;
}

export const DEFAULT_MYSQL_POOL_LIMITS: Readonly<MysqlPoolLimits> = { queueLimit: 200, acquireTimeoutMs: 5000, connectTimeoutMs: 5000 };

export function readMysqlPoolLimits(env: EnvReader): MysqlPoolLimits {
  const d = DEFAULT_MYSQL_POOL_LIMITS;
  return {
    queueLimit: env.int('TONGBAN_MYSQL_POOL_QUEUE_LIMIT', d.queueLimit, { min: 1, max: 100_000 }),
    acquireTimeoutMs: env.int('TONGBAN_MYSQL_ACQUIRE_TIMEOUT_MS', d.acquireTimeoutMs, { min: 100, max: 600_000 }),
    connectTimeoutMs: env.int('TONGBAN_MYSQL_CONNECT_TIMEOUT_MS', d.connectTimeoutMs, { min: 100, max: 600_000 }),
  };
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** The registry user the development profile gives every service; its password is generated per checkout. */
export const DEV_SCHEMA_REGISTRY_USER = 'tongban';
export const DEV_SCHEMA_REGISTRY_PASSWORD_SECRET = 'schema-registry-password';

/** Which shared secrets a process reads: the relay needs no registry, the registry no Kafka, neither Redis. */
export interface InfraNeeds {
  kafka?: boolean;
  registry?: boolean;
  redis?: boolean;
}

export function readInfraConfig(env: EnvReader, clientId: string, needs: InfraNeeds = {}): InfraConfig {
  const brokers = env.list('TONGBAN_KAFKA_BROKERS', ['127.0.0.1:9092']);
  for (const b of brokers) if (!/^[\w.-]+:\d+$/.test(b)) env.fail(`TONGBAN_KAFKA_BROKERS must list host:port, got "${b}"`);
  const namespace = env.str('TONGBAN_TOPIC_NAMESPACE', 'tongban');
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(namespace)) env.fail(`TONGBAN_TOPIC_NAMESPACE must be letters, digits, - or _, got "${namespace}"`);
  const registry = env.str('TONGBAN_SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081');
  if (!/^https?:\/\/[^\s]+$/.test(registry)) env.fail(`TONGBAN_SCHEMA_REGISTRY_URL must be an http(s) URL, got "${registry}"`);
  return {
    kafkaBrokers: brokers,
    kafkaClientId: env.str('TONGBAN_KAFKA_CLIENT_ID', clientId),
    topicNamespace: namespace,
    mysql: {
      host: env.str('TONGBAN_MYSQL_HOST', '127.0.0.1'),
      port: env.port('TONGBAN_MYSQL_PORT', 3306),
      user: env.str('TONGBAN_MYSQL_USER', 'root'),
      // Empty is a valid password (a local MariaDB's root), but outside development it must be said.
      password: env.secret('TONGBAN_MYSQL_PASSWORD', '', { allowEmpty: true }),
    },
    mysqlPool: readMysqlPoolLimits(env),
    redis: {
      host: env.str('TONGBAN_REDIS_HOST', '127.0.0.1'),
      port: env.port('TONGBAN_REDIS_PORT', 6379),
      keyPrefix: env.str('TONGBAN_REDIS_PREFIX', namespace),
      commandTimeoutMs: env.int('TONGBAN_REDIS_COMMAND_TIMEOUT_MS', 2000, { min: 50, max: 60_000 }),
      ...(needs.redis === false ? {} : readRedisCredentials(env)),
    },
    schemaRegistryUrl: registry.replace(/\/+$/, ''),
    authFailuresPerMinute: env.int('TONGBAN_AUTH_FAILURES_PER_MINUTE', 30, { min: 1, max: 1_000_000 }),
    schemaRegistryAuth: needs.registry === false ? undefined : readRegistryCredentials(env),
    kafkaCredentials: needs.kafka === false ? undefined : readKafkaCredentials(env),
    shutdownTimeoutMs: env.int('TONGBAN_SHUTDOWN_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    topics: readTopicSettings(env),
    consumerGroup: readConsumerGroupTiming(env),
  };
}

function readRegistryCredentials(env: EnvReader): RegistryCredentials {
  return {
    username: env.secret('TONGBAN_SCHEMA_REGISTRY_USERNAME', DEV_SCHEMA_REGISTRY_USER),
    password: env.secret('TONGBAN_SCHEMA_REGISTRY_PASSWORD', { generate: DEV_SCHEMA_REGISTRY_PASSWORD_SECRET }),
  };
}

/**
 * The Redis user: outside the development profile TONGBAN_REDIS_PASSWORD is required; TONGBAN_REDIS_USERNAME
 * names an ACL user (without it the password is the `default` user's). Unset in development: no AUTH.
 */
function readRedisCredentials(env: EnvReader): Pick<RedisSettings, 'username' | 'password'> {
  const username = env.optional('TONGBAN_REDIS_USERNAME');
  const password = env.devOptionalSecret('TONGBAN_REDIS_PASSWORD');
  if (username !== undefined && /\s/.test(username)) env.fail(`TONGBAN_REDIS_USERNAME must not contain spaces, got "${username}"`);
  if (username !== undefined && password === undefined) env.fail('TONGBAN_REDIS_USERNAME is set without TONGBAN_REDIS_PASSWORD');
  return { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

const SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
type Mechanism = (typeof SASL_MECHANISMS)[number];

function readKafkaCredentials(env: EnvReader): InfraConfig['kafkaCredentials'] {
  const security = env.oneOf('TONGBAN_KAFKA_SECURITY', ['sasl', 'plaintext'] as const, 'sasl');
  const named = env.optional('TONGBAN_KAFKA_SASL_MECHANISM');
  const mechanism = (named?.toLowerCase() ?? 'scram-sha-512') as Mechanism;
  if (!SASL_MECHANISMS.includes(mechanism)) env.fail(`TONGBAN_KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${named}"`);
  // A PLAINTEXT broker has no identity to supply; choosing it is explicit in every profile.
  if (security === 'plaintext') return undefined;
  const username = env.devOptionalSecret('TONGBAN_KAFKA_USERNAME');
  const password = env.devOptionalSecret('TONGBAN_KAFKA_PASSWORD');
  return username !== undefined && password !== undefined ? { username, password, mechanism } : undefined;
}

function readTopicSettings(env: EnvReader): InfraConfig['topics'] {
  const replicationFactor = env.int('TONGBAN_TOPIC_REPLICATION_FACTOR', 1, { min: 1, max: 32 });
  const minInsyncReplicas = env.int('TONGBAN_TOPIC_MIN_INSYNC_REPLICAS', 1, { min: 1, max: 32 });
  if (minInsyncReplicas > replicationFactor) {
    env.fail(`TONGBAN_TOPIC_MIN_INSYNC_REPLICAS must be at most TONGBAN_TOPIC_REPLICATION_FACTOR (${replicationFactor}), got ${minInsyncReplicas}`);
  }
  return { partitions: env.int('TONGBAN_TOPIC_PARTITIONS', 6, { min: 1, max: 10_000 }), replicationFactor, minInsyncReplicas };
}
