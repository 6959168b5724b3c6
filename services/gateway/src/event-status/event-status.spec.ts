import type { Caller } from '@tongban/auth';
import { TongbanError } from '@tongban/errors';
import { SERVICE_OFFICES } from '@tongban/regions';
import { EventStatusReader, publishedBy, Queryable } from './event-status';

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

/** Answers the accepted_events row and the outbox summary the reader asks for, and records the queries. */
function db(row: Record<string, unknown> | undefined, outbox: Record<string, unknown>): Queryable & { calls: Array<{ sql: string; params: unknown[] }> } {
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
    const reader = new EventStatusReader(db(accepted(), { copies: 2, pending: '1', last_sent_at: new Date('2026-11-02T09:30:01Z') }));
    expect(await reader.find(chengdu, ID)).toEqual({
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
    const reader = new EventStatusReader(db(accepted(), { copies: 2, pending: '0', last_sent_at: new Date('2026-11-02T09:30:02.5Z') }));
    expect(await reader.find(chengdu, ID)).toMatchObject({ status: 'sent', sentAt: '2026-11-02T09:30:02.500Z' });
  });

  it('answers sent without a time once retention purged the sent rows', async () => {
    const reader = new EventStatusReader(db(accepted(), { copies: 0, pending: null, last_sent_at: null }));
    expect(await reader.find(sichuan, ID)).toMatchObject({ status: 'sent', sentAt: null });
  });

  it('answers another division’s event exactly as a missing one', async () => {
    const other = await refusal(new EventStatusReader(db(accepted(), { copies: 1, pending: 0, last_sent_at: null })).find(dazu, ID));
    const missing = await refusal(new EventStatusReader(db(undefined, { copies: 0, pending: 0, last_sent_at: null })).find(dazu, ID));
    expect(other).toEqual({ code: 'GATEWAY.EVENT_NOT_FOUND', message: `event ${ID} not found` });
    expect(other).toEqual(missing);
  });

  it('takes an upper-case id as the same id', async () => {
    const fake = db(accepted(), { copies: 1, pending: 0, last_sent_at: null });
    await new EventStatusReader(fake).find(chengdu, ID.toUpperCase());
    expect(fake.calls.map((c) => c.params)).toEqual([[ID], [ID]]);
  });

  it.each([['not a uuid'], ['1 OR 1=1'], [`${ID}x`], ['']])('refuses %j with 400 before asking the database', async (id) => {
    const fake = db(accepted(), { copies: 1, pending: 0, last_sent_at: null });
    expect(await refusal(new EventStatusReader(fake).find(chengdu, id))).toMatchObject({ code: 'REQUEST.INVALID' });
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
