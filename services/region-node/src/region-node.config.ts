import { join } from 'node:path';
import { EnvReader, InfraConfig, readInfraConfig, repoRoot } from '@tongban/config';
import { readRetentionConfig, RetentionConfig } from '@tongban/persistence';
import { WorkingCalendar } from '@tongban/calendar';
import { readRetryPolicy, RetryPolicy } from '@tongban/kafka';
import { readServiceToken } from '@tongban/auth';
import { isWellFormedDivision, readRouting } from '@tongban/regions';
import { DeadlinesConfig, parseDeadlines } from './casework/domain';

/** Only in the development profile: any other sets its own secret (the person index is useless without it). */
export const DEV_PERSON_INDEX_KEY = 'tongban-local-person-index-key';

export interface RegionNodeConfig {
  infra: InfraConfig;
  /** The node's own division: it reads `<namespace>.<region>.inbox` and nothing else. */
  region: string;
  port: number;
  /** The internal API listens on loopback unless TONGBAN_NODE_HOST says otherwise. */
  host: string;
  /** TONGBAN_NODE_SERVICE_TOKEN: what the gateway and ops present to the internal API. */
  serviceToken: string;
  database: string;
  groupId: string;
  autoRegisterSchemas: boolean;
  partitionsConsumedConcurrently: number;
  /** TONGBAN_NODE_APPLY_BATCH: at most this many inbox messages of a partition in one transaction (1: one per message). */
  applyBatchMax: number;
  personIndexKey: string;
  deadlines: DeadlinesConfig;
  calendar: WorkingCalendar;
  routing: Array<[string, string]>;
  outboxLanes: number;
  /** How often open deadlines in MySQL are checked against the scheduled jobs (a Redis restart loses jobs). */
  timerReconcileMs: number;
  /** In-place tries, then retry topics with growing delays, then the dead-letter topic. */
  retry: RetryPolicy;
  /** What is purged when (`TONGBAN_RETENTION`, `TONGBAN_RETENTION_INTERVAL`). */
  retention: RetentionConfig;
  /** Key of the person hashes in the node's disclosure audit (TONGBAN_AUDIT_PERSON_KEY; locally generated). */
  auditPersonKey: string;
}

const DEFAULT_PORTS: Record<string, number> = { '510000': 3201, '500000': 3202 };

export function readRegionNodeConfig(env: Record<string, string | undefined> = process.env): RegionNodeConfig {
  const r = new EnvReader(env);
  const region = r.str('TONGBAN_NODE_REGION', '500000');
  if (!isWellFormedDivision(region)) r.fail(`TONGBAN_NODE_REGION must be a 6-digit division code, got "${region}"`);
  const infra = readInfraConfig(r, `tongban-region-node-${region}`);
  const config: RegionNodeConfig = {
    infra,
    region,
    port: r.port('TONGBAN_NODE_PORT', DEFAULT_PORTS[region] ?? 3200),
    host: r.str('TONGBAN_NODE_HOST', '127.0.0.1'),
    serviceToken: readServiceToken(r),
    database: r.str('TONGBAN_NODE_DATABASE', `tongban_node_${region}`),
    groupId: r.str('TONGBAN_NODE_GROUP', `${infra.topicNamespace}.region-node.${region}`),
    autoRegisterSchemas: r.bool('TONGBAN_SCHEMA_AUTO_REGISTER', true),
    partitionsConsumedConcurrently: r.int('TONGBAN_NODE_CONCURRENCY', 3, { min: 1, max: 64 }),
    applyBatchMax: r.int('TONGBAN_NODE_APPLY_BATCH', 200, { min: 1, max: 5000 }),
    personIndexKey: r.secret('TONGBAN_PERSON_INDEX_KEY', DEV_PERSON_INDEX_KEY),
    deadlines: parsed(r, 'TONGBAN_DEADLINES', () => parseDeadlines(env.TONGBAN_DEADLINES)) ?? parseDeadlines(''),
    // TONGBAN_CALENDAR (a spec string) wins; else the published schedules, a file per year (libs/calendar/data).
    calendar:
      (env.TONGBAN_CALENDAR !== undefined
        ? parsed(r, 'TONGBAN_CALENDAR', () => WorkingCalendar.fromEnv(env as NodeJS.ProcessEnv))
        : parsed(r, 'TONGBAN_CALENDAR_DIR', () =>
            WorkingCalendar.fromDirectory(r.str('TONGBAN_CALENDAR_DIR', join(repoRoot(), 'libs', 'calendar', 'data'))),
          )) ?? WorkingCalendar.china2026(),
    routing: readRouting(r),
    outboxLanes: r.int('TONGBAN_OUTBOX_LANES', 16, { min: 1, max: 1024 }),
    timerReconcileMs: r.int('TONGBAN_TIMER_RECONCILE_MS', 60000, { min: 1000, max: 3600000 }),
    retry: parsed(r, 'TONGBAN_RETRY_DELAYS', () => readRetryPolicy(env)) ?? readRetryPolicy({}),
    retention: readRetentionConfig(r),
    auditPersonKey: r.secret('TONGBAN_AUDIT_PERSON_KEY', { generate: 'audit-person-key' }),
  };
  if (config.auditPersonKey && Buffer.byteLength(config.auditPersonKey) < 16) r.fail('TONGBAN_AUDIT_PERSON_KEY must be at least 16 bytes');
  r.done();
  return config;
}

/** Runs a parser that throws on bad input and records its message as a problem of the variable. */
function parsed<T>(r: EnvReader, name: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    const message = (e as Error).message;
    r.fail(message.includes(name) ? message : `${name}: ${message}`);
    return undefined;
  }
}
