import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { readRetentionConfig, RetentionConfig } from '@tongban/persistence';
import { readServiceToken } from '@tongban/auth';
import { isWellFormedDivision } from '@tongban/regions';
import { OperatorSpec, parseOperatorSpec } from './operators/operator-registry';

/** Operators for local runs only; production supplies TONGBAN_OPERATORS from its secret store. */
export const DEV_OPERATORS = 'admin:dev-admin-token:admin,operator:dev-operator-token:operator,viewer:dev-viewer-token:viewer';

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
}

export function readOpsConfig(env: Record<string, string | undefined> = process.env): OpsConfig {
  const r = new EnvReader(env);
  const infra = readInfraConfig(r, 'tongban-ops');
  const nodes = r.list('TONGBAN_OPS_NODES', ['510000', '500000']);
  for (const n of nodes) if (!isWellFormedDivision(n)) r.fail(`TONGBAN_OPS_NODES must list 6-digit division codes, got "${n}"`);
  const nodeUrls = r.pairs<string>('TONGBAN_NODE_URLS', '510000=http://127.0.0.1:3201,500000=http://127.0.0.1:3202', (node, url) =>
    isWellFormedDivision(node) && /^https?:\/\//.test(url) ? { value: url.replace(/\/+$/, '') } : { problem: `"${node}=${url}" must be <node division>=<http url>` },
  );
  const routing = [
    ...r.pairs<string>('TONGBAN_ROUTING', '', (prefix, node) =>
      /^\d{2,6}$/.test(prefix) && isWellFormedDivision(node) ? { value: node } : { problem: `"${prefix}=${node}" must be <code prefix>=<node division>` },
    ),
  ];
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
  };
  r.done();
  return config;
}
