import { AuditLog, AuditLogSchema1764300000000, entryHash } from '@tongban/audit';
import { EnvReader } from '@tongban/config';
import { createKafka } from '@tongban/kafka';
import { JsonLogger } from '@tongban/observability';
import { dropDatabase, openDatabase } from '@tongban/persistence';
import { createOpsApp, OpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { createSchemaRegistryApp, SchemaRegistryApp } from '../../services/schema-registry/src/app';
import { readSchemaRegistryConfig } from '../../services/schema-registry/src/schema-registry.config';
import { grantMirrors, ProvinceLayout, twoProvinces } from '../../tools/stack/provinces';
import { EXIT, run } from '../../tools/cli/tongban-cli';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { SIDE } from './province-stack';

/**
 * Each province's ops witnesses the other's audit chains over the real link: ops of Sichuan and of Chongqing
 * (in process, each on its own cluster with its own registry and databases) send their heads; MirrorMaker 2 of
 * `npm run infra:up` carries them across and the receipts back. A chain cut short, or rewritten, and made consistent
 * again passes the bare chain walk but not `audit verify --witness`; untouched chains pass both.
 */
const id = uniqueId();
const namespace = `t-${id}`;
const prefix = `tbw_${id}`;
const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const TOKEN = 'witness-admin-token-01';
const provinces: ProvinceLayout[] = twoProvinces({ TONGBAN_KAFKA_PORT: String(SIDE.sichuan.port), TONGBAN_KAFKA_CQ_PORT: String(SIDE.chongqing.port) });
const [sc, cq] = provinces;
const ENTRIES = 8;

interface Province {
  layout: ProvinceLayout;
  registry: SchemaRegistryApp;
  ops: OpsApp;
  url: string;
  gatewayDb: string;
}

interface WitnessedChain {
  database: string;
  chain: string;
  status: string;
  length: number | null;
  witnessedLength: number | null;
}

interface Verification {
  ok: boolean;
  firstBroken?: { problem: string; message: string; database: string; chain: string };
  witness?: { ok: boolean; witness: string; chains: WitnessedChain[]; firstBroken?: WitnessedChain & { message: string } };
}

const db = (p: ProvinceLayout, name: string) => `${prefix}_${p.tag}_${name}`;

async function verify(p: Province, witness: boolean): Promise<Verification> {
  const res = await fetch(`${p.url}/v1/audit/verify${witness ? '?witness=true' : ''}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Verification;
}

/** A database of the province's own (its gateway's, say) holding a disclosure chain of ENTRIES entries. */
async function gatewayWithChain(p: ProvinceLayout): Promise<string> {
  const database = db(p, 'gateway');
  const ds = await openDatabase({ mysql: MYSQL, database, entities: [], migrations: [AuditLogSchema1764300000000] });
  try {
    const log = new AuditLog(ds, { personKey: 'witness-test-person-key', chain: 'disclosures' });
    await log.prepare();
    for (let i = 1; i <= ENTRIES; i++)
      await log.record({ actor: 'gateway', actorKind: 'service', action: 'event.disclosed', subject: { cases: [`SUB-${p.code}-${i}`] } });
  } finally {
    await ds.destroy();
  }
  return database;
}

async function startProvince(p: ProvinceLayout): Promise<Province> {
  const registryConfig = readSchemaRegistryConfig(
    new EnvReader({
      TONGBAN_PROFILE: 'development',
      TONGBAN_SCHEMA_REGISTRY_DATABASE: db(p, 'registry'),
      TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: p.code === '510000' ? '51000000' : '50000000',
    }),
  );
  const registry = await createSchemaRegistryApp(registryConfig, new JsonLogger('schema-registry', undefined, 'error'));
  const registryUrl = await registry.listen(0, '127.0.0.1');
  const gatewayDb = await gatewayWithChain(p);
  const config = readOpsConfig({
    TONGBAN_PROFILE: 'development',
    TONGBAN_SECRETS_DIR: SIDE.secrets,
    TONGBAN_TOPIC_NAMESPACE: namespace,
    TONGBAN_KAFKA_BROKERS: p.brokers.join(','),
    TONGBAN_SCHEMA_REGISTRY_URL: registryUrl,
    TONGBAN_OPS_DATABASE: db(p, 'ops'),
    TONGBAN_OPS_NODES: p.code,
    TONGBAN_NODE_URLS: `${p.code}=http://127.0.0.1:9`,
    TONGBAN_AUDIT_DATABASES: gatewayDb,
    TONGBAN_OPERATORS: `auditor:${TOKEN}:admin`,
    // The test sends the heads itself (as the timer would, and as a shutdown does).
    TONGBAN_OPS_WITNESS_INTERVAL_SECONDS: '3600',
  });
  expect(config.witness).toMatchObject({ province: p.code });
  const ops = await createOpsApp(config, new JsonLogger(`ops-${p.alias}`, undefined, 'error'));
  for (let i = 1; i <= 3; i++) await ops.audit.record({ actor: 'olga', action: 'dlq.replayed', subject: { messages: [`m-${i}`] } });
  const url = await ops.start(0, '127.0.0.1');
  return { layout: p, registry, ops, url, gatewayDb };
}

/** The province's chains as its witness has acknowledged them, once every one with entries is. */
async function acknowledged(p: Province): Promise<Verification> {
  return waitFor(
    async () => {
      await p.ops.witness!.report();
      const r = await verify(p, true);
      const chains = r.witness?.chains ?? [];
      const gateway = chains.find((c) => c.database === p.gatewayDb && c.chain === 'disclosures');
      const ops = chains.find((c) => c.chain === 'ops');
      return gateway?.witnessedLength === ENTRIES && (ops?.witnessedLength ?? 0) > 0 ? r : undefined;
    },
    `the heads of province ${p.layout.code} acknowledged by the other province`,
    90_000,
    2000,
  );
}

describe('the audit chains of each province witnessed by the other, over MirrorMaker 2', () => {
  const running: Province[] = [];
  let sichuan: Province;
  let chongqing: Province;

  beforeAll(async () => {
    await grantMirrors(namespace, provinces);
    sichuan = await startProvince(sc);
    running.push(sichuan);
    chongqing = await startProvince(cq);
    running.push(chongqing);
  }, 180_000);

  afterAll(async () => {
    for (const p of running) {
      await p.ops.close().catch(() => undefined);
      await p.registry.close().catch(() => undefined);
    }
    for (const p of provinces) {
      const admin = createKafka(p.brokers, `cleanup-${id}`).admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
      for (const name of ['ops', 'gateway', 'registry']) await dropDatabase(MYSQL, db(p, name)).catch(() => undefined);
    }
  }, 120_000);

  it('sends each province the heads of the other, and each acknowledges them back', async () => {
    for (const p of [sichuan, chongqing]) {
      const r = await acknowledged(p);
      expect(r.ok).toBe(true);
      expect(r.witness).toMatchObject({ ok: true, witness: provinces.find((x) => x !== p.layout)!.code });
      expect(r.witness!.chains.find((c) => c.database === p.gatewayDb)).toMatchObject({ status: 'ok', length: ENTRIES, witnessedLength: ENTRIES });
    }
    // What Chongqing witnessed of Sichuan stays in Chongqing: its ops shows it, keyed by Sichuan's databases.
    const res = await fetch(`${chongqing.url}/v1/audit/witnessed`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const witnessed = (await res.json()) as { owner: string; heads: Array<{ database: string; chain: string; length: number }> };
    expect(witnessed.owner).toBe('510000');
    expect(witnessed.heads).toEqual(expect.arrayContaining([expect.objectContaining({ database: sichuan.gatewayDb, chain: 'disclosures', length: ENTRIES })]));
  }, 200_000);

  it('finds a chain cut short in Sichuan, though it is consistent in itself, and passes the untouched ones of Chongqing', async () => {
    await acknowledged(sichuan);
    // Cut the last three entries and set the head row to the new last one: the chain walk sees nothing wrong.
    const ds = await openDatabase({ mysql: MYSQL, database: sichuan.gatewayDb, entities: [], migrations: [] });
    try {
      const keep = ENTRIES - 3;
      await ds.query("DELETE FROM audit_subjects WHERE chain = 'disclosures' AND seq > ?", [keep]);
      await ds.query("DELETE FROM audit_entries WHERE chain = 'disclosures' AND seq > ?", [keep]);
      const [last] = await ds.query("SELECT hash FROM audit_entries WHERE chain = 'disclosures' AND seq = ?", [keep]);
      await ds.query("UPDATE audit_chain_heads SET last_seq = ?, last_hash = ? WHERE chain = 'disclosures'", [keep, last.hash]);
    } finally {
      await ds.destroy();
    }
    expect((await verify(sichuan, false)).ok).toBe(true);

    const r = await verify(sichuan, true);
    expect(r.ok).toBe(false);
    expect(r.witness!.firstBroken).toMatchObject({
      database: sichuan.gatewayDb,
      chain: 'disclosures',
      status: 'truncated',
      length: ENTRIES - 3,
      witnessedLength: ENTRIES,
    });
    expect(r.firstBroken).toMatchObject({ seq: ENTRIES - 2, problem: 'truncated', database: sichuan.gatewayDb, chain: 'disclosures' });
    expect(r.firstBroken!.message).toContain(`entries ${ENTRIES - 2} to ${ENTRIES} were removed`);

    // The operator's command says so and fails.
    let out = '';
    const code = await run(['audit', 'verify', '--witness', '--url', sichuan.url, '--token', TOKEN], {
      out: (t) => (out += t),
      err: (t) => (out += t),
      env: {},
      isTty: false,
    });
    expect(code).toBe(EXIT.failed);
    expect(out).toContain('audit chain BROKEN');
    expect(out).toContain(`TRUNCATED  ${sichuan.gatewayDb} / disclosures: ${ENTRIES - 3} entries; 500000 witnessed ${ENTRIES}`);

    // The next heads Sichuan sends are shorter than what Chongqing witnessed: Chongqing notes the contradiction.
    await sichuan.ops.witness!.report();
    const conflicts = await waitFor(
      async () => {
        const res = await fetch(`${chongqing.url}/v1/audit/witnessed`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const body = (await res.json()) as { conflicts: Array<{ database: string; chain: string; conflict: string }> };
        return body.conflicts.length ? body.conflicts : undefined;
      },
      "Chongqing's note of the shorter head",
      60_000,
      1000,
    );
    expect(conflicts[0]).toMatchObject({ database: sichuan.gatewayDb, chain: 'disclosures' });
    expect(conflicts[0].conflict).toContain(`reported ${ENTRIES - 3} entries after ${ENTRIES} were witnessed`);

    // Chongqing's chains, untouched, pass both checks.
    const untouched = await acknowledged(chongqing);
    expect(untouched.ok).toBe(true);
    expect(untouched.witness!.ok).toBe(true);
    let cqOut = '';
    const cqCode = await run(['audit', 'verify', '--witness', '--url', chongqing.url, '--token', TOKEN], {
      out: (t) => (cqOut += t),
      err: (t) => (cqOut += t),
      env: {},
      isTty: false,
    });
    expect(cqCode).toBe(EXIT.ok);
    expect(cqOut).toContain(`ok      ${chongqing.gatewayDb} / disclosures: ${ENTRIES} entries; 510000 witnessed ${ENTRIES}`);
    expect(cqOut).toContain(`CONFLICT  province 510000's ${sichuan.gatewayDb} / disclosures`);
  }, 200_000);

  it('finds an entry rewritten in Chongqing and the chain re-hashed after it, though the chain is consistent in itself', async () => {
    const before = await acknowledged(chongqing);
    const witnessedOps = before.witness!.chains.find((c) => c.chain === 'ops' && c.database === db(cq, 'ops'))!;
    expect(witnessedOps.witnessedLength).toBeGreaterThanOrEqual(3);
    // Change who did entry 2 of ops's own chain, then give it and every later entry the hash it must carry.
    const log = new AuditLog(chongqing.ops.dataSource, { personKey: 'any-key-of-16-bytes', chain: 'ops' });
    const entries = (await log.list({ order: 'asc', limit: 1000 })).map((e) => (e.seq === 2 ? { ...e, actor: 'mallory' } : e));
    let prev = entries[0].hash;
    for (const e of entries.slice(1)) {
      const { prevHash: _p, hash: _h, ...content } = e;
      const hash = entryHash(prev, content);
      await chongqing.ops.dataSource.query("UPDATE audit_entries SET actor = ?, prev_hash = ?, hash = ? WHERE chain = 'ops' AND seq = ?", [
        e.actor,
        prev,
        hash,
        e.seq,
      ]);
      prev = hash;
    }
    await chongqing.ops.dataSource.query("UPDATE audit_chain_heads SET last_hash = ? WHERE chain = 'ops'", [prev]);
    expect((await verify(chongqing, false)).ok).toBe(true);

    const r = await verify(chongqing, true);
    expect(r.ok).toBe(false);
    expect(r.witness!.firstBroken).toMatchObject({ database: db(cq, 'ops'), chain: 'ops', status: 'rewritten' });
    expect(r.witness!.firstBroken!.message).toContain('is not the one province 510000 witnessed');
    expect(r.firstBroken).toMatchObject({ problem: 'changed', database: db(cq, 'ops'), chain: 'ops' });
  }, 200_000);
});
