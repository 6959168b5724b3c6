import { createServer } from 'node:net';
import type { Kafka } from 'kafkajs';
import { createKafka, HEADERS } from '@tongban/kafka';
import { provinceOf, topics } from '@tongban/regions';
import type { RunningService } from '../../tools/stack/stack';
import { ProvinceLayout, provinceOfDevelopmentKey, twoProvinces } from '../../tools/stack/provinces';
import { ProvinceServices } from './province-processes';
import { developmentRegistryAuth } from './test-registry';
import type { StackSurface } from './stack-surface';
import { readTopic, TopicMessage } from './topic-reader';
import { uniqueId } from './unique';

/**
 * Both provinces as `npm start` runs them: each its own gateway, relay, region node, registry, ops and delivery
 * (processes from dist/) on its own cluster (Sichuan 9092, Chongqing 9094), its own MySQL user and Redis user,
 * with MirrorMaker 2 of `npm run infra:up` the only link between them.
 */
export interface ProvinceTestStack extends StackSurface {
  topology: 'provinces';
  /** Each province's own registry. */
  registryUrlOf(province: string): string;
  provinces: ProvinceLayout[];
  /** The province's layout (cluster, ports) by its code. */
  province(code: string): ProvinceLayout;
  /** A client of a province's own cluster. */
  kafkaOf(province: string): Kafka;
  /** Each province's gateway database, each node's database (reachable as root, as the tests read them). */
  databases: { gateways: Record<string, string>; nodes: Record<string, string> };
  services: RunningService[];
  /** A node's inbox topic: the same name in both clusters (MirrorMaker 2 keeps names; IdentityReplicationPolicy). */
  inbox(region: string): string;
}

/** `n` ports nobody listens on right now (held together while chosen, so they differ). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function startProvinceTestStack(options: { env?: Record<string, string> } = {}): Promise<ProvinceTestStack> {
  const id = uniqueId();
  const ports = await freePorts(12);
  const at = (slice: number[]) => ({ gateway: slice[0], registry: slice[1], node: slice[2], relay: slice[3], ops: slice[4], delivery: slice[5] });
  const provinces = twoProvinces(process.env, { sichuan: at(ports.slice(0, 6)), chongqing: at(ports.slice(6, 12)) });
  const run = new ProvinceServices('tbe', provinces, id);
  const env: Record<string, string> = {
    TONGBAN_NODE_SERVICE_TOKEN: `test-node-service-token-${id}-${'0'.repeat(16)}`,
    TONGBAN_LOG_LEVEL: 'warn',
    ...(options.env ?? {}),
  };
  try {
    await run.start('tongban-e2e-provinces', env);
  } catch (e) {
    await run.remove().catch(() => undefined);
    throw e;
  }
  const province = (code: string) => {
    const p = provinces.find((x) => x.code === code);
    if (!p) throw new Error(`no province ${code} in this stack (${provinces.map((x) => x.code).join(', ')})`);
    return p;
  };
  const clients = new Map<string, Kafka>();
  return {
    topology: 'provinces',
    id,
    namespace: run.namespace,
    gatewayUrl: run.gateway(run.sc),
    gatewayUrlOf: (code) => run.gateway(province(code)),
    gatewayUrlFor(key) {
      const code = provinceOfDevelopmentKey(key);
      return run.gateway(code ? province(code) : run.sc);
    },
    nodeUrl: (region) => `http://127.0.0.1:${province(region).ports.node}`,
    registryUrl: `http://127.0.0.1:${run.sc.ports.registry}`,
    registryUrlOf: (code) => `http://127.0.0.1:${province(code).ports.registry}`,
    registryAuth: developmentRegistryAuth(),
    provinces,
    province,
    kafkaOf(code) {
      if (!clients.has(code)) clients.set(code, createKafka(province(code).brokers, `test-${id}-${province(code).alias}`));
      return clients.get(code)!;
    },
    databases: {
      gateways: Object.fromEntries(provinces.map((p) => [p.code, run.database(p, 'gateway')])),
      nodes: Object.fromEntries(provinces.map((p) => [p.code, run.database(p, `node_${p.code}`)])),
    },
    env,
    services: run.services,
    inbox: (region) => topics.inbox(run.namespace, region),
    stop: () => run.remove(),
  };
}

/** One record of a node's inbox as each cluster holds it: where it was written, and its copy across the link. */
export interface LinkCrossing {
  eventId: string;
  /** In the cluster of the province that accepted it (written there by that province's relay). */
  atSource: TopicMessage;
  /** In the cluster of the addressee's province (written there by MirrorMaker 2 alone). */
  atTarget: TopicMessage;
}

/**
 * The records of `node`'s inbox published in the other province (by their source region), matching `which`: each
 * as the accepting province's cluster holds it and as `node`'s own cluster holds it. The other province's services
 * reach only their own cluster, so a record found in both, byte for byte, came over MirrorMaker 2. `missing` lists
 * those of the source cluster the target cluster does not hold (yet); `onlyAtTarget` those the target cluster holds
 * but the source cluster never had (which would have come some other way).
 */
export async function linkCrossings(
  stack: ProvinceTestStack,
  node: string,
  which: (m: TopicMessage) => boolean,
): Promise<{ crossed: LinkCrossing[]; missing: TopicMessage[]; onlyAtTarget: TopicMessage[] }> {
  const source = stack.provinces.find((p) => p.code !== node)!;
  const topic = stack.inbox(node);
  const eventId = (m: TopicMessage) => m.headers[HEADERS.eventId] ?? '';
  const fromSource = (m: TopicMessage) => provinceOf(m.headers[HEADERS.sourceRegion] ?? '') === source.code && which(m);
  const atSource = (await readTopic(stack.kafkaOf(source.code), topic)).filter(fromSource);
  const atTarget = (await readTopic(stack.kafkaOf(node), topic)).filter(fromSource);
  const targetById = new Map(atTarget.map((m) => [eventId(m), m]));
  const sourceIds = new Set(atSource.map(eventId));
  const crossed: LinkCrossing[] = [];
  const missing: TopicMessage[] = [];
  for (const m of atSource) {
    const copy = targetById.get(eventId(m));
    if (copy && copy.key === m.key && copy.value?.equals(m.value ?? Buffer.alloc(0))) crossed.push({ eventId: eventId(m), atSource: m, atTarget: copy });
    else missing.push(m);
  }
  return { crossed, missing, onlyAtTarget: atTarget.filter((m) => !sourceIds.has(eventId(m))) };
}
