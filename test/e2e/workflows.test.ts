import { ScenarioPlayer } from '../../tools/demo/scenario-player';
import { SCENARIOS } from '../../tools/demo/scenarios';
import { startTestStack, TestStack } from '../support/test-stack';

/**
 * The four workflows of the domain brief, played through the gateway against the real Kafka, MariaDB
 * and Redis: every step must reach its expected state at the node that holds the case.
 */
describe('the 川渝通办 workflows across regions', () => {
  let stack: TestStack;
  const lines: string[] = [];
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each(SCENARIOS.map((s, i) => [s.title, i] as const))('%s', async (_title, index) => {
    const player = new ScenarioPlayer({ gatewayUrl: stack.gatewayUrl, runId: stack.id, print: (l) => lines.push(l), stepTimeoutMs: 20000 });
    const results = await player.play([SCENARIOS[index]]);
    const failed = results.filter((r) => !r.ok).map((r) => `${r.step}: ${r.detail}`);
    if (failed.length) {
      const view = await player.getCase(`${(SCENARIOS[index].steps[0].patch ? '' : '')}`, 'dev-chengdu').catch(() => undefined);
      void view;
    }
    expect(failed).toEqual([]);
  });
});
