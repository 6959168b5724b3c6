import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { readRetentionConfig, RetentionConfig } from '@tongban/persistence';
import { readNodeList, readRouting } from '@tongban/regions';

export interface DeliveryConfig {
  infra: InfraConfig;
  port: number;
  database: string;
  /** The database holding the api_keys table partners authenticate with (the gateway's). */
  keysDatabase: string;
  /** Nodes whose inboxes this service reads. */
  nodes: string[];
  routing: Array<[string, string]>;
  groupId: string;
  adminToken: string;
  /** HMAC key of configured keys' ids (TONGBAN_API_KEY_ID_KEY): the same on the gateway and delivery. */
  keyIdKey: string;
  /** Encrypts the subscriptions' signing secrets at rest (AES-256-GCM). */
  secretKey: string;
  retryWindowMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  /** Plain http webhook URLs (development profile only; any other takes https only). */
  allowHttp: boolean;
  /** Loopback receivers, for a developer's local partner (development profile only, and only when enabled). */
  allowLoopback: boolean;
  development: boolean;
  /** Most live subscriptions one partner system may hold. */
  maxSubscriptionsPerKey: number;
  sweepIntervalMs: number;
  autoRegisterSchemas: boolean;
  /** Purge of parked delivery bodies (`TONGBAN_RETENTION`, `TONGBAN_RETENTION_INTERVAL`). */
  retention: RetentionConfig;
  /** Key of the person hashes in the delivery's disclosure audit (TONGBAN_AUDIT_PERSON_KEY; locally generated). */
  auditPersonKey: string;
}

export function readDeliveryConfig(env: Record<string, string | undefined> = process.env): DeliveryConfig {
  const r = new EnvReader(env);
  const infra = readInfraConfig(r, 'tongban-delivery');
  const nodes = readNodeList(r, 'TONGBAN_DELIVERY_NODES');
  const routing = readRouting(r);
  const config: DeliveryConfig = {
    infra,
    port: r.port('TONGBAN_DELIVERY_PORT', 3400),
    database: r.str('TONGBAN_DELIVERY_DATABASE', 'tongban_delivery'),
    keysDatabase: r.str('TONGBAN_DELIVERY_KEYS_DATABASE', r.str('TONGBAN_GATEWAY_DATABASE', 'tongban_gateway')),
    nodes,
    routing,
    groupId: r.str('TONGBAN_DELIVERY_GROUP', `${infra.topicNamespace}.delivery`),
    adminToken: r.secret('TONGBAN_ADMIN_TOKEN', { generate: 'admin-token' }),
    keyIdKey: r.secret('TONGBAN_API_KEY_ID_KEY', { generate: 'api-key-id-key' }, { minLength: 16 }),
    secretKey: r.secret('TONGBAN_DELIVERY_SECRET_KEY', { generate: 'delivery-secret-key' }),
    retryWindowMs: r.int('TONGBAN_DELIVERY_RETRY_WINDOW_SECONDS', 86_400, { min: 1, max: 30 * 86_400 }) * 1000,
    backoffInitialMs: r.int('TONGBAN_DELIVERY_BACKOFF_INITIAL_MS', 1000, { min: 10, max: 3_600_000 }),
    backoffMaxMs: r.int('TONGBAN_DELIVERY_BACKOFF_MAX_MS', 3_600_000, { min: 10, max: 86_400_000 }),
    requestTimeoutMs: r.int('TONGBAN_DELIVERY_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    concurrency: r.int('TONGBAN_DELIVERY_CONCURRENCY', 16, { min: 1, max: 1000 }),
    allowHttp: r.bool('TONGBAN_DELIVERY_ALLOW_HTTP', false),
    allowLoopback: r.bool('TONGBAN_DELIVERY_ALLOW_LOOPBACK', false),
    development: r.development,
    maxSubscriptionsPerKey: r.int('TONGBAN_DELIVERY_MAX_SUBSCRIPTIONS_PER_KEY', 20, { min: 1, max: 100_000 }),
    sweepIntervalMs: r.int('TONGBAN_DELIVERY_SWEEP_INTERVAL_MS', 10_000, { min: 100, max: 3_600_000 }),
    autoRegisterSchemas: r.bool('TONGBAN_SCHEMA_AUTO_REGISTER', true),
    retention: readRetentionConfig(r),
    auditPersonKey: r.secret('TONGBAN_AUDIT_PERSON_KEY', { generate: 'audit-person-key' }),
  };
  if (!r.development && config.allowHttp) r.fail(`TONGBAN_DELIVERY_ALLOW_HTTP=true is refused in the ${r.profile} profile: webhooks go over https`);
  if (!r.development && config.allowLoopback) r.fail(`TONGBAN_DELIVERY_ALLOW_LOOPBACK=true is refused in the ${r.profile} profile`);
  if (config.adminToken && config.adminToken.length < 16) r.fail('TONGBAN_ADMIN_TOKEN must be at least 16 characters');
  if (config.secretKey && config.secretKey.length < 16) r.fail('TONGBAN_DELIVERY_SECRET_KEY must be at least 16 characters');
  if (config.auditPersonKey && Buffer.byteLength(config.auditPersonKey) < 16) r.fail('TONGBAN_AUDIT_PERSON_KEY must be at least 16 bytes');
  r.done();
  return config;
}
