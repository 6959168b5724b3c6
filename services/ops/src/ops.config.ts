import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { readRetentionConfig, RetentionConfig } from '@tongban/persistence';
import { readServiceToken } from '@tongban/auth';
import { isWellFormedDivision, readNodeList, readNodeUrls, readRouting } from '@tongban/regions';
import type { WitnessConfig } from './audit/witness/audit-witness';
import type { TransitConfig } from './transit/transit-receipts';
import { OperatorSpec, parseOperatorSpec } from './operators/operator-registry';

/** Operators for local runs only; production supplies TONGBAN_OPERATORS from its secret store. */
export const DEV_OPERATORS = 'admin:dev-admin-token:admin,operator:dev-operator-token:operator,viewer:dev-viewer-token:viewer';

/** The MirrorMaker 2 flow into this province whose lag ops reports (TONGBAN_OPS_MIRROR_*). */
export interface MirrorLagConfig {
  /** The other province's link listener (SASL_SSL), e.g. 127.0.0.1:9093 for ops in Chongqing. */
  sourceBrokers: string[];
  sourceAlias: string;
  targetAlias: string;
  /** The mirror's own principal: the only one the source province lets read these inbox topics. */
  credentials: { username: string; password: string; mechanism: 'scram-sha-512' };
  /** The source province's CA (host names are checked against its certificate). */
  caFile?: string;
  /** Above either, a warning is logged and the console shows the link as behind. */
  threshold: { messages: number; oldestAgeMs: number };
}

/** The delivery service ops asks for parked webhook deliveries and redelivers them through (TONGBAN_OPS_DELIVERY_*). */
export interface DeliveryLinkConfig {
  url: string;
  /** The delivery service's admin token: the browser never sees it, and ops sends no operator token there. */
  token: string;
}

/** What the console's pipeline view reads, and when it marks a figure as behind (TONGBAN_OPS_PIPELINE_*). */
export interface PipelineConfig {
  /** Databases whose outbox ops counts (the relay's: the gateway's and the nodes'). */
  outboxDatabases: string[];
  threshold: {
    /** Rows not yet sent by the relay, per database. */
    outboxPending: number;
    outboxOldestSeconds: number;
    /** Records a consumer group has not yet committed, per partition. */
    consumerLag: number;
  };
}

export interface OpsConfig {
  infra: InfraConfig;
  port: number;
  host: string;
  database: string;
  /** Receiving nodes whose `<namespace>.<node>.inbox.dlq` the service reads. */
  nodes: string[];
  /** Where each node's internal API answers (applied events, hold release). */
  nodeUrls: Map<string, string>;
  /** Finer routing (`TONGBAN_ROUTING`, as the gateway's): which node a corrected event's copy is for. */
  routing: Array<[string, string]>;
  /** TONGBAN_NODE_SERVICE_TOKEN, shared with the nodes and the gateway. */
  nodeServiceToken: string;
  groupId: string;
  operators: OperatorSpec[];
  auditPersonKey: string;
  /** Default and ceiling of bulk replays, messages per second. */
  replayRate: number;
  maxReplayRate: number;
  /** How long a bulk replay waits for the outcome of what it re-published. */
  replayOutcomeWaitMs: number;
  /** TONGBAN_OPS_REPLAY_MAX_ITEMS: dead letters one bulk replay takes at most (its `limit` may ask for fewer). */
  replayMaxItems: number;
  /** TONGBAN_OPS_REPLAY_MAX_JOBS: bulk replays one ops process runs at once; one more is answered 429. */
  replayMaxJobs: number;
  /** Purge of resolved dead letters' payloads (`TONGBAN_RETENTION`, `TONGBAN_RETENTION_INTERVAL`). */
  retention: RetentionConfig;
  /** Databases whose audit chains `audit verify` walks besides its own (the gateway's, each node's, delivery's). */
  auditDatabases: string[];
  /** The incoming replication flow, when this ops runs in one of two linked provinces. */
  mirror?: MirrorLagConfig;
  /** The other province as witness of this one's audit chains (and this one of its), when ops runs in one of two linked provinces. */
  witness?: WitnessConfig;
  /** Receipts of events crossing to and from the other province, on the witness channel (so only with `witness`). */
  transit?: TransitConfig;
  /** The province's delivery service, for parked webhook deliveries; undefined when none is configured. */
  delivery?: DeliveryLinkConfig;
  pipeline: PipelineConfig;
}

/** The two linked provinces: each witnesses the other's audit chains. */
export const LINKED_PROVINCES = ['510000', '500000'] as const;

/**
 * TONGBAN_OPS_PROVINCE (default: the one province of TONGBAN_OPS_NODES, as each province's stack runs it),
 * TONGBAN_OPS_WITNESS_PARTNER (default: the other linked province), TONGBAN_OPS_WITNESS_INTERVAL_SECONDS
 * (default 300; 0 turns the witness off). Without a province (ops serving both nodes, as the one-cluster
 * stack) there is no witness.
 */
function readWitnessConfig(r: EnvReader, nodes: string[]): WitnessConfig | undefined {
  const single = nodes.length === 1 && (LINKED_PROVINCES as readonly string[]).includes(nodes[0]) ? nodes[0] : undefined;
  const province = r.optional('TONGBAN_OPS_PROVINCE') ?? single;
  const intervalSeconds = r.int('TONGBAN_OPS_WITNESS_INTERVAL_SECONDS', 300, { min: 0, max: 86_400 });
  const named = r.optional('TONGBAN_OPS_WITNESS_PARTNER');
  if (province !== undefined && !(LINKED_PROVINCES as readonly string[]).includes(province)) {
    r.fail(`TONGBAN_OPS_PROVINCE must be one of the linked provinces ${LINKED_PROVINCES.join(', ')}, got "${province}"`);
    return undefined;
  }
  if (!province || intervalSeconds === 0) return undefined;
  const partner = named ?? LINKED_PROVINCES.find((p) => p !== province)!;
  if (!isWellFormedDivision(partner) || partner === province) {
    r.fail(`TONGBAN_OPS_WITNESS_PARTNER must be another province's 6-digit division code than ${province}, got "${partner}"`);
    return undefined;
  }
  return { province, partner, intervalMs: intervalSeconds * 1000 };
}

/**
 * TONGBAN_OPS_RECEIPT_INTERVAL_MS (default 1000; 0 sends no receipts), TONGBAN_OPS_RECEIPT_BATCH (receipts per
 * record, default 500), TONGBAN_OPS_RECEIPT_OVERLAP_SECONDS (default 10). Receipts ride the witness channel: none
 * without a partner province.
 */
function readTransitConfig(r: EnvReader, witness: WitnessConfig | undefined): TransitConfig | undefined {
  const intervalMs = r.int('TONGBAN_OPS_RECEIPT_INTERVAL_MS', 1000, { min: 0, max: 3_600_000 });
  const batchSize = r.int('TONGBAN_OPS_RECEIPT_BATCH', 500, { min: 1, max: 5000 });
  const overlapMs = r.int('TONGBAN_OPS_RECEIPT_OVERLAP_SECONDS', 10, { min: 0, max: 3600 }) * 1000;
  if (!witness || intervalMs === 0) return undefined;
  return { province: witness.province, partner: witness.partner, intervalMs, batchSize, overlapMs };
}

function readMirrorLagConfig(r: EnvReader): MirrorLagConfig | undefined {
  const sourceBrokers = r.list('TONGBAN_OPS_MIRROR_SOURCE_BROKERS', []);
  const threshold = {
    messages: r.int('TONGBAN_OPS_MIRROR_LAG_MAX_MESSAGES', 1000, { min: 0, max: 1_000_000_000 }),
    oldestAgeMs: r.int('TONGBAN_OPS_MIRROR_LAG_MAX_AGE_SECONDS', 300, { min: 0, max: 30 * 86_400 }) * 1000,
  };
  const names = ['TONGBAN_OPS_MIRROR_SOURCE', 'TONGBAN_OPS_MIRROR_TARGET', 'TONGBAN_OPS_MIRROR_USERNAME', 'TONGBAN_OPS_MIRROR_PASSWORD'] as const;
  const [sourceAlias, targetAlias, username, password] = names.map((n) => r.optional(n));
  if (sourceBrokers.length === 0) return undefined;
  for (const b of sourceBrokers) if (!/^[\w.-]+:\d+$/.test(b)) r.fail(`TONGBAN_OPS_MIRROR_SOURCE_BROKERS must list host:port, got "${b}"`);
  names.forEach((n, i) => {
    if (![sourceAlias, targetAlias, username, password][i]) r.fail(`${n} is required with TONGBAN_OPS_MIRROR_SOURCE_BROKERS`);
  });
  return {
    sourceBrokers,
    sourceAlias: sourceAlias ?? '',
    targetAlias: targetAlias ?? '',
    credentials: { username: username ?? '', password: password ?? '', mechanism: 'scram-sha-512' },
    caFile: r.optional('TONGBAN_OPS_MIRROR_CA_FILE'),
    threshold,
  };
}

/**
 * TONGBAN_OPS_DELIVERY_URL (development default http://127.0.0.1:3400) and TONGBAN_OPS_DELIVERY_TOKEN, the delivery
 * service's admin token (development default: the TONGBAN_ADMIN_TOKEN or generated secret the development delivery
 * takes). Elsewhere both are needed; without a URL, or with `off`, ops has no delivery service to ask.
 */
function readDeliveryLink(r: EnvReader): DeliveryLinkConfig | undefined {
  const url = r.optional('TONGBAN_OPS_DELIVERY_URL') ?? (r.development ? 'http://127.0.0.1:3400' : undefined);
  if (!url || url === 'off') return undefined;
  if (!/^https?:\/\/[^\s/]+/.test(url)) r.fail(`TONGBAN_OPS_DELIVERY_URL must be an http(s) URL, got "${url}"`);
  const token = r.optional('TONGBAN_OPS_DELIVERY_TOKEN') ?? (r.development ? r.secret('TONGBAN_ADMIN_TOKEN', { generate: 'admin-token' }) : undefined);
  if (!token) r.fail("TONGBAN_OPS_DELIVERY_TOKEN is required with TONGBAN_OPS_DELIVERY_URL: the delivery service's admin token");
  else if (token.length < 16) r.fail('TONGBAN_OPS_DELIVERY_TOKEN must be at least 16 characters');
  return { url: url.replace(/\/+$/, ''), token: token ?? '' };
}

function readPipelineConfig(r: EnvReader, nodes: string[]): PipelineConfig {
  const outboxDatabases = r.list('TONGBAN_OPS_OUTBOX_DATABASES', ['tongban_gateway', ...nodes.map((n) => `tongban_node_${n}`)]);
  for (const d of outboxDatabases) if (!/^[A-Za-z0-9_]{1,64}$/.test(d)) r.fail(`TONGBAN_OPS_OUTBOX_DATABASES: "${d}" is not a database name`);
  return {
    outboxDatabases,
    threshold: {
      outboxPending: r.int('TONGBAN_OPS_OUTBOX_MAX_PENDING', 1000, { min: 0, max: 1_000_000_000 }),
      outboxOldestSeconds: r.int('TONGBAN_OPS_OUTBOX_MAX_AGE_SECONDS', 60, { min: 0, max: 30 * 86_400 }),
      consumerLag: r.int('TONGBAN_OPS_CONSUMER_LAG_MAX_MESSAGES', 1000, { min: 0, max: 1_000_000_000 }),
    },
  };
}

export function readOpsConfig(env: Record<string, string | undefined> = process.env): OpsConfig {
  const r = new EnvReader(env);
  const infra = readInfraConfig(r, 'tongban-ops', { redis: false });
  const nodes = readNodeList(r, 'TONGBAN_OPS_NODES');
  const nodeUrls = readNodeUrls(r);
  const routing = readRouting(r);
  const { operators, problems } = parseOperatorSpec(r.secret('TONGBAN_OPERATORS', DEV_OPERATORS));
  for (const p of problems) r.fail(`TONGBAN_OPERATORS: ${p}`);
  // The same key as the gateway's disclosure audit, so a person's hash matches in both logs
  // (TONGBAN_AUDIT_PERSON_KEY in production; generated once into the local secrets folder in the development profile).
  const auditPersonKey = r.secret('TONGBAN_AUDIT_PERSON_KEY', { generate: 'audit-person-key' });
  if (auditPersonKey && Buffer.byteLength(auditPersonKey) < 16) r.fail('TONGBAN_AUDIT_PERSON_KEY must be at least 16 bytes');
  const maxReplayRate = r.int('TONGBAN_OPS_MAX_REPLAY_RATE', 200, { min: 1, max: 10000 });
  const config: OpsConfig = {
    infra,
    port: r.port('TONGBAN_OPS_PORT', 3100),
    host: r.str('TONGBAN_OPS_HOST', '0.0.0.0'),
    database: r.str('TONGBAN_OPS_DATABASE', 'tongban_ops'),
    nodes,
    nodeUrls,
    routing,
    nodeServiceToken: readServiceToken(r),
    groupId: r.str('TONGBAN_OPS_GROUP', `${infra.topicNamespace}.ops`),
    operators,
    auditPersonKey,
    replayRate: Math.min(maxReplayRate, r.int('TONGBAN_OPS_REPLAY_RATE', 20, { min: 1, max: 10000 })),
    maxReplayRate,
    replayOutcomeWaitMs: r.int('TONGBAN_OPS_REPLAY_OUTCOME_WAIT_MS', 30000, { min: 0, max: 600000 }),
    replayMaxItems: r.int('TONGBAN_OPS_REPLAY_MAX_ITEMS', 10000, { min: 1, max: 1_000_000 }),
    replayMaxJobs: r.int('TONGBAN_OPS_REPLAY_MAX_JOBS', 2, { min: 1, max: 100 }),
    retention: readRetentionConfig(r),
    auditDatabases: r.list('TONGBAN_AUDIT_DATABASES', ['tongban_gateway', ...nodes.map((n) => `tongban_node_${n}`), 'tongban_delivery']),
    mirror: readMirrorLagConfig(r),
    witness: readWitnessConfig(r, nodes),
    delivery: readDeliveryLink(r),
    pipeline: readPipelineConfig(r, nodes),
  };
  config.transit = readTransitConfig(r, config.witness);
  r.done();
  return config;
}
