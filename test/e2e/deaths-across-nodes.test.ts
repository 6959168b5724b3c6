import { ScenarioPlayer } from '../../tools/demo/scenario-player';
import { SCENARIOS } from '../../tools/demo/scenarios';
import { example } from '../support/examples';
import { HEADERS } from '@tongban/kafka';
import { linkCrossings } from '../support/province-test-stack';
import { post, ProvinceTestStack, queryRows, startTestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

const WANG = { idNumber: '512021199611080033', name: '王建国', hukouDivision: '512021' };

/**
 * 王建国 (hukou Anyue, Sichuan node) married 陈芳 at the Chongqing high-tech zone office (Chongqing node). He dies in
 * Chengdu: only the Sichuan node hears of it, yet her record and the marriage case in Chongqing must say widowed.
 * Both provinces run as `npm start` runs them, MirrorMaker 2 the only link; each key uses its own province's gateway.
 */
describe('a death across the provincial line', () => {
  let stack: ProvinceTestStack;
  const marriage = () => `MAR-CQHTZ-2026-000045-${stack.id}`;
  beforeAll(async () => {
    stack = await startTestStack({ topology: 'provinces' });
    const player = new ScenarioPlayer({
      gatewayUrl: stack.gatewayUrl,
      gatewayFor: (key) => ({ url: stack.gatewayUrlFor(key), name: `the gateway at ${stack.gatewayUrlFor(key)}` }),
      runId: stack.id,
      print: () => undefined,
      stepTimeoutMs: 30000,
    });
    const results = await player.play([SCENARIOS[1]]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('widows the spouse at the node holding the marriage, from the deceased’s hukou region', async () => {
    // Anyue keeps his record with the spouse, from the record update addressed to it.
    await waitFor(async () => {
      const r = await queryRows<{ status: string }>(stack.databases.nodes['510000'], 'SELECT status FROM marital_records');
      return r.some((x) => x.status === 'MARRIED') ? true : undefined;
    }, 'his marital record at the Sichuan node');

    const death = example('DeathRegistered', `${stack.id}-wang`);
    Object.assign(death, { sourceRegion: '510104', targetRegion: '512021', occurredAt: new Date().toISOString() });
    Object.assign(death.payload, { deceased: WANG, sex: 'MALE', birthDate: '1996-11-08', deathDate: new Date().toISOString().slice(0, 10) });
    expect((await post(stack, death, 'dev-chengdu')).status).toBe(202);

    const [c] = await waitFor(
      async () => {
        const r = await queryRows<{ state: string }>(stack.databases.nodes['500000'], 'SELECT state FROM cases WHERE case_id = ?', [marriage()]);
        return r[0]?.state === 'ended-by-death' ? r : undefined;
      },
      'the marriage ended by death at the Chongqing node',
      30000,
    );
    expect(c.state).toBe('ended-by-death');
    const [update] = await queryRows<{
      event_id: string;
      source_region: string;
      target_region: string;
      payload: string;
      kafka_topic: string;
      kafka_partition: number;
      kafka_offset: string;
    }>(
      stack.databases.nodes['500000'],
      "SELECT event_id, source_region, target_region, payload, kafka_topic, kafka_partition, kafka_offset FROM case_events WHERE case_id = ? AND event_type = 'MarriageRecordUpdated' AND outcome = 'applied' ORDER BY seq DESC LIMIT 1",
      [marriage()],
    );
    expect(update).toMatchObject({ source_region: '512021', target_region: '500107' });
    expect(JSON.parse(update.payload)).toMatchObject({ newStatus: 'WIDOWED', person: { idNumber: '500107199802210069' }, spouse: { idNumber: WANG.idNumber } });

    // The Sichuan node's update reached Chongqing over MirrorMaker 2: the Chongqing node applied the record that
    // Sichuan's relay wrote into Sichuan's cluster, as the mirror copied it into Chongqing's inbox.
    const { crossed, missing, onlyAtTarget } = await linkCrossings(stack, '500000', (m) => m.headers[HEADERS.eventId] === update.event_id);
    expect({ crossed: crossed.length, missing, onlyAtTarget }).toEqual({ crossed: 1, missing: [], onlyAtTarget: [] });
    expect({ topic: update.kafka_topic, partition: update.kafka_partition, offset: String(update.kafka_offset) }).toEqual({
      topic: stack.inbox('500000'),
      partition: crossed[0].atTarget.partition,
      offset: crossed[0].atTarget.offset,
    });
  }, 120_000);

  it('remembers the death: a later application for him is refused, and a second registration points to the first', async () => {
    const application = example('SubsidyApplicationSubmitted', `${stack.id}-late`);
    Object.assign(application, { targetRegion: '512021', occurredAt: new Date().toISOString() });
    Object.assign(application.payload, { applicant: WANG, certificateNumber: `${WANG.idNumber}41` });
    expect((await post(stack, application, 'dev-chengdu')).status).toBe(202);
    const again = example('DeathRegistered', `${stack.id}-again`);
    Object.assign(again, { sourceRegion: '510104', targetRegion: '512021', occurredAt: new Date().toISOString() });
    Object.assign(again.payload, { deceased: WANG, sex: 'MALE', birthDate: '1996-11-08', deathDate: new Date().toISOString().slice(0, 10) });
    expect((await post(stack, again, 'dev-chengdu')).status).toBe(202);
    const refusals = await waitFor(async () => {
      const r = await queryRows<{ case_id: string; outcome_reason: string }>(
        stack.databases.nodes['510000'],
        "SELECT case_id, outcome_reason FROM case_events WHERE case_id IN (?, ?) AND outcome = 'rejected'",
        [application.caseId, again.caseId],
      );
      return r.length >= 2 ? r : undefined;
    }, 'both refusals at the Sichuan node');
    expect(refusals.find((r) => r.case_id === application.caseId)?.outcome_reason).toMatch(/^PERSON_DECEASED/);
    expect(refusals.find((r) => r.case_id === again.caseId)?.outcome_reason).toMatch(/^DEATH_ALREADY_REGISTERED/);
    expect(await queryRows(stack.databases.nodes['510000'], 'SELECT case_id FROM cases WHERE case_id IN (?, ?)', [application.caseId, again.caseId])).toEqual(
      [],
    );
  });
});
