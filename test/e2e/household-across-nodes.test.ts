import { createConnection } from 'mysql2/promise';
import { SERVICE_HEADERS } from '@tongban/auth';
import { HEADERS } from '@tongban/kafka';
import { example } from '../support/examples';
import { internalHeaders } from '../support/internal-api';
import { linkCrossings } from '../support/province-test-stack';
import { MYSQL, post, ProvinceTestStack, startTestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

const SICHUAN = '510000';
const CHONGQING = '500000';
const LIU_QIANG = '51010419850630005X';

type History = Array<{ eventId?: string; eventType: string; outcome: string; reason: string | null }>;
interface NodeCase {
  state: string;
  view: string;
  data: { householdChanges?: Array<Record<string, unknown>> };
  history: History;
}

const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/**
 * 刘强's household is checked (Chengdu asks Dazu's check centre) when he marries: Dazu, in Chongqing, tells
 * the requesting office through the gateway. The flag must arrive at the Sichuan node, which holds the
 * requester's side of the case, and be applied there, read back through that node's own API. Both provinces run as
 * `npm start` runs them: Chengdu publishes through Sichuan's gateway, Dazu through Chongqing's, and MirrorMaker 2
 * is the only link.
 */
describe('a household change across the provincial line (economic check)', () => {
  let stack: ProvinceTestStack;
  let caseId: string;

  const nodeUrl = (region: string) => stack.nodeUrl(region);

  /** The case as a node's internal API answers it for a viewer (the gateway's service headers, a test actor). */
  async function nodeCase(region: string, viewer: string): Promise<{ status: number; body: NodeCase }> {
    const res = await fetch(`${nodeUrl(region)}/internal/cases/${encodeURIComponent(caseId)}`, {
      headers: internalHeaders(stack, 'test:household', { [SERVICE_HEADERS.viewerDivision]: viewer }),
    });
    return { status: res.status, body: (await res.json()) as NodeCase };
  }

  beforeAll(async () => {
    stack = await startTestStack({ topology: 'provinces' });
    const request = example('EconomicCheckRequested', stack.id);
    caseId = request.caseId;
    request.occurredAt = new Date(Date.now() - 60_000).toISOString();
    request.payload.answerBy = daysFromNow(20);
    const accepted = await post(stack, request, 'dev-chengdu');
    expect(accepted.status).toBe(202);
    // Both sides hold the check: the requester's node from its own copy, the check centre's as addressee.
    for (const [region, viewer] of [
      [SICHUAN, '510100'],
      [CHONGQING, '500111'],
    ]) {
      await waitFor(async () => ((await nodeCase(region, viewer)).body.state === 'requested' ? true : undefined), `the check at node ${region}`);
    }
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('applies the check centre’s flag at the requesting region’s node', async () => {
    const change = example('EconomicCheckHouseholdChanged', stack.id);
    change.occurredAt = new Date().toISOString();
    change.payload.effectiveOn = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(change).toMatchObject({ caseId, sourceRegion: '500111', targetRegion: '510104' });
    const published = await post(stack, change, 'dev-dazu');
    expect(published.status).toBe(202);
    const eventId = published.body.eventId as string;

    const seen = await waitFor(async () => {
      const { status, body } = await nodeCase(SICHUAN, '510100');
      return status === 200 && body.history.some((h) => h.eventId === eventId) ? body : undefined;
    }, 'the household change at the Sichuan node');
    expect(seen.view).toBe('full');
    expect(seen.history.find((h) => h.eventId === eventId)).toMatchObject({ eventType: 'EconomicCheckHouseholdChanged', outcome: 'applied' });
    // A flag, not a move: the check stays open for the requester to decide whether to ask again.
    expect(seen.state).toBe('requested');
    expect(seen.data.householdChanges).toEqual([
      {
        change: 'MARRIAGE',
        member: LIU_QIANG,
        spouse: '500107199802210069',
        effectiveOn: change.payload.effectiveOn,
        marriageCaseId: 'MAR-CQHTZ-2026-000045',
        eventId,
      },
    ]);

    // Dazu's flag crossed over MirrorMaker 2: the Sichuan node applied the record Chongqing's relay wrote into
    // Chongqing's cluster, as the mirror copied it into Sichuan's inbox.
    const { crossed, missing, onlyAtTarget } = await linkCrossings(stack, SICHUAN, (m) => m.headers[HEADERS.eventId] === eventId);
    expect({ crossed: crossed.length, missing, onlyAtTarget }).toEqual({ crossed: 1, missing: [], onlyAtTarget: [] });
    const conn = await createConnection({ ...MYSQL, database: stack.databases.nodes[SICHUAN] });
    try {
      const [[row]] = (await conn.query('SELECT kafka_topic, kafka_partition, kafka_offset FROM case_events WHERE event_id = ?', [eventId])) as unknown as [
        Array<{ kafka_topic: string; kafka_partition: number; kafka_offset: string }>,
      ];
      expect({ topic: row.kafka_topic, partition: row.kafka_partition, offset: String(row.kafka_offset) }).toEqual({
        topic: stack.inbox(SICHUAN),
        partition: crossed[0].atTarget.partition,
        offset: crossed[0].atTarget.offset,
      });
    } finally {
      await conn.end();
    }
  }, 120_000);

  it('refuses there a change for someone the check does not name', async () => {
    const stranger = example('EconomicCheckHouseholdChanged', stack.id);
    stranger.occurredAt = new Date().toISOString();
    stranger.payload.effectiveOn = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    stranger.payload.member = { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' };
    stranger.payload.marriageCaseId = `MAR-CQHTZ-2026-000046-${stack.id}`;
    const published = await post(stack, stranger, 'dev-dazu');
    expect(published.status).toBe(202);
    const eventId = published.body.eventId as string;

    const seen = await waitFor(async () => {
      const { body } = await nodeCase(SICHUAN, '510100');
      return body.history?.some((h) => h.eventId === eventId) ? body : undefined;
    }, 'the refused change at the Sichuan node');
    expect(seen.history.find((h) => h.eventId === eventId)).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^MEMBER_NOT_REQUESTED/) });
    expect(seen.data.householdChanges?.map((c) => c.member)).toEqual([LIU_QIANG]);
  });
});
