import { randomBytes } from 'node:crypto';
import { startStack } from '../stack/stack';
import { bold, cyan, dim, green, maskId, maskName, red, region, yellow } from './console-format';
import { CaseView, EventBody, exampleBody, Step } from './scenario';
import { SCENARIOS } from './scenarios';

const GATEWAY = process.env.TONGBAN_DEMO_GATEWAY ?? 'http://127.0.0.1:3000';
const STEP_TIMEOUT_MS = Number(process.env.TONGBAN_DEMO_STEP_TIMEOUT_MS ?? 30000);

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function getCase(caseId: string, key: string): Promise<{ status: number; body: CaseView }> {
  const res = await fetch(`${GATEWAY}/v1/cases/${encodeURIComponent(caseId)}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as CaseView };
}

/** The people named in a body, masked as an operator would see them. */
function people(body: EventBody): string {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && typeof o.idNumber === 'string') found.push(`${maskName(o.name)} ${dim(maskId(o.idNumber))}`);
    Object.values(o).forEach(walk);
  };
  walk(body.payload);
  return found.join(', ');
}

async function playStep(step: Step, n: string, runId: string): Promise<boolean> {
  const body = exampleBody(step.eventType);
  body.caseId = `${body.caseId}-${runId}`;
  body.occurredAt = new Date().toISOString();
  step.patch?.(body);
  console.log(`\n  ${bold(n)} ${step.say}`);
  console.log(`     ${region(body.sourceRegion)} → ${region(body.targetRegion)}   ${cyan(body.eventType)}   case ${body.caseId}`);
  const who = people(body);
  if (who) console.log(`     ${dim('about')} ${who}`);
  const res = await fetch(`${GATEWAY}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${step.key}` },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { eventId?: string; error?: { code: string; details: Array<{ path: string; problem: string }> } };
  const expected = step.expectStatus ?? 202;
  if (res.status !== expected) {
    console.log(`     ${red('✗')} gateway answered ${res.status}, expected ${expected}: ${JSON.stringify(answer)}`);
    return false;
  }
  if (res.status === 202) console.log(`     ${green('✓')} gateway accepted it: ${res.status}, event ${answer.eventId}`);
  else {
    console.log(`     ${green('✓')} gateway refused it as expected: ${res.status} ${answer.error?.code}`);
    for (const d of answer.error?.details ?? []) console.log(`       ${yellow(d.path)}: ${d.problem}`);
  }
  if (!step.expectCase) return true;
  const { key, state, view, check } = step.expectCase;
  const started = Date.now();
  let last: { status: number; body: CaseView } | undefined;
  while (Date.now() - started < STEP_TIMEOUT_MS) {
    last = await getCase(body.caseId, key);
    const ok = last.status === 200 && (!state || last.body.state === state) && (!view || last.body.view === view);
    if (ok) {
      const problem = check?.(last.body);
      if (!problem) {
        console.log(`     ${green('✓')} seen by ${key.replace('dev-', '')}: state ${bold(last.body.state)}, ${last.body.view} view (${Date.now() - started} ms)`);
        return true;
      }
      if (Date.now() - started > STEP_TIMEOUT_MS / 2) {
        console.log(`     ${red('✗')} ${problem}`);
        return false;
      }
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  console.log(`     ${red('✗')} case not in the expected state after ${STEP_TIMEOUT_MS} ms: ${last?.status} ${JSON.stringify(last?.body).slice(0, 300)}`);
  return false;
}

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex').toUpperCase();
  console.log(bold('tongban — 川渝通办 cross-region scenario'));
  let stop: (() => Promise<void>) | undefined;
  if (await healthy(GATEWAY)) {
    console.log(`using the services already running at ${GATEWAY}`);
  } else {
    console.log('starting the services:');
    const stack = await startStack({}, (line) => console.log(`  ${green('✓')} ${line}`));
    stop = stack.stop;
  }
  let passed = 0;
  let total = 0;
  try {
    for (const [i, scenario] of SCENARIOS.entries()) {
      console.log(`\n${bold(`${i + 1}. ${scenario.title}`)}`);
      for (const [j, step] of scenario.steps.entries()) {
        total++;
        if (await playStep(step, `${i + 1}.${j + 1}`, runId)) passed++;
      }
    }
  } finally {
    if (stop) {
      console.log('\nstopping the services the demo started');
      await stop();
    }
  }
  const ok = passed === total;
  console.log(`\n${ok ? green('✓') : red('✗')} ${passed} of ${total} steps reached their expected outcome`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(red(`demo failed: ${(e as Error).message}`));
  process.exit(1);
});
