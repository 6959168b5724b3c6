import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';
import { ensureProvinceDatabaseUser, grantMirrors, incomingLinkEnv, ProvinceLayout, provinceDatabaseUser, ProvincePorts } from './provinces';
import { ensureProvinceRedisUser, provinceRedisUser } from './redis-users';

/** One tongban process of a local stack. */
export interface ServiceSpec {
  name: string;
  /** Compiled entry point under dist/. */
  main: string;
  env: Record<string, string>;
  healthUrl: string;
  /** TONGBAN_* names the child takes from the caller's environment besides INFRASTRUCTURE_ENV. */
  inheritEnv?: readonly string[];
  /** Options for node itself, before the entry point (for example `--cpu-prof`, which NODE_OPTIONS does not take). */
  nodeArgs?: readonly string[];
  /**
   * The province whose copy of the services this is (two-province stacks): the provinces start and stop side by
   * side, each in its own order. Absent: the services start one after another.
   */
  province?: string;
}

/**
 * The TONGBAN_* settings a stack started by the scripts takes from the caller: where the shared
 * infrastructure is and how much to log. Everything else (keys, namespaces, delays, databases) the
 * stack sets itself, so a variable left in the caller's shell cannot change what a run proves.
 */
export const INFRASTRUCTURE_ENV: readonly string[] = [
  'TONGBAN_HOME',
  'TONGBAN_SECRETS_DIR',
  'TONGBAN_INFRA_CACHE_DIR',
  'TONGBAN_KAFKA_BROKERS',
  'TONGBAN_MYSQL_HOST',
  'TONGBAN_MYSQL_PORT',
  'TONGBAN_MYSQL_USER',
  'TONGBAN_MYSQL_PASSWORD',
  'TONGBAN_MYSQL_SOCKET',
  'TONGBAN_REDIS_HOST',
  'TONGBAN_REDIS_PORT',
  'TONGBAN_LOG_LEVEL',
];

/** The environment of a child process: the caller's without its TONGBAN_* settings (but those allowed), then `own`. */
export function childEnv(caller: NodeJS.ProcessEnv, own: Record<string, string>, inherit: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(caller)) {
    if (!name.startsWith('TONGBAN_') || INFRASTRUCTURE_ENV.includes(name) || inherit.includes(name)) env[name] = value;
  }
  return { ...env, ...own };
}

export interface StackOptions {
  namespace?: string;
  gatewayPort?: number;
  registryPort?: number;
  nodePorts?: Record<string, number>;
  relayPort?: number;
  opsPort?: number;
  deliveryPort?: number;
  databasePrefix?: string;
  extraEnv?: Record<string, string>;
  logDir?: string;
  /** TONGBAN_* names the caller's environment may set for this stack beyond where the infrastructure is. */
  inheritEnv?: readonly string[];
  /** Options for node itself given to every service of the stack (see ServiceSpec.nodeArgs). */
  nodeArgs?: readonly string[];
  /**
   * Both provinces, each with its own copy of every service on its own cluster (see provinceStackServices);
   * the port options above are then ignored. Absent: one copy of the services on one cluster.
   */
  provinces?: ProvinceLayout[];
}

export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
}

/** The processes of a two-node stack on one cluster (Sichuan 510000, Chongqing 500000), in start order. */
export function stackServices(o: StackOptions = {}): ServiceSpec[] {
  const ns = o.namespace ?? 'tongban';
  return servicesOf({
    namespace: ns,
    db: o.databasePrefix ?? 'tongban',
    nodePorts: o.nodePorts ?? { '510000': 3201, '500000': 3202 },
    ports: {
      registry: o.registryPort ?? 8081,
      gateway: o.gatewayPort ?? 3000,
      relay: o.relayPort ?? 3300,
      ops: o.opsPort ?? 3100,
      delivery: o.deliveryPort ?? 3400,
    },
    env: { TONGBAN_PROFILE: 'development', TONGBAN_TOPIC_NAMESPACE: ns, ...(o.extraEnv ?? {}) },
    suffix: '',
    inheritEnv: o.inheritEnv,
  });
}

/**
 * The processes of both provinces, each a full copy on its own cluster, its own databases (`<prefix>_sc_*`,
 * `<prefix>_cq_*`) reached as its own MySQL user, its own Redis key prefix reached as its own Redis user (given
 * only to the services that use Redis) and its own ports; the only link between them is MirrorMaker 2. Names end
 * in `-sichuan` / `-chongqing`.
 */
export function provinceStackServices(provinces: ProvinceLayout[], o: StackOptions = {}): ServiceSpec[] {
  const ns = o.namespace ?? 'tongban';
  const prefix = o.databasePrefix ?? 'tongban';
  return provinces.flatMap((p) => {
    const dbUser = provinceDatabaseUser(prefix, p);
    const redisUser = provinceRedisUser(ns, p);
    return servicesOf({
      namespace: ns,
      db: dbUser.user,
      nodePorts: { [p.code]: p.ports.node },
      ports: p.ports,
      env: {
        TONGBAN_PROFILE: 'development',
        TONGBAN_TOPIC_NAMESPACE: ns,
        TONGBAN_KAFKA_BROKERS: p.brokers.join(','),
        TONGBAN_MYSQL_USER: dbUser.user,
        TONGBAN_MYSQL_PASSWORD: dbUser.password,
        TONGBAN_REDIS_PREFIX: redisUser.keyPrefix,
        // A province of three or more nodes keeps three copies of every topic, two of them in sync for a write.
        ...(p.brokers.length >= 3 ? { TONGBAN_TOPIC_REPLICATION_FACTOR: '3', TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '2' } : {}),
        ...(o.extraEnv ?? {}),
      },
      redisEnv: { TONGBAN_REDIS_USERNAME: redisUser.username, TONGBAN_REDIS_PASSWORD: redisUser.password },
      gatewayEnv: { TONGBAN_GATEWAY_PROVINCE: p.code },
      opsEnv: incomingLinkEnv(p, provinces),
      // Schemas not in a release get ids only this province's registry knows: disjoint ranges make such an id,
      // should it cross the link, a clear "unknown schema" dead letter rather than another schema's id.
      registryEnv: { TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: p.code === '510000' ? '51000000' : '50000000' },
      suffix: `-${p.alias}`,
      inheritEnv: o.inheritEnv,
    }).map((spec) => ({ ...spec, province: p.code }));
  });
}

interface ServicesOf {
  namespace: string;
  /** Prefix of the databases (`<db>_gateway`, `<db>_node_<region>`, ...). */
  db: string;
  nodePorts: Record<string, number>;
  ports: Omit<ProvincePorts, 'node'>;
  env: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  opsEnv?: Record<string, string>;
  registryEnv?: Record<string, string>;
  /** The Redis identity, for the services that use Redis (region nodes, gateway, delivery). */
  redisEnv?: Record<string, string>;
  /** Appended to each process's name. */
  suffix: string;
  inheritEnv?: readonly string[];
}

function servicesOf(o: ServicesOf): ServiceSpec[] {
  const { db, ports } = o;
  const common = { TONGBAN_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${ports.registry}`, ...o.env };
  const nodes = Object.entries(o.nodePorts);
  const nodeUrls = nodes.map(([region, port]) => `${region}=http://127.0.0.1:${port}`).join(',');
  return [
    {
      name: `schema-registry${o.suffix}`,
      main: 'services/schema-registry/src/main.js',
      env: { ...common, TONGBAN_SCHEMA_REGISTRY_PORT: String(ports.registry), TONGBAN_SCHEMA_REGISTRY_DATABASE: `${db}_registry`, ...(o.registryEnv ?? {}) },
      healthUrl: `http://127.0.0.1:${ports.registry}/health`,
    },
    ...nodes.map(([region, port]) => ({
      name: `region-node-${region}`,
      main: 'services/region-node/src/main.js',
      env: { ...common, TONGBAN_NODE_REGION: region, TONGBAN_NODE_PORT: String(port), TONGBAN_NODE_DATABASE: `${db}_node_${region}`, ...(o.redisEnv ?? {}) },
      healthUrl: `http://127.0.0.1:${port}/health`,
      nodeArgs: BUSY_SERVICE_NODE_ARGS,
    })),
    {
      name: `gateway${o.suffix}`,
      main: 'services/gateway/src/main.js',
      env: {
        ...common,
        TONGBAN_GATEWAY_PORT: String(ports.gateway),
        TONGBAN_GATEWAY_DATABASE: `${db}_gateway`,
        TONGBAN_NODE_URLS: nodeUrls,
        // Its own province's ops keeps the receipts of events that crossed to the other province.
        TONGBAN_GATEWAY_OPS_URL: `http://127.0.0.1:${ports.ops}`,
        ...(o.redisEnv ?? {}),
        ...(o.gatewayEnv ?? {}),
      },
      healthUrl: `http://127.0.0.1:${ports.gateway}/health`,
      inheritEnv: o.inheritEnv,
      nodeArgs: BUSY_SERVICE_NODE_ARGS,
    },
    {
      name: `relay${o.suffix}`,
      main: 'services/relay/src/main.js',
      env: {
        ...common,
        TONGBAN_RELAY_PORT: String(ports.relay),
        TONGBAN_RELAY_DATABASES: [`${db}_gateway`, ...nodes.map(([region]) => `${db}_node_${region}`)].join(','),
      },
      healthUrl: `http://127.0.0.1:${ports.relay}/health`,
    },
    {
      name: `ops${o.suffix}`,
      main: 'services/ops/src/main.js',
      env: {
        ...common,
        TONGBAN_OPS_PORT: String(ports.ops),
        TONGBAN_OPS_DATABASE: `${db}_ops`,
        TONGBAN_OPS_NODES: nodes.map(([region]) => region).join(','),
        TONGBAN_NODE_URLS: nodeUrls,
        TONGBAN_AUDIT_DATABASES: [`${db}_gateway`, ...nodes.map(([region]) => `${db}_node_${region}`), `${db}_delivery`].join(','),
        // Its own province's delivery service and outboxes, never the other province's.
        TONGBAN_OPS_DELIVERY_URL: `http://127.0.0.1:${ports.delivery}`,
        TONGBAN_OPS_OUTBOX_DATABASES: [`${db}_gateway`, ...nodes.map(([region]) => `${db}_node_${region}`)].join(','),
        ...(o.opsEnv ?? {}),
      },
      healthUrl: `http://127.0.0.1:${ports.ops}/health`,
    },
    {
      name: `delivery${o.suffix}`,
      main: 'services/delivery/src/main.js',
      env: {
        ...common,
        TONGBAN_DELIVERY_PORT: String(ports.delivery),
        TONGBAN_DELIVERY_DATABASE: `${db}_delivery`,
        TONGBAN_DELIVERY_KEYS_DATABASE: `${db}_gateway`,
        TONGBAN_DELIVERY_NODES: nodes.map(([region]) => region).join(','),
        // Local partner receivers (the demo's, a developer's) listen on loopback.
        TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'true',
        ...(o.redisEnv ?? {}),
      },
      healthUrl: `http://127.0.0.1:${ports.delivery}/health`,
    },
  ];
}

/**
 * The gateway's and the region nodes' old generation is bounded at 128 MiB. Their live set is about 40 MiB, but under
 * load V8 let the garbage of requests and batches promoted there grow to about 115 MiB before it collected, and the
 * processes past 200 MB. See the README's benchmark section for the trade measured.
 */
export const BUSY_SERVICE_NODE_ARGS: readonly string[] = ['--max-old-space-size=128'];

export async function waitForHealth(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before it was healthy`);
    }
    try {
      // Longer than a service's own health check timeout (3 s), so a slow dependency answers 503 instead of an abort.
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not healthy after ${timeoutMs} ms (${last})`);
}

/**
 * Starts a compiled service as a child process, its output in `<logDir>/<name>.log`. The child writes to the file
 * itself: its log lines do not pass through this process (the bench's load generator, the demo, the chaos run), which
 * would spend its own CPU on them and, when busy, leave them queued in the child's memory.
 */
export function spawnService(spec: ServiceSpec, logDir: string): RunningService {
  mkdirSync(logDir, { recursive: true });
  const root = repoRoot();
  const log = openSync(join(logDir, `${spec.name}.log`), 'a');
  try {
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), '-r', join(root, 'tools/runtime/register-aliases.js'), join(root, 'dist', spec.main)], {
      cwd: root,
      env: childEnv(process.env, spec.env, spec.inheritEnv),
      stdio: ['ignore', log, log],
    });
    return { spec, child };
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
}

/** The services a stack of `options` starts, in order; the caller's node options come after each service's own. */
export function stackSpecs(options: StackOptions): ServiceSpec[] {
  return (options.provinces ? provinceStackServices(options.provinces, options) : stackServices(options)).map((s) =>
    options.nodeArgs ? { ...s, nodeArgs: [...(s.nodeArgs ?? []), ...options.nodeArgs] } : s,
  );
}

export async function startStack(
  options: StackOptions = {},
  onProgress: (line: string) => void = () => undefined,
): Promise<{ services: RunningService[]; stop: () => Promise<void> }> {
  const logDir = options.logDir ?? join(repoRoot(), '.tongban', 'logs');
  const services: RunningService[] = [];
  // Each province's services stop in the reverse of their start order; the provinces side by side.
  const stop = async () => {
    await Promise.all(
      inGroups(services, (s) => s.spec.province).map(async (group) => {
        for (const s of group.reverse()) await stopService(s);
      }),
    );
  };
  // Children must not outlive a stack whose owner is interrupted.
  const onSignal = (signal: NodeJS.Signals) => {
    onProgress(`${signal}: stopping the services (each finishes its work in flight)`);
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => services.forEach((s) => s.child.exitCode === null && s.child.kill('SIGKILL')));
  try {
    const specs = stackSpecs(options);
    if (options.provinces) {
      const prefix = options.databasePrefix ?? 'tongban';
      for (const p of options.provinces) await ensureProvinceDatabaseUser(provinceDatabaseUser(prefix, p));
      onProgress(`MySQL users ${options.provinces.map((p) => provinceDatabaseUser(prefix, p).user).join(', ')} (each only on its own province's databases)`);
      const ns = options.namespace ?? 'tongban';
      for (const p of options.provinces) await ensureProvinceRedisUser(provinceRedisUser(ns, p));
      onProgress(`Redis users ${options.provinces.map((p) => provinceRedisUser(ns, p).username).join(', ')} (each only on its own province's keys)`);
      await grantMirrors(options.namespace ?? 'tongban', options.provinces);
      onProgress(`MirrorMaker 2 may carry the inbox topics of namespace ${options.namespace ?? 'tongban'} to their province`);
    }
    // The provinces start side by side (each its own copy, on its own cluster); a province's services in order.
    const started = await Promise.allSettled(
      inGroups(specs, (spec) => spec.province).map(async (group) => {
        for (const spec of group) {
          if (await answers(spec.healthUrl)) {
            throw new Error(`something already answers on ${new URL(spec.healthUrl).host} (where ${spec.name} should start); stop it or choose other ports`);
          }
          const startedAt = Date.now();
          const running = spawnService(spec, logDir);
          services.push(running);
          await waitForHealth(spec.healthUrl, 60_000, running.child).catch((e) => {
            throw new Error(`${spec.name} ${(e as Error).message}; see ${join(logDir, spec.name + '.log')}`);
          });
          onProgress(`${spec.name} is up (${Date.now() - startedAt} ms, pid ${running.child.pid})`);
        }
      }),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (e) {
    await stop();
    throw e;
  }
  return { services, stop };
}

/** `items` grouped by `key`, each group in the items' order, groups in the order of their first item. */
export function inGroups<T>(items: readonly T[], key: (item: T) => string | undefined): T[][] {
  const groups = new Map<string | undefined, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM (graceful: in-flight work finishes, consumers leave their group), SIGKILL after 15 s. */
export async function stopService(s: RunningService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill(signal);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
