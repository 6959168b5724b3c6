import { startStack } from './stack';

async function main(): Promise<void> {
  // The one setting a caller brings to `npm start`: its own API keys instead of the documented local ones.
  const stack = await startStack({ inheritEnv: ['TONGBAN_API_KEYS'] }, (line) => console.log(`  ${line}`));
  console.log('\ntongban is running:');
  console.log('  gateway          http://127.0.0.1:3000  (POST /v1/events, GET /v1/cases/:caseId, /health, /metrics)');
  console.log('  schema registry  http://127.0.0.1:8081');
  console.log('  region nodes     510000 on :3201, 500000 on :3202 (internal)');
  console.log('  relay            http://127.0.0.1:3300/health');
  console.log('  ops console      http://127.0.0.1:3100/  (token dev-operator-token; CLI: npx tongban)');
  console.log('  delivery         http://127.0.0.1:3400  (POST /v1/subscriptions for partner webhooks)');
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
