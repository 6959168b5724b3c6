import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { isWellFormedDivision } from '@tongban/regions';

export interface RegionNodeConfig {
  infra: InfraConfig;
  /** The node's own division: it reads `<namespace>.<region>.inbox` and nothing else. */
  region: string;
  port: number;
  host: string;
  database: string;
  groupId: string;
  autoRegisterSchemas: boolean;
  partitionsConsumedConcurrently: number;
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
    database: r.str('TONGBAN_NODE_DATABASE', `tongban_node_${region}`),
    groupId: r.str('TONGBAN_NODE_GROUP', `${infra.topicNamespace}.region-node.${region}`),
    autoRegisterSchemas: r.bool('TONGBAN_SCHEMA_AUTO_REGISTER', true),
    partitionsConsumedConcurrently: r.int('TONGBAN_NODE_CONCURRENCY', 3, { min: 1, max: 64 }),
  };
  r.done();
  return config;
}
