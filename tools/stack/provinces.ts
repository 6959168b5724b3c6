import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kafkajs from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { DEV_API_KEYS, parseApiKeySpec } from '@tongban/auth';
import { localSecret, repoRoot, secretsDir } from '@tongban/config';
import { kafkaCredentialsFile, kafkaSecurityOptions } from '@tongban/kafka';
import { provinceOf, SERVICE_OFFICES } from '@tongban/regions';

/** Where one province's processes listen; each province has its own copy of every service. */
export interface ProvincePorts {
  gateway: number;
  registry: number;
  node: number;
  relay: number;
  ops: number;
  delivery: number;
}

/** One province of a two-province stack: its division code, its own Kafka cluster and its ports. */
export interface ProvinceLayout {
  /** The province's division code, which is also its region node's (510000, 500000). */
  code: string;
  /** Its MirrorMaker 2 cluster alias and the suffix of its processes' names. */
  alias: 'sichuan' | 'chongqing';
  /** Short tag in database and MySQL user names (`<prefix>_sc_gateway`, user `<prefix>_sc`). */
  tag: 'sc' | 'cq';
  /** The province's own cluster, local listener. */
  brokers: string[];
  /** Its link listeners (SASL_SSL, `host:port` of each node, comma-separated), which only the other province's mirror reads. */
  link: string;
  ports: ProvincePorts;
}

/** The ports shared/design.md fixes for both provinces on one machine (node and relay are internal). */
export const DEFAULT_PROVINCE_PORTS: Record<ProvinceLayout['alias'], ProvincePorts> = {
  sichuan: { gateway: 3000, registry: 8081, node: 3201, relay: 3300, ops: 3100, delivery: 3400 },
  chongqing: { gateway: 3010, registry: 8091, node: 3202, relay: 3310, ops: 3110, delivery: 3410 },
};

/** How far apart the ports of a province's nodes are (infra.sh: node n on each of the province's ports + 100(n-1)). */
export const PROVINCE_NODE_PORT_STEP = 100;

/**
 * The two provinces as `npm run infra:up` starts their clusters: Sichuan on TONGBAN_KAFKA_PORT (9092),
 * Chongqing on TONGBAN_KAFKA_CQ_PORT (9094), each with TONGBAN_KAFKA_BROKERS_PER_CLUSTER nodes (1; node n on
 * each port + 100(n-1)); `ports` replaces the default ports of the services.
 */
export function twoProvinces(env: NodeJS.ProcessEnv = process.env, ports: Partial<Record<ProvinceLayout['alias'], ProvincePorts>> = {}): ProvinceLayout[] {
  const nodes = Number(env.TONGBAN_KAFKA_BROKERS_PER_CLUSTER ?? 1);
  if (![1, 3, 5].includes(nodes)) throw new Error(`TONGBAN_KAFKA_BROKERS_PER_CLUSTER must be 1, 3 or 5, got "${env.TONGBAN_KAFKA_BROKERS_PER_CLUSTER}"`);
  const across = (address: string) => {
    const [host, port] = address.split(':');
    return Array.from({ length: nodes }, (_, i) => `${host}:${Number(port) + PROVINCE_NODE_PORT_STEP * i}`);
  };
  const sichuanBroker = env.TONGBAN_KAFKA_BROKERS?.split(',')[0] ?? `127.0.0.1:${env.TONGBAN_KAFKA_PORT ?? 9092}`;
  return [
    {
      code: '510000',
      alias: 'sichuan',
      tag: 'sc',
      brokers: across(sichuanBroker),
      link: across(`127.0.0.1:${env.TONGBAN_KAFKA_LINK_PORT ?? 9093}`).join(','),
      ports: ports.sichuan ?? DEFAULT_PROVINCE_PORTS.sichuan,
    },
    {
      code: '500000',
      alias: 'chongqing',
      tag: 'cq',
      brokers: across(`127.0.0.1:${env.TONGBAN_KAFKA_CQ_PORT ?? 9094}`),
      link: across(`127.0.0.1:${env.TONGBAN_KAFKA_CQ_LINK_PORT ?? 9095}`).join(','),
      ports: ports.chongqing ?? DEFAULT_PROVINCE_PORTS.chongqing,
    },
  ];
}

/**
 * The province of a development key (its office's or division's): a municipal system publishes and reads through
 * its own province's gateway. Undefined for a key the development profile does not have.
 */
export function provinceOfDevelopmentKey(key: string): string | undefined {
  const binding = parseApiKeySpec(DEV_API_KEYS).keys.find((k) => k.key === key)?.binding;
  if (!binding) return undefined;
  const office = SERVICE_OFFICES.find((o) => o.id === binding);
  return provinceOf(office ? office.division : binding);
}

/**
 * What ops in `target` needs to report the lag of the flow into it: the other province's link listener, its CA,
 * and the principal of the mirror that runs in `target` (the only one the source lets read the inbox topics).
 */
export function incomingLinkEnv(target: ProvinceLayout, provinces: ProvinceLayout[]): Record<string, string> {
  const source = provinces.find((p) => p !== target);
  if (!source) return {};
  const username = `mirror-${target.code}`;
  const password = kafkaCredentialsFile(source.brokers)?.content.users?.[username];
  if (!password) return {};
  return {
    TONGBAN_OPS_MIRROR_SOURCE_BROKERS: source.link,
    TONGBAN_OPS_MIRROR_SOURCE: source.alias,
    TONGBAN_OPS_MIRROR_TARGET: target.alias,
    TONGBAN_OPS_MIRROR_USERNAME: username,
    TONGBAN_OPS_MIRROR_PASSWORD: password,
    TONGBAN_OPS_MIRROR_CA_FILE: join(secretsDir(), 'tls', source.code, 'ca.pem'),
  };
}

/** The MySQL account of one province's services: it may touch only databases named `<prefix>_<tag>_*`. */
export interface ProvinceDatabaseUser {
  user: string;
  password: string;
  /** The grant's schema pattern, as MariaDB reads it (`_` escaped). */
  pattern: string;
}

export function provinceDatabaseUser(prefix: string, p: ProvinceLayout): ProvinceDatabaseUser {
  const user = `${prefix}_${p.tag}`;
  if (!/^[a-z0-9_]{1,64}$/.test(user)) throw new Error(`database prefix "${prefix}" must be lowercase letters, digits and _`);
  return { user, password: localSecret(`mysql-${p.alias}-password`), pattern: `${user}_%`.replace(/_/g, '\\_') };
}

/** A connection as the administrator the infrastructure settings name (root with an empty password locally). */
function adminConnection(env: NodeJS.ProcessEnv) {
  return createConnection({
    host: env.TONGBAN_MYSQL_HOST ?? '127.0.0.1',
    port: Number(env.TONGBAN_MYSQL_PORT ?? 3306),
    user: env.TONGBAN_MYSQL_USER ?? 'root',
    password: env.TONGBAN_MYSQL_PASSWORD ?? '',
    ...(env.TONGBAN_MYSQL_SOCKET ? { socketPath: env.TONGBAN_MYSQL_SOCKET } : {}),
  });
}

/**
 * Creates (or re-keys) a province's MySQL account with rights on its own schemas only, connecting as the
 * administrator the infrastructure settings name (root with an empty password locally).
 */
export async function ensureProvinceDatabaseUser(u: ProvinceDatabaseUser, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const conn = await adminConnection(env);
  try {
    for (const host of ['localhost', '127.0.0.1']) {
      await conn.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [u.user, host, u.password]);
      await conn.query('ALTER USER ?@? IDENTIFIED BY ?', [u.user, host, u.password]);
      await conn.query(`GRANT ALL PRIVILEGES ON \`${u.pattern}\`.* TO ?@?`, [u.user, host]);
    }
  } finally {
    await conn.end();
  }
}

/** Removes a province's MySQL account (a demo's or a test's, when its databases go). */
export async function dropProvinceDatabaseUser(user: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const conn = await adminConnection(env);
  try {
    for (const host of ['localhost', '127.0.0.1']) await conn.query('DROP USER IF EXISTS ?@?', [user, host]);
  } finally {
    await conn.end();
  }
}

/** The administrator of a province's cluster, from the credentials infra.sh generated for it. */
export function provinceAdmin(p: ProvinceLayout, clientId: string): Kafka {
  const found = kafkaCredentialsFile(p.brokers);
  const password = found?.content.users?.admin;
  const credentials = password ? { username: 'admin', password, mechanism: 'scram-sha-512' as const } : undefined;
  return new Kafka({
    clientId,
    brokers: p.brokers,
    ...kafkaSecurityOptions(credentials, { enabled: false }),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const acls = require(join(repoRoot(), 'infra/scripts/kafka-acls.js')) as {
  aclPlan(text: string, ns: string, nodes: string[], vars?: Record<string, string>): unknown[];
  applyAcls(admin: kafkajs.Admin, acls: unknown[], k: typeof kafkajs): Promise<number>;
};

/**
 * Lets each province's MirrorMaker 2 carry a topic namespace's inbox traffic for its own province, with the
 * ACLs infra.sh gives the `tongban` namespace: in the source province the target's mirror reads the target's
 * inbox; in the target province it writes it. A stack with its own namespace (demo, tests) needs this.
 */
export async function grantMirrors(namespace: string, provinces: ProvinceLayout[]): Promise<number> {
  const end = (p: ProvinceLayout): MirrorEnd => ({ code: p.code, alias: p.alias, admin: () => provinceAdmin(p, `tongban-stack-acls-${p.alias}`) });
  let granted = 0;
  for (const target of provinces) {
    for (const source of provinces.filter((p) => p !== target)) granted += await grantMirrorLink(namespace, end(source), end(target));
  }
  return granted;
}

/** One side of a mirror link: the province's code, its alias in the mirror's names and an admin client of its cluster. */
export interface MirrorEnd {
  code: string;
  alias: string;
  admin(): Kafka;
}

/**
 * The ACLs of one direction of the link: in the source province the target's mirror reads the target's inbox
 * (`mirror-source-acls.conf`); in the target province it writes it (`mirror-target-acls.conf`). Returns how many
 * ACLs were added (those already there are left).
 */
export async function grantMirrorLink(namespace: string, source: MirrorEnd, target: MirrorEnd): Promise<number> {
  const plan = (file: string) => readFileSync(join(repoRoot(), 'infra/config', file), 'utf8');
  let granted = 0;
  for (const [p, file, vars] of [
    [source, 'mirror-source-acls.conf', {}],
    [target, 'mirror-target-acls.conf', { SOURCE: source.alias }],
  ] as const) {
    const admin = p.admin().admin();
    await admin.connect();
    try {
      granted += await acls.applyAcls(admin, acls.aclPlan(plan(file), namespace, [target.code], vars), kafkajs);
    } finally {
      await admin.disconnect();
    }
  }
  return granted;
}
