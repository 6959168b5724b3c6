import type { Caller } from '@tongban/auth';
import { TongbanError } from '@tongban/errors';
import { SERVICE_OFFICES } from '@tongban/regions';
import { AcceptedEventsRepository, Queryable } from '../events/infrastructure/accepted-events.repository';
import { EventStatusReader, publishedBy } from './event-status';
import { NodeOutcome, NodeOutcomeLookup, outcomeFromAnswer } from './node-outcomes';
import type { Receipt } from './transit';

const ID = '0b9e6c9e-2f4a-4a53-9a51-6f1d2c3b4a5e';
const CQ_HTZ = SERVICE_OFFICES.find((o) => o.id === 'CQ-HTZ')!;

const chengdu: Caller = { keyId: 'k-chengdu', division: '510100' };
const sichuan: Caller = { keyId: 'k-sichuan', division: '510000' };
const dazu: Caller = { keyId: 'k-dazu', division: '500111' };
const chongqing: Caller = { keyId: 'k-chongqing', division: '500000' };
const office: Caller = { keyId: 'k-htz', division: '500000', office: CQ_HTZ };

function accepted(over: Record<string, unknown> = {}) {
  return {
    event_id: ID,
    event_type: 'SubsidyApplicationSubmitted',
    case_id: 'SUB-510104-2026-000123',
    source_region: '510104',
    target_region: '500111',
    source_office: null,
    correlation_id: 'corr-1',
    accepted_at: new Date('2026-11-02T09:30:00.123Z'),
    ...over,
  };
}

/**
 * The gateway's repository over a fake database that answers the accepted_events row and the outbox summary
 * the reader asks for, and records the queries.
 */
function db(row: Record<string, unknown> | undefined, outbox: Record<string, unknown>) {
  const raw = rawDb(row, outbox);
  return Object.assign(new AcceptedEventsRepository(raw), { calls: raw.calls, query: raw.query });
}

function rawDb(row: Record<string, unknown> | undefined, outbox: Record<string, unknown>): Queryable & { calls: Array<{ sql: string; params: unknown[] }> } {
  const calls: Array<{ sql: string; params: unknown[] }> = [];
  return {
    calls,
    async query(sql: string, params: unknown[]) {
      calls.push({ sql, params });
      if (sql.includes('FROM accepted_events')) return row ? [row] : [];
      if (sql.includes('FROM outbox_events')) return [outbox];
      throw new Error(`unexpected query ${sql}`);
    },
  };
}

/** The reader on the gateway's repository over the fake database. */
function reader(fake: Queryable): EventStatusReader {
  return new EventStatusReader(new AcceptedEventsRepository(fake));
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TongbanError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('GET /v1/events/:eventId', () => {
  it('answers an event still in the outbox as accepted', async () => {
    const statusReader = reader(db(accepted(), { copies: 2, pending: '1', last_sent_at: new Date('2026-11-02T09:30:01Z') }));
    expect(await statusReader.find(chengdu, ID)).toEqual({
      eventId: ID,
      eventType: 'SubsidyApplicationSubmitted',
      caseId: 'SUB-510104-2026-000123',
      sourceRegion: '510104',
      targetRegion: '500111',
      sourceOffice: null,
      correlationId: 'corr-1',
      acceptedAt: '2026-11-02T09:30:00.123Z',
      status: 'accepted',
      sentAt: null,
    });
  });

  it('answers sent, with the time of the last copy, once every copy is on Kafka', async () => {
    const statusReader = reader(db(accepted(), { copies: 2, pending: '0', last_sent_at: new Date('2026-11-02T09:30:02.5Z') }));
    expect(await statusReader.find(chengdu, ID)).toMatchObject({ status: 'sent', sentAt: '2026-11-02T09:30:02.500Z' });
  });

  it('answers sent without a time once retention purged the sent rows', async () => {
    const statusReader = reader(db(accepted(), { copies: 0, pending: null, last_sent_at: null }));
    expect(await statusReader.find(sichuan, ID)).toMatchObject({ status: 'sent', sentAt: null });
  });

  it('answers another division’s event exactly as a missing one', async () => {
    const other = await refusal(reader(db(accepted(), { copies: 1, pending: 0, last_sent_at: null })).find(dazu, ID));
    const missing = await refusal(reader(db(undefined, { copies: 0, pending: 0, last_sent_at: null })).find(dazu, ID));
    expect(other).toEqual({ code: 'GATEWAY.EVENT_NOT_FOUND', message: `event ${ID} not found` });
    expect(other).toEqual(missing);
  });

  it('takes an upper-case id as the same id', async () => {
    const fake = db(accepted(), { copies: 1, pending: 0, last_sent_at: null });
    await reader(fake).find(chengdu, ID.toUpperCase());
    expect(fake.calls.map((c) => c.params)).toEqual([[ID], [ID]]);
  });

  it.each([['not a uuid'], ['1 OR 1=1'], [`${ID}x`], ['']])('refuses %j with 400 before asking the database', async (id) => {
    const fake = db(accepted(), { copies: 1, pending: 0, last_sent_at: null });
    expect(await refusal(reader(fake).find(chengdu, id))).toMatchObject({ code: 'REQUEST.INVALID' });
    expect(fake.calls).toEqual([]);
  });
});

describe('whose event it is', () => {
  const divisionEvent = { source_region: '500107', source_office: null };
  const officeEvent = { source_region: '500107', source_office: 'CQ-HTZ' };

  it('is the side of a division key that covers the source region', () => {
    expect(publishedBy(chongqing, divisionEvent)).toBe(true);
    expect(publishedBy(dazu, divisionEvent)).toBe(false);
    expect(publishedBy(chengdu, { source_region: '510104', source_office: null })).toBe(true);
    expect(publishedBy(sichuan, { source_region: '510104', source_office: null })).toBe(true);
    expect(publishedBy(chengdu, { source_region: '512021', source_office: null })).toBe(false);
  });

  it('is an office key’s only when published for that office', () => {
    expect(publishedBy(office, officeEvent)).toBe(true);
    expect(publishedBy(office, divisionEvent)).toBe(false);
  });

  it('is not a division key’s when an office published it, even in a district it covers', () => {
    expect(publishedBy(chongqing, officeEvent)).toBe(false);
  });
});

describe('the transit of an event for the other province', () => {
  const receipts = (found: Record<string, Receipt> | Error) => ({
    asked: [] as string[][],
    async find(_caller: Caller, ids: readonly string[]) {
      this.asked.push([...ids]);
      if (found instanceof Error) throw found;
      return new Map(Object.entries(found).filter(([id]) => ids.includes(id)));
    },
  });
  const sent = { copies: 2, pending: '0', last_sent_at: new Date('2026-11-02T09:30:02Z') };
  const applied: Receipt = { eventId: ID, province: '500000', node: '500000', outcome: 'APPLIED', at: '2026-11-02T09:31:00.000Z' };

  it('is in transit once sent, with no receipt', async () => {
    const reader = new EventStatusReader(db(accepted(), sent), { province: '510000', receipts: receipts({}) });
    expect((await reader.find(chengdu, ID)).transit).toEqual({
      province: '500000',
      status: 'in-transit',
      since: '2026-11-02T09:30:02.000Z',
      at: null,
      node: null,
    });
  });

  it('is what the receipt says once it came back', async () => {
    const reader = new EventStatusReader(db(accepted(), sent), { province: '510000', receipts: receipts({ [ID]: applied }) });
    expect((await reader.find(chengdu, ID)).transit).toMatchObject({ status: 'applied', at: '2026-11-02T09:31:00.000Z', node: '500000' });
  });

  it('is null while still in the outbox, without asking for receipts', async () => {
    const lookup = receipts({});
    const reader = new EventStatusReader(db(accepted(), { copies: 2, pending: '2', last_sent_at: null }), { province: '510000', receipts: lookup });
    expect(await reader.find(chengdu, ID)).toMatchObject({ status: 'accepted', transit: null });
    expect(lookup.asked).toEqual([]);
  });

  it('is unknown, not a failure, when the receipts cannot be read', async () => {
    const reader = new EventStatusReader(db(accepted(), sent), { province: '510000', receipts: receipts(new Error('ops answered 503')) });
    expect((await reader.find(chengdu, ID)).transit).toMatchObject({ status: 'unknown', error: expect.stringContaining('ops answered 503') });
  });

  it('is not part of the answer for an event that stays in the province, nor at a gateway for every province', async () => {
    const within = new EventStatusReader(db(accepted({ target_region: '512021' }), sent), { province: '510000', receipts: receipts({}) });
    expect(await within.find(chengdu, ID)).not.toHaveProperty('transit');
    expect(await new EventStatusReader(db(accepted(), sent)).find(chengdu, ID)).not.toHaveProperty('transit');
  });

  it('lists the caller’s crossing events of a case, oldest first, leaving out other sides’ and those staying in the province', async () => {
    const B = '1b9e6c9e-2f4a-4a53-9a51-6f1d2c3b4a5e';
    const rows = [
      accepted(),
      accepted({ event_id: B, event_type: 'SubsidyApplicationWithdrawn', accepted_at: new Date('2026-11-02T09:40:00Z') }),
      accepted({ event_id: 'c', source_region: '500111', target_region: '510104' }),
      accepted({ event_id: 'd', target_region: '512021' }),
    ];
    const fake: Queryable = {
      async query(sql: string) {
        if (sql.includes('FROM accepted_events')) return rows;
        if (sql.includes('FROM outbox_events'))
          return [
            { event_id: ID, pending: '0', last_sent_at: new Date('2026-11-02T09:30:02Z') },
            { event_id: B, pending: '1', last_sent_at: null },
          ];
        throw new Error(sql);
      },
    };
    const lookup = receipts({ [ID]: applied });
    const list = await new EventStatusReader(new AcceptedEventsRepository(fake), { province: '510000', receipts: lookup }).crossingsOf(
      chengdu,
      'SUB-510104-2026-000123',
    );
    expect(list).toEqual([
      {
        eventId: ID,
        eventType: 'SubsidyApplicationSubmitted',
        acceptedAt: '2026-11-02T09:30:00.123Z',
        province: '500000',
        status: 'applied',
        since: '2026-11-02T09:30:02.000Z',
        at: '2026-11-02T09:31:00.000Z',
        node: '500000',
      },
      {
        eventId: B,
        eventType: 'SubsidyApplicationWithdrawn',
        acceptedAt: '2026-11-02T09:40:00.000Z',
        province: '500000',
        status: 'accepted',
        since: null,
        at: null,
        node: null,
      },
    ]);
    expect(lookup.asked).toEqual([[ID]]);
    expect(await new EventStatusReader(new AcceptedEventsRepository(fake)).crossingsOf(chengdu, 'x')).toBeUndefined();
  });
});

describe('GET /v1/events/:eventId: what each node of the province did', () => {
  const nodes = (answers: Record<string, NodeOutcome>) => {
    const asked: string[] = [];
    const lookup: NodeOutcomeLookup = {
      reaches: (node) => node in answers,
      find: async (_caller, _id, node) => (asked.push(node), answers[node]),
    };
    return { lookup, asked };
  };
  const copies = 'ns.510000.local,ns.500000.inbox';

  it('asks each reachable node that got a copy, and leaves the other province to the transit', async () => {
    const { lookup, asked } = nodes({ '510000': { node: '510000', outcome: 'applied', reason: null, at: '2026-11-02T09:30:03.000Z' } });
    const reader = new EventStatusReader(
      db(accepted(), { copies: 2, pending: '0', last_sent_at: new Date('2026-11-02T09:30:02Z'), topics: copies }),
      undefined,
      lookup,
    );
    const status = await reader.find(chengdu, ID);
    expect(asked).toEqual(['510000']);
    expect(status.nodes).toEqual([{ node: '510000', outcome: 'applied', reason: null, at: '2026-11-02T09:30:03.000Z' }]);
  });

  it('says pending for every node while a copy is still in the outbox, without asking', async () => {
    const { lookup, asked } = nodes({
      '510000': { node: '510000', outcome: 'applied', reason: null, at: null },
      '500000': { node: '500000', outcome: 'applied', reason: null, at: null },
    });
    const reader = new EventStatusReader(db(accepted(), { copies: 2, pending: '1', last_sent_at: null, topics: copies }), undefined, lookup);
    expect((await reader.find(chengdu, ID)).nodes).toEqual([
      { node: '500000', outcome: 'pending', reason: null, at: null },
      { node: '510000', outcome: 'pending', reason: null, at: null },
    ]);
    expect(asked).toEqual([]);
  });

  it('lists no node once retention has purged the sent rows', async () => {
    const { lookup } = nodes({ '510000': { node: '510000', outcome: 'applied', reason: null, at: null } });
    const reader = new EventStatusReader(db(accepted(), { copies: 0, pending: null, last_sent_at: null, topics: null }), undefined, lookup);
    expect((await reader.find(chengdu, ID)).nodes).toEqual([]);
  });
});

describe('a node’s answer as an outcome', () => {
  it.each([
    [200, { outcome: 'applied', reason: null, appliedAt: '2026-11-02T09:30:03.000Z' }, { outcome: 'applied', reason: null, at: '2026-11-02T09:30:03.000Z' }],
    [
      200,
      { outcome: 'rejected', reason: 'INVALID_TRANSITION: …', appliedAt: '2026-11-02T09:30:03.000Z' },
      { outcome: 'rejected', reason: 'INVALID_TRANSITION: …', at: '2026-11-02T09:30:03.000Z' },
    ],
    [
      200,
      { outcome: 'noted', reason: 'case held by another node', appliedAt: '2026-11-02T09:30:03.000Z' },
      { outcome: 'noted', reason: null, at: '2026-11-02T09:30:03.000Z' },
    ],
    [200, { outcome: null, reason: null, appliedAt: '2026-11-02T09:30:03.000Z' }, { outcome: 'applied', reason: null, at: '2026-11-02T09:30:03.000Z' }],
    [404, { error: { code: 'NOT_FOUND' } }, { outcome: 'pending', reason: null, at: null }],
    [503, undefined, { outcome: 'unknown', reason: 'the node answered 503', at: null }],
  ])('%i %j', (status, body, expected) => {
    expect(outcomeFromAnswer('510000', status, body)).toEqual({ node: '510000', ...expected });
  });
});
