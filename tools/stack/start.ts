import { startStack } from './stack';
import { twoProvinces } from './provinces';

/** TONGBAN_PROVINCES=single (as for infra.sh) runs one copy of the services on one cluster, for development. */
const TWO = process.env.TONGBAN_PROVINCES !== 'single';

async function main(): Promise<void> {
  // The one setting a caller brings to `npm start`: its own API keys instead of the documented local ones.
  // TONGBAN_KAFKA_BROKERS_PER_CLUSTER (as for infra.sh) says how many nodes each province's cluster has.
  const provinces = TWO ? twoProvinces() : undefined;
  const stack = await startStack({ inheritEnv: ['TONGBAN_API_KEYS'], provinces }, (line) => console.log(`  ${line}`));
  console.log('\ntongban is running:');
  if (provinces) {
    for (const province of provinces) {
      const p = province.ports;
      console.log(`  ${province.alias === 'sichuan' ? 'Sichuan' : 'Chongqing'} (${province.code})`);
      console.log(`    gateway          http://127.0.0.1:${p.gateway}  (its own province's keys: POST /v1/events, GET /v1/cases/:caseId, /health, /metrics)`);
      console.log(`    schema registry  http://127.0.0.1:${p.registry}`);
      console.log(`    region node      :${p.node} (internal)   relay http://127.0.0.1:${p.relay}/health`);
      console.log(`    ops console      http://127.0.0.1:${p.ops}/  (token dev-operator-token; CLI: npx tongban)`);
      console.log(`    delivery         http://127.0.0.1:${p.delivery}  (POST /v1/subscriptions for partner webhooks)`);
      console.log(`    kafka            ${province.brokers.join(',')}  (link ${province.link})`);
    }
    console.log('  link             MirrorMaker 2 each way over TLS (npm run infra:status)');
  } else {
    console.log('  gateway          http://127.0.0.1:3000  (POST /v1/events, GET /v1/cases/:caseId, /health, /metrics)');
    console.log('  schema registry  http://127.0.0.1:8081');
    console.log('  region nodes     510000 on :3201, 500000 on :3202 (internal)');
    console.log('  relay            http://127.0.0.1:3300/health');
    console.log('  ops console      http://127.0.0.1:3100/  (token dev-operator-token; CLI: npx tongban)');
    console.log('  delivery         http://127.0.0.1:3400  (POST /v1/subscriptions for partner webhooks)');
  }
  console.log('  logs             .tongban/logs/');
  console.log('Press Ctrl-C to stop.');
  // Ctrl-C stops every service gracefully (startStack handles the signal).
  for (const s of stack.services) {
    s.child.once('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') console.error(`${s.spec.name} exited (${code ?? signal}); see .tongban/logs/${s.spec.name}.log`);
    });
  }
}

main().catch((e) => {
  console.error(`tongban failed to start: ${(e as Error).message}`);
  process.exit(1);
});
