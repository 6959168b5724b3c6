import { randomBytes } from 'node:crypto';
import { startStack } from '../stack/stack';
import { bold, green, red } from './console-format';
import { ScenarioPlayer } from './scenario-player';
import { SCENARIOS } from './scenarios';

const GATEWAY = process.env.TONGBAN_DEMO_GATEWAY ?? 'http://127.0.0.1:3000';

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex').toUpperCase();
  console.log(bold('tongban — 川渝通办: cases handed between Sichuan and Chongqing'));
  console.log('Names and ID numbers are shown masked, as an operator sees them.');
  let stop: (() => Promise<void>) | undefined;
  if (await healthy(GATEWAY)) {
    console.log(`using the services already running at ${GATEWAY}`);
  } else {
    console.log('starting the services:');
    const stack = await startStack({}, (line) => console.log(`  ${green('✓')} ${line}`));
    stop = stack.stop;
  }
  let results;
  try {
    results = await new ScenarioPlayer({ gatewayUrl: GATEWAY, runId }).play(SCENARIOS);
  } finally {
    if (stop) {
      console.log('\nstopping the services the demo started');
      await stop();
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const ok = passed === results.length;
  console.log(`\n${ok ? green('✓') : red('✗')} ${passed} of ${results.length} steps reached their expected outcome (run ${runId})`);
  for (const r of results.filter((x) => !x.ok)) console.log(`  ${red('✗')} ${r.step}: ${r.detail}`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(red(`demo failed: ${(e as Error).message}`));
  process.exit(1);
});
