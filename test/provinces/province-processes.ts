import { uniqueId } from '../support/unique';
import { RunningService, startStack } from '../../tools/stack/stack';
import { dropProvinceDatabaseUser, ProvinceLayout, provinceDatabaseUser, twoProvinces } from '../../tools/stack/provinces';
import { dropProvinceRedisUser, provinceRedisUser } from '../../tools/stack/redis-users';
import { dropDatabase } from '@tongban/persistence';
import { createKafka } from '@tongban/kafka';
import { SIDE } from './province-stack';

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** The ports of one province's services from `base` up: gateway, registry, node, relay, ops, delivery. */
const portsFrom = (base: number) => ({ gateway: base, registry: base + 1, node: base + 2, relay: base + 3, ops: base + 4, delivery: base + 5 });

/**
 * Both provinces' services as `npm start` runs them (processes, each province on its own cluster of the default
 * infrastructure, its own MySQL user and Redis prefix), under a namespace and database prefix of the test's own and on
 * ports from `sichuanPorts` / `chongqingPorts`; MirrorMaker 2 of `npm run infra:up` is the only link.
 */
export class ProvinceProcesses {
  readonly id = uniqueId();
  readonly namespace = `t-${this.id}`;
  readonly prefix: string;
  readonly provinces: ProvinceLayout[];
  services: RunningService[] = [];
  private stopServices: () => Promise<void> = async () => undefined;

  constructor(prefixTag: string, sichuanPorts: number, chongqingPorts: number) {
    this.prefix = `${prefixTag}_${this.id.replace(/-/g, '_')}`;
    this.provinces = twoProvinces(
      { TONGBAN_KAFKA_PORT: String(SIDE.sichuan.port), TONGBAN_KAFKA_CQ_PORT: String(SIDE.chongqing.port) },
      { sichuan: portsFrom(sichuanPorts), chongqing: portsFrom(chongqingPorts) },
    );
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

  async start(logName: string): Promise<void> {
    const stack = await startStack({ provinces: this.provinces, namespace: this.namespace, databasePrefix: this.prefix, logDir: `/tmp/${logName}-${this.id}` });
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
      const user = provinceDatabaseUser(this.prefix, p).user;
      for (const db of ['gateway', `node_${p.code}`, 'registry', 'ops', 'delivery']) await dropDatabase(MYSQL, `${user}_${db}`);
      await dropProvinceDatabaseUser(user);
    }
  }

  /** POST /v1/events at a province's gateway with a key of that province. */
  async post(p: ProvinceLayout, key: string, body: unknown): Promise<{ status: number; body: { eventId?: string; error?: { code: string; message: string } } }> {
    const res = await fetch(`${this.gateway(p)}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { eventId?: string; error?: { code: string; message: string } } };
  }
}
