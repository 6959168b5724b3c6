import { randomBytes } from 'node:crypto';
import { createKafka } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { startStack } from '../stack/stack';
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

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex').toUpperCase();
  console.log(bold('tongban — 川渝通办: cases handed between Sichuan and Chongqing'));
  console.log('Names and ID numbers are shown masked, as an operator sees them.');
  let stop: (() => Promise<void>) | undefined;
  let gateway = EXTERNAL_GATEWAY;
  const namespace = `demo-${runId.toLowerCase()}`;
  const prefix = `tbdemo_${runId.toLowerCase()}`;
  if (gateway) {
    console.log(`playing against the services at ${gateway}`);
  } else {
    console.log(`starting the services (topics ${namespace}.*, databases ${prefix}_*):`);
    const stack = await startStack(
      {
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
  }
  let results;
  try {
    results = await new ScenarioPlayer({ gatewayUrl: gateway, runId }).play(SCENARIOS);
  } finally {
    if (stop) {
      console.log('\nstopping the services the demo started');
      await stop();
      if (KEEP) console.log(`kept: databases ${prefix}_*, topics ${namespace}.*`);
      else await removeDemoData(namespace, prefix);
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const ok = passed === results.length;
  console.log(`\n${ok ? green('✓') : red('✗')} ${passed} of ${results.length} steps reached their expected outcome (run ${runId})`);
  for (const r of results.filter((x) => !x.ok)) console.log(`  ${red('✗')} ${r.step}: ${r.detail}`);
  process.exit(ok ? 0 : 1);
}

async function removeDemoData(namespace: string, prefix: string): Promise<void> {
  const kafka = createKafka((process.env.TONGBAN_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), 'tongban-demo-cleanup');
  const admin = kafka.admin();
  try {
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine });
  } catch (e) {
    console.log(`could not remove the demo's topics: ${(e as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  for (const db of ['gateway', 'node_510000', 'node_500000', 'registry', 'ops', 'delivery']) {
    await dropDatabase(MYSQL, `${prefix}_${db}`).catch(() => undefined);
  }
}

main().catch((e) => {
  console.error(red(`demo failed: ${(e as Error).message}`));
  process.exit(1);
});
