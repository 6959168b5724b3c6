import { randomBytes } from 'node:crypto';
import { createKafka } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { startStack } from '../stack/stack';
import { dropProvinceDatabaseUser, ProvinceLayout, provinceOfDevelopmentKey, twoProvinces } from '../stack/provinces';
import { dropProvinceRedisUser, provinceRedisUser } from '../stack/redis-users';
import { bold, green, red } from './console-format';
import { ScenarioPlayer } from './scenario-player';
import { SCENARIOS } from './scenarios';

/**
 * The demo plays the brief's fictional people, whose ID numbers are fixed: a second run against the same
 * databases would meet the first run's cases (her subsidy is already paid, so a new application is a
 * duplicate). So by default it starts a stack of its own — its own ports, topic namespace and databases —
 * and removes it afterwards (`--keep` keeps the databases and topics to look at). TONGBAN_DEMO_GATEWAY
 * plays against a running stack instead, which then must not hold an earlier run's cases.
 */
const EXTERNAL_GATEWAY = process.env.TONGBAN_DEMO_GATEWAY;
const KEEP = process.argv.includes('--keep');
const MYSQL = { host: process.env.TONGBAN_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.TONGBAN_MYSQL_PORT ?? 3306), user: 'root', password: '' };
const BASE = Number(process.env.TONGBAN_DEMO_PORT_BASE ?? 3500);
/** Both provinces, as `npm start` runs them, unless the infrastructure runs one cluster (TONGBAN_PROVINCES=single). */
const TWO = process.env.TONGBAN_PROVINCES !== 'single';
const PROVINCE_NAMES: Record<string, string> = { '510000': 'Sichuan', '500000': 'Chongqing' };

/** The demo's own ports: Sichuan's from BASE, Chongqing's from BASE + 100. */
function demoProvinces(): ProvinceLayout[] {
  const at = (base: number) => ({ gateway: base, registry: base + 81, node: base + 11, relay: base + 30, ops: base + 31, delivery: base + 32 });
  return twoProvinces(process.env, { sichuan: at(BASE), chongqing: at(BASE + 100) });
}

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex').toUpperCase();
  console.log(bold('tongban — 川渝通办: cases handed between Sichuan and Chongqing'));
  console.log('Names and ID numbers are shown masked, as an operator sees them.');
  let stop: (() => Promise<void>) | undefined;
  let gateway = EXTERNAL_GATEWAY;
  let gatewayFor: ((key: string) => { url: string; name: string } | undefined) | undefined;
  const namespace = `demo-${runId.toLowerCase()}`;
  const prefix = `tbdemo_${runId.toLowerCase()}`;
  if (gateway) {
    console.log(`playing against the services at ${gateway}`);
  } else {
    const provinces = TWO ? demoProvinces() : undefined;
    console.log(
      provinces
        ? `starting both provinces, each with its own Kafka cluster, services and databases (topics ${namespace}.*, databases ${prefix}_sc_*, ${prefix}_cq_*):`
        : `starting the services (topics ${namespace}.*, databases ${prefix}_*):`,
    );
    const stack = await startStack(
      {
        provinces,
        namespace,
        databasePrefix: prefix,
        gatewayPort: BASE,
        registryPort: BASE + 81,
        nodePorts: { '510000': BASE + 11, '500000': BASE + 12 },
        relayPort: BASE + 30,
        opsPort: BASE + 31,
        deliveryPort: BASE + 32,
        extraEnv: { TONGBAN_LOG_LEVEL: process.env.TONGBAN_LOG_LEVEL ?? 'warn' },
      },
      (line) => console.log(`  ${green('✓')} ${line}`),
    );
    stop = stack.stop;
    gateway = `http://127.0.0.1:${BASE}`;
    if (provinces) {
      for (const p of provinces)
        console.log(
          `  ${PROVINCE_NAMES[p.code]} (${p.code}): gateway http://127.0.0.1:${p.ports.gateway}, ops console http://127.0.0.1:${p.ports.ops}/, cluster ${p.brokers.join(',')}`,
        );
      console.log("  a municipal system publishes through its own province's gateway; MirrorMaker 2 carries what is addressed to the other province");
      gatewayFor = (key) => {
        const p = provinces.find((x) => x.code === provinceOfDevelopmentKey(key));
        return p && { url: `http://127.0.0.1:${p.ports.gateway}`, name: `${PROVINCE_NAMES[p.code]}'s gateway` };
      };
    }
  }
  let results;
  try {
    results = await new ScenarioPlayer({ gatewayUrl: gateway, gatewayFor, runId }).play(SCENARIOS);
  } finally {
    if (stop) {
      console.log('\nstopping the services the demo started');
      await stop();
      if (KEEP) console.log(`kept: databases ${prefix}_*, topics ${namespace}.*`);
      else await removeDemoData(namespace, TWO && !EXTERNAL_GATEWAY ? [`${prefix}_sc`, `${prefix}_cq`] : [prefix]);
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const ok = passed === results.length;
  console.log(`\n${ok ? green('✓') : red('✗')} ${passed} of ${results.length} steps reached their expected outcome (run ${runId})`);
  for (const r of results.filter((x) => !x.ok)) console.log(`  ${red('✗')} ${r.step}: ${r.detail}`);
  process.exit(ok ? 0 : 1);
}

async function removeDemoData(namespace: string, prefixes: string[]): Promise<void> {
  const clusters = TWO ? demoProvinces().map((p) => p.brokers) : [(process.env.TONGBAN_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')];
  for (const brokers of clusters) {
    const admin = createKafka(brokers, 'tongban-demo-cleanup').admin();
    try {
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine });
    } catch (e) {
      console.log(`could not remove the demo's topics on ${brokers.join(',')}: ${(e as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  if (TWO) for (const user of prefixes) await dropProvinceDatabaseUser(user).catch(() => undefined);
  if (TWO) for (const p of demoProvinces()) await dropProvinceRedisUser(provinceRedisUser(namespace, p).username).catch(() => undefined);
  for (const prefix of prefixes) {
    for (const db of ['gateway', 'node_510000', 'node_500000', 'registry', 'ops', 'delivery']) {
      await dropDatabase(MYSQL, `${prefix}_${db}`).catch(() => undefined);
    }
  }
}

main().catch((e) => {
  console.error(red(`demo failed: ${(e as Error).message}`));
  process.exit(1);
});
