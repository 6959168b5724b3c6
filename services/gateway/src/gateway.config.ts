import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { DEV_API_KEYS, parseApiKeySpec, readServiceToken } from '@tongban/auth';
import { readRetentionConfig, RetentionConfig } from '@tongban/persistence';
import { isWellFormedDivision, provinceOf, readNodeUrls, readRouting } from '@tongban/regions';

export { DEV_API_KEYS } from '@tongban/auth';

export interface GatewayConfig {
  infra: InfraConfig;
  /**
   * The province this gateway serves (TONGBAN_GATEWAY_PROVINCE, e.g. 510000): keys of other provinces get 403 and
   * are sent to their own province's gateway. Unset: one gateway for every division (single-cluster development).
   */
  province?: string;
  /**
   * This province's ops service (TONGBAN_GATEWAY_OPS_URL, default http://127.0.0.1:3100), asked with the service
   * token for the receipts of events addressed to the other province. Used only with `province`.
   */
  opsUrl: string;
  port: number;
  database: string;
  apiKeys: Array<{ key: string; binding: string }>;
  routing: Array<[string, string]>;
  nodeUrls: Map<string, string>;
  /** TONGBAN_NODE_SERVICE_TOKEN: presented to the region nodes' internal API (case queries). */
  nodeServiceToken: string;
  autoRegisterSchemas: boolean;
  outboxLanes: number;
  /** Bearer token of the admin endpoints (keys, disclosures); locally generated into .tongban/secrets. */
  adminToken: string;
  /** HMAC key of configured keys' ids (TONGBAN_API_KEY_ID_KEY): the same on the gateway and delivery. */
  keyIdKey: string;
  rateLimit: { ratePerSecond: number; burst: number; bootstrapKeys: boolean };
  /** How long a rotated key keeps working next to its successor. */
  rotationOverlapMs: number;
  /** Key of the person hashes in the disclosure audit (TONGBAN_AUDIT_PERSON_KEY; locally generated). */
  auditPersonKey: string;
  /** Purge of idempotency records and sent outbox rows (`TONGBAN_RETENTION`, `TONGBAN_RETENTION_INTERVAL`). */
  retention: RetentionConfig;
  /** TONGBAN_GATEWAY_MAX_IN_FLIGHT: requests worked on at once; one more is answered 503 with Retry-After. */
  maxInFlight: number;
  /**
   * Group commit of accepted events: at most `maxGroup` requests per transaction (TONGBAN_GATEWAY_GROUP_MAX), at most
   * `maxQueue` waiting for one (TONGBAN_GATEWAY_QUEUE_MAX; more are answered 503 with Retry-After).
   */
  groupCommit: { maxGroup: number; maxQueue: number };
  /**
   * `POST /v1/events:batch`: the largest body in bytes (TONGBAN_GATEWAY_BATCH_MAX_BYTES; every other route keeps
   * 1 MiB) and how many batch uploads are worked on at once (TONGBAN_GATEWAY_BATCH_MAX_IN_FLIGHT; one more is
   * answered 503 with Retry-After before its body is read). A batch holds at most 500 events.
   */
  batch: { maxBytes: number; maxInFlight: number };
}

export function readGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const r = new EnvReader(env);
  const infra = readInfraConfig(r, 'tongban-gateway');
  // Outside development the keys may all be issued through the admin API: unset or empty means none here.
  const keySpec = r.development ? r.secret('TONGBAN_API_KEYS', DEV_API_KEYS, { allowEmpty: true }) : (r.optional('TONGBAN_API_KEYS') ?? '');
  const { keys, problems } = parseApiKeySpec(keySpec);
  for (const p of problems) r.fail(`TONGBAN_API_KEYS: ${p}`);
  const routing = readRouting(r);
  const nodeUrls = readNodeUrls(r);
  const province = r.optional('TONGBAN_GATEWAY_PROVINCE');
  if (province !== undefined && !(isWellFormedDivision(province) && provinceOf(province) === province)) {
    r.fail(`TONGBAN_GATEWAY_PROVINCE must be a province's division code (two digits and 0000, e.g. 510000), got "${province}"`);
  }
  const config: GatewayConfig = {
    infra,
    province,
    opsUrl: r.str('TONGBAN_GATEWAY_OPS_URL', 'http://127.0.0.1:3100').replace(/\/+$/, ''),
    port: r.port('TONGBAN_GATEWAY_PORT', 3000),
    database: r.str('TONGBAN_GATEWAY_DATABASE', 'tongban_gateway'),
    apiKeys: keys,
    routing,
    nodeUrls,
    nodeServiceToken: readServiceToken(r),
    autoRegisterSchemas: r.bool('TONGBAN_SCHEMA_AUTO_REGISTER', true),
    outboxLanes: r.int('TONGBAN_OUTBOX_LANES', 16, { min: 1, max: 1024 }),
    adminToken: r.secret('TONGBAN_ADMIN_TOKEN', { generate: 'admin-token' }),
    keyIdKey: r.secret('TONGBAN_API_KEY_ID_KEY', { generate: 'api-key-id-key' }, { minLength: 16 }),
    rateLimit: {
      ratePerSecond: r.int('TONGBAN_RATE_LIMIT_PER_SECOND', 50, { min: 0, max: 1_000_000 }),
      burst: r.int('TONGBAN_RATE_LIMIT_BURST', 100, { min: 1, max: 1_000_000 }),
      bootstrapKeys: r.bool('TONGBAN_RATE_LIMIT_BOOTSTRAP_KEYS', true),
    },
    auditPersonKey: r.secret('TONGBAN_AUDIT_PERSON_KEY', { generate: 'audit-person-key' }),
    retention: readRetentionConfig(r),
    groupCommit: {
      maxGroup: r.int('TONGBAN_GATEWAY_GROUP_MAX', 64, { min: 1, max: 1000 }),
      maxQueue: r.int('TONGBAN_GATEWAY_QUEUE_MAX', 2000, { min: 1, max: 1_000_000 }),
    },
    batch: {
      maxBytes: r.int('TONGBAN_GATEWAY_BATCH_MAX_BYTES', 8 * 1024 * 1024, { min: 1024 * 1024, max: 64 * 1024 * 1024 }),
      maxInFlight: r.int('TONGBAN_GATEWAY_BATCH_MAX_IN_FLIGHT', 4, { min: 1, max: 1000 }),
    },
    rotationOverlapMs: r.int('TONGBAN_API_KEY_ROTATION_OVERLAP_SECONDS', 86_400, { min: 0, max: 90 * 86_400 }) * 1000,
    maxInFlight: r.int('TONGBAN_GATEWAY_MAX_IN_FLIGHT', 256, { min: 1, max: 100_000 }),
  };
  if (!/^https?:\/\/[^/]+/.test(config.opsUrl)) r.fail(`TONGBAN_GATEWAY_OPS_URL must be an http(s) URL, got "${config.opsUrl}"`);
  if (config.auditPersonKey && Buffer.byteLength(config.auditPersonKey) < 16) r.fail('TONGBAN_AUDIT_PERSON_KEY must be at least 16 bytes');
  if (config.adminToken && config.adminToken.length < 16) r.fail('TONGBAN_ADMIN_TOKEN must be at least 16 characters');
  r.done();
  return config;
}
