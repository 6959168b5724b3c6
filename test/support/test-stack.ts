import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { JsonLogger } from '@tongban/observability';
import { createKafka, OutboxRelay } from '@tongban/kafka';
import { dropDatabase, MysqlOutboxStore } from '@tongban/persistence';
import { topics } from '@tongban/regions';
import { createGatewayApp, GatewayApp } from '../../services/gateway/src/app';
import { readGatewayConfig } from '../../services/gateway/src/gateway.config';
import { createRegionNodeApp, RegionNodeApp } from '../../services/region-node/src/app';
import { readRegionNodeConfig } from '../../services/region-node/src/region-node.config';
import { ProvinceTestStack, startProvinceTestStack } from './province-test-stack';
import type { StackSurface } from './stack-surface';
import { developmentRegistryAuth, startTestRegistry } from './test-registry';
import { uniqueId } from './unique';

export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
/** The rows `sql` answers in `database`, asked on a connection of its own. */
export async function queryRows<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await createConnection({ ...MYSQL, database });
  try {
    return (await conn.query(sql, params))[0] as T[];
  } finally {
    await conn.end();
  }
}

/** The number a `SELECT COUNT(*) AS n …` answers in `database`. */
export async function countRows(database: string, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await queryRows<{ n: number }>(database, sql, params))[0].n);
}

export const BROKERS = (process.env.TONGBAN_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export type { ProvinceTestStack } from './province-test-stack';

/** One copy of the services in this process, both region nodes on one cluster (one gateway for every key). */
export interface TestStack extends StackSurface {
  topology: 'one-cluster';
  gateway: GatewayApp;
  nodes: Map<string, RegionNodeApp>;
  kafka: Kafka;
  databases: { gateway: string; nodes: Record<string, string> };
  /** Starts one more instance of a region node (same database and consumer group): a replica or a restart. */
  startNodeReplica(region: string): Promise<RegionNodeApp>;
  /** Starts an outbox relay on the gateway's database (and the nodes'); stop it to pause delivery. */
  startRelay(options?: { maxLanes?: number; databases?: string[] }): Promise<OutboxRelay>;
}

function portOf(app: INestApplication): number {
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** Quiet loggers for tests: only errors reach the output. */
export function testLogger(service: string, region?: string): JsonLogger {
  return new JsonLogger(service, region, 'error');
}

export interface TestStackOptions {
  /**
   * `one-cluster` (the default): the services in this process, both region nodes on one cluster. `provinces`: both
   * provinces as `npm start` runs them (processes from dist/, each province on its own cluster with its own MySQL and
   * Redis users, MirrorMaker 2 the only link); `regions`, `relay` and `brokers` do not apply there.
   */
  topology?: 'one-cluster' | 'provinces';
  regions?: string[];
  relay?: boolean;
  env?: Record<string, string>;
  brokers?: string[];
}

/**
 * The real services on random ports, against the real Kafka, MariaDB and Redis, with a topic namespace and
 * databases of their own, so runs never collide: in this process on one cluster, or as both provinces.
 */
export function startTestStack(options: TestStackOptions & { topology: 'provinces' }): Promise<ProvinceTestStack>;
export function startTestStack(options?: TestStackOptions & { topology?: 'one-cluster' }): Promise<TestStack>;
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack | ProvinceTestStack> {
  if (options.topology === 'provinces') {
    const unsupported = (['regions', 'relay', 'brokers'] as const).filter((o) => options[o] !== undefined);
    if (unsupported.length)
      throw new Error(`startTestStack({ topology: 'provinces' }) runs both provinces as npm start does; ${unsupported.join(', ')} do not apply`);
    return startProvinceTestStack({ env: options.env });
  }
  const id = uniqueId();
  const namespace = `t-${id}`;
  const regions = options.regions ?? ['510000', '500000'];
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    return await buildStack(id, namespace, regions, options, cleanups);
  } catch (e) {
    // A stack that failed half-way must not leave consumers running after the test.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw e;
  }
}

async function buildStack(
  id: string,
  namespace: string,
  regions: string[],
  options: { relay?: boolean; env?: Record<string, string>; brokers?: string[] },
  cleanups: Array<() => Promise<unknown>>,
): Promise<TestStack> {
  const brokers = options.brokers ?? BROKERS;
  const registry = await startTestRegistry(`tb_${id}_registry`);
  cleanups.push(() => registry.close());
  const env: Record<string, string> = {
    TONGBAN_PROFILE: 'development',
    TONGBAN_TOPIC_NAMESPACE: namespace,
    TONGBAN_SCHEMA_REGISTRY_URL: registry.url,
    TONGBAN_KAFKA_BROKERS: brokers.join(','),
    // Shared by the gateway, the nodes and ops of this run: the nodes' internal API needs it.
    TONGBAN_NODE_SERVICE_TOKEN: `test-node-service-token-${id}-${'0'.repeat(16)}`,
    ...(options.env ?? {}),
  };
  const databases = { gateway: `tb_${id}_gateway`, nodes: {} as Record<string, string> };
  const nodes = new Map<string, RegionNodeApp>();
  const relays: OutboxRelay[] = [];
  const kafka = createKafka(brokers, `test-${id}`);
  const nodeUrls: string[] = [];
  const nodeConfigs = new Map<string, ReturnType<typeof readRegionNodeConfig>>();
  for (const region of regions) {
    databases.nodes[region] = `tb_${id}_node_${region}`;
    const config = readRegionNodeConfig({
      ...env,
      TONGBAN_NODE_REGION: region,
      TONGBAN_NODE_PORT: '0',
      TONGBAN_NODE_DATABASE: databases.nodes[region],
      TONGBAN_NODE_GROUP: `${namespace}.region-node.${region}`,
    });
    nodeConfigs.set(region, config);
    const node = await createRegionNodeApp(config, testLogger('region-node', region));
    cleanups.push(() => node.close());
    await node.start();
    nodes.set(region, node);
    nodeUrls.push(`${region}=http://127.0.0.1:${portOf(node.app)}`);
  }
  const gateway = await createGatewayApp(
    readGatewayConfig({ ...env, TONGBAN_GATEWAY_DATABASE: databases.gateway, TONGBAN_NODE_URLS: nodeUrls.join(',') }),
    testLogger('gateway'),
  );
  cleanups.push(() => gateway.close());
  await gateway.app.listen(0, '127.0.0.1');

  const baseCleanups = cleanups.length;
  const gatewayUrl = `http://127.0.0.1:${portOf(gateway.app)}`;
  const stack: TestStack = {
    topology: 'one-cluster',
    id,
    namespace,
    gatewayUrl,
    gatewayUrlOf: () => gatewayUrl,
    gatewayUrlFor: () => gatewayUrl,
    nodeUrl(region) {
      const node = nodes.get(region);
      if (!node) throw new Error(`no region node ${region} in this stack`);
      return `http://127.0.0.1:${portOf(node.app)}`;
    },
    registryUrl: registry.url,
    registryAuth: developmentRegistryAuth(),
    gateway,
    nodes,
    kafka,
    databases,
    env,
    inbox: (region) => topics.inbox(namespace, region),
    async startNodeReplica(region) {
      const replica = await createRegionNodeApp(nodeConfigs.get(region)!, testLogger('region-node', region));
      cleanups.push(() => replica.close().catch(() => undefined));
      await replica.start();
      return replica;
    },
    async startRelay(o = {}) {
      const relay = new OutboxRelay({
        kafka,
        store: new MysqlOutboxStore({ mysql: MYSQL, database: o.databases?.[0] ?? databases.gateway }),
        maxLanes: o.maxLanes,
        pollIntervalMs: 20,
        claimIntervalMs: 200,
        logger: testLogger('relay'),
      });
      await relay.start();
      relays.push(relay);
      return relay;
    },
    async stop() {
      await Promise.all(relays.map((r) => r.stop()));
      await gateway.close();
      for (const node of nodes.values()) await node.close().catch(() => undefined);
      for (const cleanup of cleanups.filter((_, i) => i >= baseCleanups)) await cleanup();
      await registry.close();
      const admin = kafka.admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
      for (const db of [databases.gateway, ...Object.values(databases.nodes)]) await dropDatabase(MYSQL, db);
    },
  };
  // The nodes' outboxes (answers, rejections, escalations, reactions) are always relayed; the gateway's
  // relay is the one tests stop and start.
  for (const db of Object.values(databases.nodes)) {
    const relay = new OutboxRelay({
      kafka,
      store: new MysqlOutboxStore({ mysql: MYSQL, database: db }),
      pollIntervalMs: 20,
      claimIntervalMs: 200,
      logger: testLogger('relay'),
    });
    await relay.start();
    relays.push(relay);
  }
  if (options.relay !== false) await stack.startRelay();
  return stack;
}

/** Where a client reaches a stack: its gateway, or with two provinces the gateway of the key's own province. */
type GatewayOf = { gatewayUrl: string; gatewayUrlFor?: (key: string) => string };
const gatewayFor = (stack: GatewayOf, key?: string) => (key && stack.gatewayUrlFor ? stack.gatewayUrlFor(key) : stack.gatewayUrl);

/** Sends a request to the gateway with a municipal system's key (its own province's gateway, with two provinces). */
export async function post(stack: GatewayOf, body: unknown, key?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gatewayFor(stack, key)}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function getCase(stack: GatewayOf, caseId: string, key: string) {
  const res = await fetch(`${gatewayFor(stack, key)}/v1/cases/${encodeURIComponent(caseId)}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
