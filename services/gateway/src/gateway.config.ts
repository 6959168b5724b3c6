import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { parseApiKeySpec } from '@tongban/auth';
import { isWellFormedDivision } from '@tongban/regions';

/** Keys for local runs only; production supplies TONGBAN_API_KEYS from its secret store. */
export const DEV_API_KEYS =
  'dev-chengdu=510100,dev-anyue=512021,dev-dazu=500111,dev-cqhtz=CQ-HTZ,dev-sichuan=510000,dev-chongqing=500000';

export interface GatewayConfig {
  infra: InfraConfig;
  port: number;
  database: string;
  apiKeys: Array<{ key: string; binding: string }>;
  routing: Array<[string, string]>;
  nodeUrls: Map<string, string>;
  autoRegisterSchemas: boolean;
  outboxLanes: number;
}

export function readGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const r = new EnvReader(env);
  const infra = readInfraConfig(r, 'tongban-gateway');
  const keySpec = r.str('TONGBAN_API_KEYS', DEV_API_KEYS);
  const { keys, problems } = parseApiKeySpec(keySpec);
  for (const p of problems) r.fail(`TONGBAN_API_KEYS: ${p}`);
  const routing = [
    ...r.pairs<string>('TONGBAN_ROUTING', '', (prefix, node) =>
      /^\d{2,6}$/.test(prefix) && isWellFormedDivision(node) ? { value: node } : { problem: `"${prefix}=${node}" must be <code prefix>=<node division>` },
    ),
  ];
  const nodeUrls = r.pairs<string>('TONGBAN_NODE_URLS', '510000=http://127.0.0.1:3201,500000=http://127.0.0.1:3202', (node, url) =>
    isWellFormedDivision(node) && /^https?:\/\//.test(url) ? { value: url.replace(/\/+$/, '') } : { problem: `"${node}=${url}" must be <node division>=<http url>` },
  );
  const config: GatewayConfig = {
    infra,
    port: r.port('TONGBAN_GATEWAY_PORT', 3000),
    database: r.str('TONGBAN_GATEWAY_DATABASE', 'tongban_gateway'),
    apiKeys: keys,
    routing,
    nodeUrls,
    autoRegisterSchemas: r.bool('TONGBAN_SCHEMA_AUTO_REGISTER', true),
    outboxLanes: r.int('TONGBAN_OUTBOX_LANES', 16, { min: 1, max: 1024 }),
  };
  r.done();
  return config;
}
