import { createConnection } from 'mysql2/promise';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { example } from '../support/examples';
import { waitFor } from '../support/wait';
import { ProvinceLayout, provinceDatabaseUser } from '../../tools/stack/provinces';
import { provinceRedisUser } from '../../tools/stack/redis-users';
import { infraAsync } from './province-stack';
import { ProvinceProcesses } from './province-processes';

/**
 * Both provinces' services as `npm start` runs them (processes, each province on its own cluster, own MySQL
 * user, own Redis user and prefix), on ports of this test, with MirrorMaker 2 of `npm run infra:up` as the only link.
 */
const run = new ProvinceProcesses('tbp', 4710, 4810);
const { id, namespace, prefix, provinces, sc, cq } = run;
const gateway = (p: ProvinceLayout) => run.gateway(p);
const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const post = (p: ProvinceLayout, key: string, body: unknown) => run.post(p, key, body);

interface HistoryEntry {
  seq: number;
  eventType: string;
  outcome: string;
}

async function history(p: ProvinceLayout, key: string, caseId: string): Promise<HistoryEntry[] | undefined> {
  const res = await fetch(`${gateway(p)}/v1/cases/${encodeURIComponent(caseId)}`, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { history?: HistoryEntry[] }).history ?? [];
}

/** Chengdu's application for a case, and its withdrawal: two events per case, in that order. */
function caseEvents(caseId: string): unknown[] {
  const now = new Date().toISOString();
  return ['SubsidyApplicationSubmitted', 'SubsidyApplicationWithdrawn'].map((type) => ({ ...example(type), caseId, occurredAt: now }));
}

const SENT_TYPES = ['SubsidyApplicationSubmitted', 'SubsidyApplicationWithdrawn'];

/** Per case, the sent events as Dazu's node applied them (by type, in its order): each must appear once, in order. */
async function appliedAtDazu(caseIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const caseId of caseIds) {
    const h = await history(cq, 'dev-dazu', caseId);
    out.set(
      caseId,
      (h ?? [])
        .filter((e) => SENT_TYPES.includes(e.eventType))
        .sort((a, b) => a.seq - b.seq)
        .map((e) => e.eventType),
    );
  }
  return out;
}

describe('both provinces as separate deployments linked only by MirrorMaker 2', () => {
  const services = () => run.services;

  beforeAll(async () => {
    await run.start('tongban-province-services');
  }, 240_000);

  afterAll(async () => {
    await run.remove();
  }, 120_000);

  it('gives each province its own copy of every service, bound to its own cluster, its own MySQL user and its own Redis user', () => {
    for (const p of provinces) {
      const own = services().filter((s) => s.spec.name.endsWith(`-${p.alias}`) || s.spec.name === `region-node-${p.code}`);
      expect(own.map((s) => s.spec.name.replace(`-${p.alias}`, '')).sort()).toEqual(
        ['delivery', 'gateway', 'ops', `region-node-${p.code}`, 'relay', 'schema-registry'].sort(),
      );
      for (const s of own) {
        expect(s.spec.env.TONGBAN_KAFKA_BROKERS).toBe(p.brokers.join(','));
        expect(s.spec.env.TONGBAN_MYSQL_USER).toBe(provinceDatabaseUser(prefix, p).user);
        expect(s.spec.env.TONGBAN_REDIS_PREFIX).toBe(`${namespace}:${p.code}`);
        // Only the services that use Redis hold a Redis credential, and only their own province's.
        const usesRedis = /^(gateway|delivery|region-node)/.test(s.spec.name);
        expect(s.spec.env.TONGBAN_REDIS_USERNAME).toBe(usesRedis ? provinceRedisUser(namespace, p).username : undefined);
        expect(s.spec.env.TONGBAN_REDIS_PASSWORD).toBe(usesRedis ? provinceRedisUser(namespace, p).password : undefined);
        const other = provinces.find((x) => x !== p)!;
        expect(JSON.stringify(s.spec.env)).not.toContain(other.brokers[0]);
        expect(JSON.stringify(s.spec.env)).not.toContain(provinceRedisUser(namespace, other).password);
      }
    }
  });

  it("refuses a province's MySQL user every database of the other province", async () => {
    const user = provinceDatabaseUser(prefix, sc);
    const conn = await createConnection({ ...MYSQL, user: user.user, password: user.password });
    try {
      const [own] = await conn.query(`SELECT COUNT(*) AS n FROM \`${user.user}_gateway\`.accepted_events`);
      expect(own).toHaveLength(1);
      await expect(conn.query(`SELECT 1 FROM \`${provinceDatabaseUser(prefix, cq).user}_gateway\`.accepted_events LIMIT 1`)).rejects.toThrow(/denied/i);
      await expect(conn.query(`CREATE DATABASE \`${prefix}_other\``)).rejects.toThrow(/denied/i);
    } finally {
      await conn.end();
    }
  });

  it("answers a key of the other province with 403 at each gateway, naming the province's own gateway", async () => {
    const body = { ...example('SubsidyApplicationSubmitted'), caseId: `SUB-510104-2026-000123-${id}W` };
    const atSichuan = await post(sc, 'dev-dazu', body);
    expect(atSichuan.status).toBe(403);
    expect(atSichuan.body.error?.message).toContain('gateway of province 500000');
    const atChongqing = await post(cq, 'dev-chengdu', body);
    expect(atChongqing.status).toBe(403);
    expect(atChongqing.body.error?.message).toContain('gateway of province 510000');
  });

  it('carries a case from Chengdu (Sichuan gateway) to Dazu (Chongqing node) and the answer back', async () => {
    const caseId = `SUB-510104-2026-000123-${id}A`;
    const now = new Date().toISOString();
    expect((await post(sc, 'dev-chengdu', { ...example('SubsidyApplicationSubmitted'), caseId, occurredAt: now })).status).toBe(202);
    await waitFor(async () => (await history(cq, 'dev-dazu', caseId))?.length || undefined, 'the case at Dazu', 60_000, 200);
    expect((await post(cq, 'dev-dazu', { ...example('SubsidyApplicationAcknowledged'), caseId, occurredAt: now })).status).toBe(202);
    const back = await waitFor(
      async () => ((await history(sc, 'dev-chengdu', caseId)) ?? []).find((e) => e.eventType === 'SubsidyApplicationAcknowledged'),
      "Dazu's acknowledgement back in Chengdu",
      60_000,
      200,
    );
    expect(back.outcome).toBe('applied');
  }, 150_000);

  it("keeps the deadlines a node schedules under its province's Redis prefix, reached as that province's Redis user alone", async () => {
    // The case carried above: Chengdu's node (Sichuan) holds its deadlines.
    const caseId = `SUB-510104-2026-000123-${id}A`;
    const queueAs = (p: ProvinceLayout) => {
      const u = provinceRedisUser(namespace, p);
      const q = new Queue(`deadlines-${sc.code}`, {
        connection: { host: '127.0.0.1', port: 6379, username: u.username, password: u.password, maxRetriesPerRequest: 1 },
        prefix: `${namespace}:${sc.code}:${provinceDatabaseUser(prefix, sc).user}_node_${sc.code}`,
      });
      q.on('error', () => undefined);
      return q;
    };
    const own = queueAs(sc);
    const intruder = queueAs(cq);
    try {
      const job = await waitFor(
        async () => (await own.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed'])).find((j) => j.data?.caseId === caseId),
        "the case's deadline in Sichuan's queue",
        30_000,
        500,
      );
      expect(job.name).toBe('deadline');
      await expect(intruder.getJob(job.id!)).rejects.toThrow(/NOPERM/);
      await expect(intruder.remove(job.id!)).rejects.toThrow(/NOPERM/);
      expect((await own.getJob(job.id!))?.data).toEqual(job.data);
    } finally {
      await own.close();
      await intruder.close();
    }
    // Every process that uses Redis is connected as its province's user, and reports Redis up.
    const admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await admin.connect();
      const users = String(await admin.call('CLIENT', 'LIST'))
        .split('\n')
        .map((line) => / user=(\S+)/.exec(line)?.[1]);
      for (const p of provinces) expect(users.filter((u) => u === provinceRedisUser(namespace, p).username).length).toBeGreaterThanOrEqual(3);
    } finally {
      admin.disconnect();
    }
    for (const p of provinces) {
      for (const port of [p.ports.node, p.ports.gateway, p.ports.delivery]) {
        const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { checks: Record<string, { status: string }> };
        expect(health.checks.redis.status).toBe('up');
      }
    }
  }, 60_000);

  it('applies every event once and in order per case in Chongqing when its mirror is killed with kill -9 while events flow', async () => {
    const caseIds = Array.from({ length: 24 }, (_, i) => `SUB-510104-2026-000123-${id}K${i}`);
    const accepted: string[] = [];
    let killed = false;
    for (const [i, caseId] of caseIds.entries()) {
      for (const body of caseEvents(caseId)) {
        const res = await post(sc, 'dev-chengdu', body);
        expect(res.status).toBe(202);
        accepted.push(res.body.eventId!);
      }
      if (i === 8) {
        await infraAsync('mirror-kill', cq.code);
        killed = true;
      }
      if (i === 16) await infraAsync('mirror-start', cq.code);
    }
    expect(killed).toBe(true);
    const applied = await waitFor(
      async () => {
        const seen = await appliedAtDazu(caseIds);
        return [...seen.values()].every((types) => types.length >= SENT_TYPES.length) ? seen : undefined;
      },
      'every case complete at Dazu',
      240_000,
      1000,
    );
    const lost = [...applied.values()].reduce((n, t) => n + Math.max(0, SENT_TYPES.length - t.length), 0);
    const doubled = [...applied.values()].reduce((n, t) => n + Math.max(0, t.length - SENT_TYPES.length), 0);
    console.log(`mirror kill -9: ${accepted.length} events accepted in Sichuan for ${caseIds.length} cases; at Dazu ${lost} lost, ${doubled} doubled`);
    for (const types of applied.values()) expect(types).toEqual(SENT_TYPES);
  }, 420_000);

  it('keeps events in Sichuan while the link is down and delivers them in order when it returns', async () => {
    const caseIds = Array.from({ length: 10 }, (_, i) => `SUB-510104-2026-000123-${id}L${i}`);
    await infraAsync('mirror-stop', cq.code);
    try {
      for (const caseId of caseIds) for (const body of caseEvents(caseId)) expect((await post(sc, 'dev-chengdu', body)).status).toBe(202);
      // Sichuan has them (its own copies are applied by its own node) ...
      await waitFor(async () => ((await history(sc, 'dev-chengdu', caseIds[9]))?.length ? true : undefined), 'the last case in Sichuan', 60_000, 200);
      // ... and Chongqing does not, while the link is down; its ops reports them waiting in Sichuan.
      const waiting = await waitFor(
        async () => {
          const link = await linkStatus(cq);
          return (link.incoming[0]?.messages ?? 0) >= caseIds.length * SENT_TYPES.length ? link : undefined;
        },
        "the backlog in Chongqing's ops",
        60_000,
        1000,
      );
      expect(waiting.incoming[0]).toMatchObject({ source: 'sichuan', target: 'chongqing' });
      expect(waiting.incoming[0].oldestAgeMs).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${cq.ports.ops}/metrics`)).text();
      const gauge = metrics.match(/^tongban_mirror_lag_messages\{[^}]*source="sichuan",target="chongqing"[^}]*\} (\d+)/m);
      expect(Number(gauge?.[1])).toBeGreaterThanOrEqual(caseIds.length * SENT_TYPES.length);
      expect(await history(cq, 'dev-dazu', caseIds[0])).toBeUndefined();
    } finally {
      await infraAsync('mirror-start', cq.code);
    }
    const applied = await waitFor(
      async () => {
        const seen = await appliedAtDazu(caseIds);
        return [...seen.values()].every((types) => types.length >= SENT_TYPES.length) ? seen : undefined;
      },
      'the backlog at Dazu',
      240_000,
      1000,
    );
    for (const types of applied.values()) expect(types).toEqual(SENT_TYPES);
    const drained = await waitFor(async () => ((await linkStatus(cq)).incoming[0]?.messages === 0 ? true : undefined), 'the lag back to 0', 60_000, 1000);
    expect(drained).toBe(true);
  }, 420_000);
});

async function linkStatus(
  p: ProvinceLayout,
): Promise<{ configured: boolean; incoming: Array<{ source: string; target: string; messages?: number; oldestAgeMs?: number; error?: string }> }> {
  const res = await fetch(`http://127.0.0.1:${p.ports.ops}/v1/link`, { headers: { authorization: 'Bearer dev-operator-token' } });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}
