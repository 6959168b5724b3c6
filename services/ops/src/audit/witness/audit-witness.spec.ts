import type { Kafka, Producer } from 'kafkajs';
import type { AuditChainHeads, AvroCodec } from '@tongban/avro';
import type { JsonLogger } from '@tongban/observability';
import type { AuditDatabases, ChainHead } from './audit-databases';
import { AUDIT_CHAIN_HEADS, AuditWitness } from './audit-witness';
import type { WitnessStore } from './witness-store';

const HASH = 'b'.repeat(64);
const head = (length: number): ChainHead => ({ database: 'tongban_gateway', chain: 'disclosures', length, headHash: HASH, headAt: '2026-11-30T00:00:00.000Z' });

/** Ops of Chongqing, witness of Sichuan; the codec passes records through as JSON, the store and producer are recorded. */
function chongqing() {
  const sent: Array<{ topic: string; record: AuditChainHeads }> = [];
  const calls: string[] = [];
  const codec = {
    encodeRecord: async (name: string, value: unknown) => {
      expect(name).toBe(AUDIT_CHAIN_HEADS);
      return Buffer.from(JSON.stringify(value));
    },
    decodeRecord: async (_: string, bytes: Buffer) => {
      if (bytes.toString() === 'garbage') throw new Error('not a record');
      return { schemaId: 82, value: JSON.parse(bytes.toString()) };
    },
  } as unknown as AvroCodec;
  const producer = {
    send: async ({ topic, messages }: { topic: string; messages: Array<{ value: Buffer }> }) => {
      sent.push({ topic, record: JSON.parse(messages[0].value.toString()) });
    },
  } as unknown as Producer;
  const store = {
    witness: async (owner: string, heads: ChainHead[]) => {
      calls.push(`witness ${owner} ${heads.map((h) => h.length).join(',')}`);
      return heads[0].length < 10
        ? [{ owner, database: heads[0].database, chain: heads[0].chain, length: heads[0].length, headHash: HASH, receivedAt: '', conflict: 'shorter' }]
        : [];
    },
    longest: async () => [{ ...head(10), witnessedAt: '2026-11-30T00:01:00.000Z' }],
    receive: async (witness: string, heads: ChainHead[]) => void calls.push(`receive ${witness} ${heads.map((h) => h.length).join(',')}`),
  } as unknown as WitnessStore;
  const databases = { heads: async () => ({ heads: [head(4)], unreachable: [] }) } as unknown as AuditDatabases;
  const logger = { event: () => undefined } as unknown as JsonLogger;
  const conflicts: string[] = [];
  const witness = new AuditWitness(
    { province: '500000', partner: '510000', intervalMs: 300_000 },
    'tongban',
    {} as Kafka,
    producer,
    codec,
    store,
    databases,
    logger,
    'tongban.ops.witness',
    (c) => conflicts.push(c.conflict),
  );
  const deliver = (record: Partial<AuditChainHeads> | string) =>
    witness.handle(Buffer.from(typeof record === 'string' ? record : JSON.stringify(record)), 'test/0/0');
  return { witness, sent, calls, conflicts, deliver };
}

const reported = (length: number): AuditChainHeads => ({
  kind: 'REPORTED',
  owner: '510000',
  sender: '510000',
  sentAt: '2026-11-30T00:00:30.000Z',
  heads: [{ ...head(length), witnessedAt: null }],
});

describe('the audit witness of one province', () => {
  it('sends its own heads to the partner, on the partner’s witness topic', async () => {
    const c = chongqing();
    await c.witness.report();
    expect(c.sent).toEqual([
      {
        topic: 'tongban.510000.witness',
        record: expect.objectContaining({ kind: 'REPORTED', owner: '500000', sender: '500000', heads: [{ ...head(4), witnessedAt: null }] }),
      },
    ]);
  });

  it('keeps the heads the partner reports and answers with the longest it holds of each chain', async () => {
    const c = chongqing();
    await c.deliver(reported(12));
    expect(c.calls).toEqual(['witness 510000 12']);
    expect(c.sent).toEqual([
      {
        topic: 'tongban.510000.witness',
        record: expect.objectContaining({
          kind: 'WITNESSED',
          owner: '510000',
          sender: '500000',
          heads: [{ ...head(10), witnessedAt: '2026-11-30T00:01:00.000Z' }],
        }),
      },
    ]);
  });

  it('counts a reported head that contradicts an earlier one', async () => {
    const c = chongqing();
    await c.deliver(reported(3));
    expect(c.conflicts).toEqual(['shorter']);
  });

  it('keeps the partner’s receipt of its own chains', async () => {
    const c = chongqing();
    await c.deliver({ ...reported(7), kind: 'WITNESSED', owner: '500000' });
    expect(c.calls).toEqual(['receive 510000 7']);
    expect(c.sent).toEqual([]);
  });

  it('skips what is unreadable, from another province, or not about either of the two', async () => {
    const c = chongqing();
    await c.deliver('garbage');
    await c.deliver({ ...reported(7), sender: '440000' });
    await c.deliver({ ...reported(7), kind: 'WITNESSED' });
    await c.deliver({ ...reported(7), owner: '500000' });
    expect(c.calls).toEqual([]);
    expect(c.sent).toEqual([]);
  });
});

describe('the witness check of one province', () => {
  /** Sichuan's ops: its gateway's chain has `length` entries; Chongqing acknowledged 10; the delivery database is gone. */
  function sichuan(length: number) {
    const hashOf = (seq: number) => String(seq).padStart(64, 'c');
    const ds = {
      query: async (sql: string, params: unknown[]) =>
        sql.includes('MAX(seq)') ? [{ n: length }] : (params.slice(1) as number[]).filter((seq) => seq <= length).map((seq) => ({ seq, hash: hashOf(seq) })),
    };
    const databases = {
      heads: async () => ({ heads: [{ ...head(length), headHash: hashOf(length) }], unreachable: [] }),
      use: async (database: string, fn: (d: unknown) => Promise<unknown>) => {
        if (database === 'tongban_delivery') throw new Error("Unknown database 'tongban_delivery'");
        return fn(ds);
      },
    } as unknown as AuditDatabases;
    const store = {
      receipts: async () => [
        { database: 'tongban_gateway', chain: 'disclosures', length: 10, headHash: hashOf(10), witnessedAt: '2026-11-30T00:10:00.000Z' },
        ...(length === 12 ? [] : [{ database: 'tongban_delivery', chain: 'disclosures', length: 3, headHash: hashOf(3), witnessedAt: null }]),
      ],
      lastReceiptAt: async () => '2026-11-30T00:10:00.000Z',
      conflicts: async () => [],
    } as unknown as WitnessStore;
    return new AuditWitness(
      { province: '510000', partner: '500000', intervalMs: 300_000 },
      'tongban',
      {} as Kafka,
      {} as Producer,
      {} as AvroCodec,
      store,
      databases,
      { event: () => undefined } as unknown as JsonLogger,
      'tongban.ops.witness',
    );
  }

  it('passes chains that still hold every witnessed head', async () => {
    const r = await sichuan(12).check();
    expect(r).toMatchObject({ ok: true, witness: '500000', lastAcknowledgedAt: '2026-11-30T00:10:00.000Z' });
    expect(r.chains).toEqual([expect.objectContaining({ database: 'tongban_gateway', status: 'ok', length: 12, witnessedLength: 10 })]);
  });

  it('fails on a chain cut below a witnessed head, and on a witnessed database it cannot read', async () => {
    const r = await sichuan(7).check();
    expect(r.ok).toBe(false);
    expect(r.firstBroken).toMatchObject({ database: 'tongban_gateway', status: 'truncated', length: 7, brokenAt: 8 });
    expect(r.chains.find((c) => c.database === 'tongban_delivery')).toMatchObject({ status: 'unreachable', witnessedLength: 3 });
  });
});
