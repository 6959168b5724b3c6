import { ScenarioPlayer } from '../../tools/demo/scenario-player';
import { SCENARIOS } from '../../tools/demo/scenarios';
import { HEADERS } from '@tongban/kafka';
import { linkCrossings } from '../support/province-test-stack';
import { TopicMessage } from '../support/topic-reader';
import { ProvinceTestStack, startTestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

/**
 * The four workflows of the domain brief, played through the gateways of both provinces as `npm start` runs them
 * (each province on its own cluster, MirrorMaker 2 the only link), against the real Kafka, MariaDB and Redis:
 * every step must reach its expected state at the node that holds the case, and each workflow's case crosses the link.
 */
describe('the 川渝通办 workflows across regions', () => {
  let stack: ProvinceTestStack;
  const lines: string[] = [];
  beforeAll(async () => {
    stack = await startTestStack({ topology: 'provinces' });
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it.each(SCENARIOS.map((s, i) => [s.title, i] as const))(
    '%s',
    async (_title, index) => {
      // Each key posts and reads through its own province's gateway.
      const accepted = new Set<string>();
      const player = new ScenarioPlayer({
        gatewayUrl: stack.gatewayUrl,
        gatewayFor: (key) => ({ url: stack.gatewayUrlFor(key), name: `the gateway at ${stack.gatewayUrlFor(key)}` }),
        runId: stack.id,
        print: (l) => lines.push(l),
        onAccepted: (eventId) => accepted.add(eventId),
        stepTimeoutMs: 30000,
      });
      const results = await player.play([SCENARIOS[index]]);
      const failed = results.filter((r) => !r.ok).map((r) => `${r.step}: ${r.detail}`);
      expect(failed).toEqual([]);

      // The workflow crossed between the provinces over MirrorMaker 2: every event a gateway accepted in it for the
      // other province's node is in that node's cluster, byte for byte as its own province's relay wrote it, and no
      // event from the other province reached a node's cluster any other way.
      const mine = (m: TopicMessage) => accepted.has(m.headers[HEADERS.eventId] ?? '');
      const crossings = await waitFor(async () => {
        const both = await Promise.all(stack.provinces.map((p) => linkCrossings(stack, p.code, mine)));
        return both.every((c) => c.missing.length === 0) ? both : undefined;
      }, 'every event of the workflow across the link');
      expect(crossings.reduce((n, c) => n + c.crossed.length, 0)).toBeGreaterThan(0);
      expect(crossings.flatMap((c) => c.onlyAtTarget)).toEqual([]);
    },
    180_000,
  );
});
