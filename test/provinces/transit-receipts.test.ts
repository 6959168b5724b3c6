import { example } from '../support/examples';
import { waitFor } from '../support/wait';
import { ProvinceLayout } from '../../tools/stack/provinces';
import { infraAsync } from './province-stack';
import { ProvinceProcesses } from './province-processes';

/**
 * The accepting side's answer for events crossing to the other province, over the real link: both provinces'
 * services as processes (as province-services.test.ts runs them), MirrorMaker 2 of `npm run infra:up` as the
 * only link. With Chongqing's mirror stopped, Chengdu's events for Dazu answer `in-transit` at Sichuan's
 * gateway; once it runs again, the receipts Chongqing's ops sends back make them `applied`.
 */
const run = new ProvinceProcesses('tbt', 4730, 4830);
const { id, sc, cq } = run;
const gateway = (p: ProvinceLayout) => run.gateway(p);
const SENT_TYPES = ['SubsidyApplicationSubmitted', 'SubsidyApplicationWithdrawn'];

interface Transit {
  province: string;
  status: string;
  since: string | null;
  at: string | null;
  node: string | null;
}

async function get<T>(p: ProvinceLayout, key: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gateway(p)}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as T };
}

async function post(p: ProvinceLayout, key: string, body: unknown): Promise<string> {
  const answer = await run.post(p, key, body);
  expect(answer.status).toBe(202);
  return answer.body.eventId!;
}

const transitOf = async (eventId: string) => (await get<{ status: string; transit?: Transit | null }>(sc, 'dev-chengdu', `/v1/events/${eventId}`)).body;

/** Per case, the sent events as Dazu's node recorded them (type and outcome, in its order). */
async function atDazu(caseId: string): Promise<Array<{ eventType: string; outcome: string }>> {
  const { status, body } = await get<{ history?: Array<{ seq: number; eventType: string; outcome: string }> }>(
    cq,
    'dev-dazu',
    `/v1/cases/${encodeURIComponent(caseId)}`,
  );
  if (status !== 200) return [];
  return (body.history ?? [])
    .filter((e) => SENT_TYPES.includes(e.eventType))
    .sort((a, b) => a.seq - b.seq)
    .map((e) => ({ eventType: e.eventType, outcome: e.outcome }));
}

describe('events crossing to the other province, as the accepting side sees them', () => {
  beforeAll(async () => {
    await run.start('tongban-transit-receipts');
  }, 240_000);

  afterAll(async () => {
    await infraAsync('mirror-start', cq.code).catch(() => undefined);
    await run.remove();
  }, 120_000);

  it('answers in-transit while the link is down, and applied at Dazu once it returns, each event applied once and in order', async () => {
    expect(run.services.length).toBeGreaterThan(0);
    const caseIds = Array.from({ length: 6 }, (_, i) => `SUB-510104-2026-000123-${id}T${i}`);
    const events = new Map<string, string[]>();
    await infraAsync('mirror-stop', cq.code);
    try {
      const now = new Date().toISOString();
      for (const caseId of caseIds) {
        const ids: string[] = [];
        for (const type of SENT_TYPES) ids.push(await post(sc, 'dev-chengdu', { ...example(type), caseId, occurredAt: now }));
        events.set(caseId, ids);
      }
      const all = [...events.values()].flat();
      // Sent into the link (on Kafka in Sichuan), and no further: in transit to Chongqing since it was sent.
      const waiting = await waitFor(
        async () => {
          const answers = await Promise.all(all.map(transitOf));
          return answers.every((a) => a.status === 'sent' && a.transit?.status === 'in-transit') ? answers : undefined;
        },
        'every event in transit',
        60_000,
        500,
      );
      for (const a of waiting) expect(a.transit).toEqual({ province: '500000', status: 'in-transit', since: expect.any(String), at: null, node: null });
      // The case read of the accepting side lists its crossing events the same way, oldest first.
      const c = await get<{ crossings?: Array<Transit & { eventId: string; eventType: string }> }>(
        sc,
        'dev-chengdu',
        `/v1/cases/${encodeURIComponent(caseIds[0])}`,
      );
      expect(c.status).toBe(200);
      expect(c.body.crossings?.map((x) => [x.eventType, x.eventId, x.status])).toEqual(SENT_TYPES.map((t, i) => [t, events.get(caseIds[0])![i], 'in-transit']));
      // Another side (Dazu, through its own gateway) is not told of Chengdu's events this way.
      expect(await atDazu(caseIds[0])).toEqual([]);
      // A few seconds more: still nothing can have come back.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await transitOf(all[0])).transit?.status).toBe('in-transit');
    } finally {
      await infraAsync('mirror-start', cq.code);
    }
    const started = Date.now();
    const all = [...events.values()].flat();
    const done = await waitFor(
      async () => {
        const answers = await Promise.all(all.map(transitOf));
        return answers.every((a) => a.transit?.status === 'applied') ? answers : undefined;
      },
      'every event applied at Dazu, as Sichuan answers it',
      240_000,
      1000,
    );
    console.log(
      `transit receipts: ${all.length} events in transit while the link was down; all answered applied ${Date.now() - started} ms after mirror-start`,
    );
    for (const a of done) {
      expect(a.transit).toMatchObject({ province: '500000', status: 'applied', node: '500000' });
      expect(Date.parse(a.transit!.at!)).toBeGreaterThanOrEqual(Date.parse(a.transit!.since!));
    }
    const c = await get<{ crossings?: Array<Transit & { eventId: string }> }>(sc, 'dev-chengdu', `/v1/cases/${encodeURIComponent(caseIds[0])}`);
    expect(c.body.crossings?.map((x) => x.status)).toEqual(['applied', 'applied']);
    // Applied once each, in order, at Dazu.
    for (const caseId of caseIds) expect((await atDazu(caseId)).map((e) => e.eventType)).toEqual(SENT_TYPES);
  }, 420_000);
});
