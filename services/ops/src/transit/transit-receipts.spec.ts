import { DecodeFailure, TransitReceipts as TransitReceiptsRecord } from '@tongban/avro';
import type { JsonLogger } from '@tongban/observability';
import { ArrivalSource, SourceRow, TRANSIT_RECEIPTS, TransitReceipts } from './transit-receipts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 3, 0, s)).toISOString();
const row = (id: string, s: number, outcome = 'applied'): SourceRow => ({ eventId: id, caseId: `case-${id}`, node: '500000', outcome, at: at(s) });

/** A source answering from a fixed list by (at, eventId), as the node's keyset paging does; the reads are recorded. */
function source(name: string, rows: SourceRow[]): ArrivalSource & { rows: SourceRow[]; reads: string[] } {
  return {
    name,
    rows,
    reads: [],
    async read(since, after, limit) {
      this.reads.push(`${since.toISOString()}|${after}|${limit}`);
      const key = (r: SourceRow) => `${r.at}|${r.eventId}`;
      const from = `${since.toISOString()}|${after}`;
      return this.rows
        .filter((r) => (after ? key(r) > from : r.at >= since.toISOString()))
        .sort((a, b) => key(a).localeCompare(key(b)))
        .slice(0, limit);
    },
  };
}

/** Ops of Chongqing: receives Sichuan's events, sends their receipts back; the codec passes records through as JSON. */
function harness(sources: ArrivalSource[], o: { batchSize?: number; failSends?: number } = {}) {
  const sent: Array<{ topic: string; record: TransitReceiptsRecord }> = [];
  const stored: Array<{ province: string; ids: string[] }> = [];
  const marks = new Map<string, number>();
  let failures = o.failSends ?? 0;
  const codec = {
    encodeRecord: async (_name: string, value: unknown) => Buffer.from(JSON.stringify(value)),
    decodeRecord: async (name: string, bytes: Buffer | null) => {
      const value = JSON.parse(String(bytes)) as TransitReceiptsRecord & { kind?: string };
      if (name !== TRANSIT_RECEIPTS || value.kind) throw new DecodeFailure('EVENT_TYPE_UNKNOWN', 'not a TransitReceipts record');
      return { schemaId: 83, value };
    },
  };
  const producer = {
    send: async ({ topic, messages }: { topic: string; messages: Array<{ value: Buffer }> }) => {
      if (failures-- > 0) throw new Error('broker unavailable');
      sent.push({ topic, record: JSON.parse(String(messages[0].value)) });
      return [];
    },
  };
  const store = {
    receive: async (province: string, receipts: readonly { eventId: string }[]) => void stored.push({ province, ids: receipts.map((r) => r.eventId) }),
    watermark: async (name: string) => marks.get(name) ?? 0,
    advance: async (name: string, mark: number) => void marks.set(name, mark),
  };
  const transit = new TransitReceipts(
    { province: '500000', partner: '510000', intervalMs: 1000, batchSize: o.batchSize ?? 500, overlapMs: 10_000 },
    'tongban',
    producer as never,
    codec as never,
    store,
    sources,
    { event: () => undefined } as unknown as JsonLogger,
  );
  return { transit, sent, stored, marks };
}

describe('the receipts a receiving province sends back', () => {
  it('sends what its node recorded, batched, on the partner’s witness topic, and moves the cursor', async () => {
    const node = source('node:500000', [row('a', 1), row('b', 2, 'rejected'), row('c', 3, 'noted')]);
    const h = harness([node], { batchSize: 2 });
    await h.transit.look();
    expect(h.sent.map((s) => s.topic)).toEqual(['tongban.510000.witness', 'tongban.510000.witness']);
    expect(h.sent.map((s) => s.record.receipts.map((r) => `${r.eventId}:${r.outcome}`))).toEqual([['a:APPLIED', 'b:REJECTED'], ['c:APPLIED']]);
    expect(h.sent[0].record).toMatchObject({ owner: '510000', sender: '500000' });
    expect(h.marks.get('node:500000')).toBe(Date.parse(at(3)));
  });

  it('sends each receipt once across looks, and what was recorded since', async () => {
    const node = source('node:500000', [row('a', 1), row('b', 2)]);
    const h = harness([node]);
    await h.transit.look();
    await h.transit.look();
    node.rows.push(row('late', 2), row('c', 20));
    await h.transit.look();
    expect(h.sent.map((s) => s.record.receipts.map((r) => r.eventId))).toEqual([
      ['a', 'b'],
      ['late', 'c'],
    ]);
    // The third look started the overlap before the newest receipt sent.
    expect(node.reads[2]).toBe(`${new Date(Date.parse(at(2)) - 10_000).toISOString()}||500`);
  });

  it('keeps the cursor where it was when a send fails, and sends the same receipts at the next look', async () => {
    const node = source('node:500000', [row('a', 1)]);
    const h = harness([node], { failSends: 1 });
    await expect(h.transit.look()).rejects.toThrow('broker unavailable');
    expect(h.marks.has('node:500000')).toBe(false);
    await h.transit.look();
    expect(h.sent.map((s) => s.record.receipts.map((r) => r.eventId))).toEqual([['a']]);
  });

  it('pages through a long history by its last key', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => row(`e${String(i).padStart(3, '0')}`, 1 + Math.floor(i / 100)));
    const node = source('node:500000', rows);
    const h = harness([node], { batchSize: 100 });
    await h.transit.look();
    expect(node.reads).toEqual([`${new Date(0).toISOString()}||100`, `${at(1)}|e099|100`, `${at(2)}|e199|100`]);
    expect(h.sent.flatMap((s) => s.record.receipts.map((r) => r.eventId))).toEqual(rows.map((r) => r.eventId));
  });

  it('reads every source, and one that fails does not stop the others', async () => {
    const broken: ArrivalSource = { name: 'node:500000', read: async () => Promise.reject(new Error('node down')) };
    const dlq = source('dlq:500000', [row('parked', 4, 'ARRIVED')]);
    const h = harness([broken, dlq]);
    await expect(h.transit.look()).rejects.toThrow('node down');
    expect(h.sent.map((s) => s.record.receipts.map((r) => `${r.eventId}:${r.outcome}`))).toEqual([['parked:ARRIVED']]);
  });
});

describe('the receipts an accepting province keeps', () => {
  const record = (over: Partial<TransitReceiptsRecord> = {}) =>
    Buffer.from(
      JSON.stringify({
        owner: '500000',
        sender: '510000',
        sentAt: at(9),
        receipts: [{ eventId: 'a', caseId: 'c', node: '510000', outcome: 'APPLIED', at: at(8) }],
        ...over,
      }),
    );

  it('keeps the partner’s receipts of its own events', async () => {
    const h = harness([]);
    expect(await h.transit.handle(record(), 't/0/1')).toBe(true);
    expect(h.stored).toEqual([{ province: '510000', ids: ['a'] }]);
  });

  it('takes but does not keep receipts from another province or for another one', async () => {
    const h = harness([]);
    expect(await h.transit.handle(record({ sender: '520000' }), 't/0/1')).toBe(true);
    expect(await h.transit.handle(record({ owner: '510000' }), 't/0/2')).toBe(true);
    expect(h.stored).toEqual([]);
  });

  it('leaves any other record of the channel to the audit witness', async () => {
    const h = harness([]);
    expect(await h.transit.handle(Buffer.from(JSON.stringify({ kind: 'REPORTED' })), 't/0/3')).toBe(false);
  });
});
