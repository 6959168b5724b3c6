import { EnvReader } from './env-reader';

/** Connection settings every tongban process shares. */
export interface InfraConfig {
  kafkaBrokers: string[];
  kafkaClientId: string;
  /** First part of every topic name: `tongban` in production, unique per test run. */
  topicNamespace: string;
  mysql: { host: string; port: number; user: string; password: string };
  redis: { host: string; port: number; keyPrefix: string };
  schemaRegistryUrl: string;
  /** How long the service may take to stop before it exits with work unfinished (TONGBAN_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** How the services create missing topics: defaults for one local broker; production 3 / 2 (see PRODUCTION.md). */
  topics: { partitions: number; replicationFactor: number; minInsyncReplicas: number };
}

export function readInfraConfig(env: EnvReader, clientId: string): InfraConfig {
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
      password: env.optional('TONGBAN_MYSQL_PASSWORD') ?? '',
    },
    redis: {
      host: env.str('TONGBAN_REDIS_HOST', '127.0.0.1'),
      port: env.port('TONGBAN_REDIS_PORT', 6379),
      keyPrefix: env.str('TONGBAN_REDIS_PREFIX', namespace),
    },
    schemaRegistryUrl: registry.replace(/\/+$/, ''),
    shutdownTimeoutMs: env.int('TONGBAN_SHUTDOWN_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    topics: readTopicSettings(env),
  };
}

function readTopicSettings(env: EnvReader): InfraConfig['topics'] {
  const replicationFactor = env.int('TONGBAN_TOPIC_REPLICATION_FACTOR', 1, { min: 1, max: 32 });
  const minInsyncReplicas = env.int('TONGBAN_TOPIC_MIN_INSYNC_REPLICAS', 1, { min: 1, max: 32 });
  if (minInsyncReplicas > replicationFactor) {
    env.fail(`TONGBAN_TOPIC_MIN_INSYNC_REPLICAS must be at most TONGBAN_TOPIC_REPLICATION_FACTOR (${replicationFactor}), got ${minInsyncReplicas}`);
  }
  return { partitions: env.int('TONGBAN_TOPIC_PARTITIONS', 6, { min: 1, max: 10_000 }), replicationFactor, minInsyncReplicas };
}
