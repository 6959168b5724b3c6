import { uniqueId } from './unique';
import { RunningService, startStack } from '../../tools/stack/stack';
import { dropProvinceDatabaseUser, ProvinceLayout, provinceDatabaseUser } from '../../tools/stack/provinces';
import { dropProvinceRedisUser, provinceRedisUser } from '../../tools/stack/redis-users';
import { dropDatabase } from '@tongban/persistence';
import { createKafka } from '@tongban/kafka';

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** The ports of one province's services from `base` up: gateway, registry, node, relay, ops, delivery. */
export const portsFrom = (base: number) => ({ gateway: base, registry: base + 1, node: base + 2, relay: base + 3, ops: base + 4, delivery: base + 5 });

/** The databases of one province's services, as `provinceStackServices` names them (`<prefix>_<tag>_<name>`). */
export const PROVINCE_DATABASES = (p: ProvinceLayout) => ['gateway', `node_${p.code}`, 'registry', 'ops', 'delivery'];

/**
 * Both provinces' services as `npm start` runs them (processes, each province on its own cluster, its own MySQL
 * user and Redis prefix), under a namespace and database prefix of the test's own, laid out as `provinces` says;
 * MirrorMaker 2 of `npm run infra:up` is the only link.
 */
export class ProvinceServices {
  readonly id: string;
  readonly namespace: string;
  readonly prefix: string;
  services: RunningService[] = [];
  private stopServices: () => Promise<void> = async () => undefined;

  constructor(
    prefixTag: string,
    readonly provinces: ProvinceLayout[],
    id = uniqueId(),
  ) {
    this.id = id;
    this.namespace = `t-${id}`;
    this.prefix = `${prefixTag}_${id.replace(/-/g, '_')}`;
  }

  get sc(): ProvinceLayout {
    return this.provinces[0];
  }

  get cq(): ProvinceLayout {
    return this.provinces[1];
  }

  gateway(p: ProvinceLayout): string {
    return `http://127.0.0.1:${p.ports.gateway}`;
  }

  /** The database of one of a province's services (`gateway`, `node_510000`, `ops`, ...). */
  database(p: ProvinceLayout, name: string): string {
    return `${provinceDatabaseUser(this.prefix, p).user}_${name}`;
  }

  async start(logName: string, extraEnv?: Record<string, string>): Promise<void> {
    const stack = await startStack({
      provinces: this.provinces,
      namespace: this.namespace,
      databasePrefix: this.prefix,
      logDir: `/tmp/${logName}-${this.id}`,
      extraEnv,
    });
    this.services = stack.services;
    this.stopServices = stack.stop;
  }

  /** Stops the services and removes the run's topics on both clusters, its databases, its MySQL and Redis users. */
  async remove(): Promise<void> {
    await this.stopServices();
    // First, so that a cluster that cannot be reached leaves no user behind.
    for (const p of this.provinces) await dropProvinceRedisUser(provinceRedisUser(this.namespace, p).username);
    for (const p of this.provinces) {
      const admin = createKafka(p.brokers, `cleanup-${this.id}`).admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${this.namespace}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
      for (const db of PROVINCE_DATABASES(p)) await dropDatabase(MYSQL, this.database(p, db));
      await dropProvinceDatabaseUser(provinceDatabaseUser(this.prefix, p).user);
    }
  }

  /** POST /v1/events at a province's gateway with a key of that province. */
  async post(
    p: ProvinceLayout,
    key: string,
    body: unknown,
  ): Promise<{ status: number; body: { eventId?: string; error?: { code: string; message: string } } }> {
    const res = await fetch(`${this.gateway(p)}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { eventId?: string; error?: { code: string; message: string } } };
  }
}
