import type { ICustomPartitioner, Kafka, RecordMetadata } from 'kafkajs';
import { idleDelay, OutboxRelay, OutboxRelayOptions, takeBatch, topicMessagesOf } from './outbox-relay';
import { laneOf } from './outbox';
import type { OutboxRelayStore, OutboxRow } from './outbox-store.port';

/**
 * An in-memory outbox table and its lane locks, behind the store port the relay uses.
 * Several relays (sessions) share one database, as in production.
 */
interface FakeRow extends Omit<OutboxRow, 'id' | 'waited_us'> {
  id: number;
  sent_at: number | null;
  created: number;
}

class FakeDatabase {
  rows: FakeRow[] = [];
  locks = new Map<string, number>();
  private nextId = 1;
  private nextConnection = 1;

  add(key: string, topic = 'inbox', sentAt: number | null = null): FakeRow {
    const id = this.nextId++;
    const row = {
      id,
      lane: laneOf(key),
      event_id: `event-${id}`,
      topic,
      message_key: key,
      value: Buffer.from(`value-${id}`),
      headers: '{"h":"1"}',
      sent_at: sentAt,
      created: Date.now(),
    };
    this.rows.push(row);
    return row;
  }

  pending(): number {
    return this.rows.filter((r) => r.sent_at === null).length;
  }

  /** One relay's store: a session of its own (a connection), the lanes it locks going with it. */
  store(): OutboxRelayStore {
    let me: number | undefined;
    const session = () => {
      if (me === undefined) throw new Error('not connected');
      return me;
    };
    const release = (holder: number) => {
      for (const [name, h] of this.locks) if (h === holder) this.locks.delete(name);
    };
    return {
      get connected() {
        return me !== undefined;
      },
      keepAliveMs: 10_000,
      connect: async () => {
        if (me !== undefined) release(me);
        me = this.nextConnection++;
      },
      disconnect: async () => {
        if (me !== undefined) release(me);
        me = undefined;
      },
      claimLane: async (lane) => {
        const holder = session();
        const free = !this.locks.has(`lane-${lane}`) || this.locks.get(`lane-${lane}`) === holder;
        if (free) this.locks.set(`lane-${lane}`, holder);
        return free;
      },
      releaseLanes: async (lanes) => {
        const holder = session();
        for (const lane of lanes) if (this.locks.get(`lane-${lane}`) === holder) this.locks.delete(`lane-${lane}`);
      },
      keepAlive: async () => undefined,
      unsent: async (lanes, limit) => {
        session();
        const found = this.rows
          .filter((r) => r.sent_at === null && lanes.includes(r.lane))
          .sort((a, b) => a.id - b.id)
          .slice(0, limit);
        return found.map((r) => ({ ...r, id: String(r.id), waited_us: (Date.now() - r.created) * 1000 }));
      },
      markSent: async (ids) => {
        session();
        const marked = new Set(ids.map(Number));
        for (const r of this.rows) if (marked.has(r.id)) r.sent_at = Date.now();
      },
      purgeSent: async (lanes, keepMicroseconds, limit) => {
        session();
        const cutoff = Date.now() - keepMicroseconds / 1000;
        const doomed = new Set(this.rows.filter((r) => r.sent_at !== null && r.sent_at < cutoff && lanes.includes(r.lane)).slice(0, limit));
        this.rows = this.rows.filter((r) => !doomed.has(r));
        return doomed.size;
      },
    };
  }
}

let database: FakeDatabase;

interface SentBatch {
  relay: string;
  messages: Array<{ topic: string; key: string; value: string }>;
}

/**
 * A Kafka whose producers record every batch they took; `failNext` makes the next sends fail, `failCalls`
 * the sends of those numbers (1 is the first), and `duringSend` sees the database while a send is under way.
 */
function fakeKafka(relay: string, sent: SentBatch[], control: { failNext: number; failCalls?: number[]; duringSend?: () => void } = { failNext: 0 }): Kafka {
  let calls = 0;
  return {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: async (batch: { topicMessages: Array<{ topic: string; messages: Array<{ key: string; value: Buffer }> }> }) => {
        calls++;
        await new Promise((r) => setTimeout(r, 1));
        control.duringSend?.();
        if (control.failNext > 0 || control.failCalls?.includes(calls)) {
          if (control.failNext > 0) control.failNext--;
          throw new Error('broker not available');
        }
        sent.push({
          relay,
          messages: batch.topicMessages.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, key: m.key, value: m.value.toString() }))),
        });
        return [];
      },
    }),
  } as unknown as Kafka;
}

/**
 * A Kafka of three partitions per topic whose producers place messages with the relay's partitioner and answer per
 * partition, as kafkajs does. `answer(call, producer)` decides a send: 'ok', 'throw' (an error, `typed` with a broker's
 * error type), or 'partial' (resolves without the first partition it chose, as kafkajs 2.2.4 can after a leader dies).
 */
function partitionedKafka(
  sent: SentBatch[],
  answer: (call: number, producer: number) => 'ok' | 'partial' | { throw: string; type?: string },
): { kafka: Kafka; producers: () => number } {
  let calls = 0;
  let producers = 0;
  const kafka = {
    producer: (options: { createPartitioner: ICustomPartitioner }) => {
      const producer = ++producers;
      const partitioner = options.createPartitioner();
      const partitionMetadata = [0, 1, 2].map((partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 1,
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
      }));
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async (batch: { topicMessages: Array<{ topic: string; messages: Array<{ key: string; value: Buffer }> }> }) => {
          const call = ++calls;
          await new Promise((r) => setTimeout(r, 1));
          const chosen = new Set<string>();
          for (const t of batch.topicMessages)
            for (const m of t.messages) chosen.add(`${t.topic}/${partitioner({ topic: t.topic, partitionMetadata, message: m })}`);
          const decision = answer(call, producer);
          if (typeof decision === 'object') {
            throw Object.assign(new Error('send failed'), { cause: Object.assign(new Error(decision.throw), { type: decision.type }) });
          }
          const answered = [...chosen].sort().slice(decision === 'partial' ? 1 : 0);
          if (decision === 'ok') {
            sent.push({
              relay: `producer-${producer}`,
              messages: batch.topicMessages.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, key: m.key, value: m.value.toString() }))),
            });
          }
          return answered.map((tp) => {
            const [topicName, partition] = [tp.slice(0, tp.lastIndexOf('/')), Number(tp.slice(tp.lastIndexOf('/') + 1))];
            return { topicName, partition, errorCode: 0 } as RecordMetadata;
          });
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, producers: () => producers };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function relayOn(kafka: Kafka, options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  return new OutboxRelay({
    kafka,
    store: database.store(),
    claimIntervalMs: 10,
    ...options,
  });
}

/** The values each case's messages arrived with on each topic (where Kafka keeps order), in arrival order. */
function valuesByKey(sent: SentBatch[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of sent.flatMap((b) => b.messages)) out.set(`${m.topic} ${m.key}`, [...(out.get(`${m.topic} ${m.key}`) ?? []), m.value]);
  return out;
}

/** The values each case's rows were written with for each topic, in id order. */
function writtenByKey(rows: FakeRow[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of [...rows].sort((a, b) => a.id - b.id)) {
    const key = `${r.topic} ${r.message_key}`;
    out.set(key, [...(out.get(key) ?? []), r.value.toString()]);
  }
  return out;
}

describe('OutboxRelay', () => {
  let relays: OutboxRelay[];
  beforeEach(() => {
    database = new FakeDatabase();
    relays = [];
  });
  afterEach(async () => {
    await Promise.all(relays.map((r) => r.stop()));
  });
  const start = async (relay: OutboxRelay) => {
    relays.push(relay);
    await relay.start();
    return relay;
  };

  it("stamps each record with the time its row was written (read time less the row's wait), else leaves the producer's", () => {
    const row = (id: string, waited_us?: number) => ({
      id,
      lane: 0,
      event_id: `e-${id}`,
      topic: 't',
      message_key: 'k',
      value: Buffer.from('v'),
      headers: '{}',
      waited_us,
    });
    const [{ messages }] = topicMessagesOf([row('1', 1_500_000), row('2', 0), row('3')], 10_000);
    expect(messages.map((m) => m.timestamp)).toEqual(['8500', '10000', undefined]);
  });

  it('tells how long each sent row had waited in the outbox, once per row, not for a batch Kafka refused', async () => {
    // Twenty rows written 300 ms ago; the first send fails and the rows go again.
    for (let i = 0; i < 20; i++) database.add(`case-${i}`).created = Date.now() - 300;
    const waited: number[] = [];
    const sent: SentBatch[] = [];
    await start(relayOn(fakeKafka('a', sent, { failNext: 1 }), { batchSize: 1000, onWaited: (s: readonly number[]) => waited.push(...s) }));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(waited).toHaveLength(20);
    for (const s of waited) expect(s).toBeGreaterThanOrEqual(0.3);
    for (const s of waited) expect(s).toBeLessThan(30);
  });

  it('sends the pending rows of all its lanes with one sendBatch, each case in the order written', async () => {
    const rows: FakeRow[] = [];
    for (let i = 0; i < 300; i++) rows.push(database.add(`case-${i % 40}`, i % 3 === 0 ? 'local' : 'inbox'));
    expect(new Set(rows.map((r) => r.lane)).size).toBeGreaterThan(8);
    const sent: SentBatch[] = [];
    const relay = await start(relayOn(fakeKafka('a', sent), { batchSize: 1000 }));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(sent).toHaveLength(1);
    expect(sent[0].messages).toHaveLength(300);
    expect(valuesByKey(sent)).toEqual(writtenByKey(rows));
    expect(relay.published).toBe(300);
  });

  it('goes again at once while passes find rows: a backlog of many batches drains without the poll wait', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => database.add(`case-${i % 70}`));
    const sent: SentBatch[] = [];
    // An idle wait of an hour: the backlog can only drain if busy passes never wait.
    await start(relayOn(fakeKafka('a', sent), { batchSize: 100, pollIntervalMs: 3_600_000 }));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(sent.map((b) => b.messages.length)).toEqual(Array(10).fill(100));
    expect(valuesByKey(sent)).toEqual(writtenByKey(rows));
  });

  it('wakes for rows written while it is idle when nudged', async () => {
    const sent: SentBatch[] = [];
    const relay = await start(relayOn(fakeKafka('a', sent), { pollIntervalMs: 3_600_000 }));
    await until('every lane to be claimed', () => relay.ownedLanes().length === 16);
    await new Promise((r) => setTimeout(r, 50));
    database.add('case-late');
    relay.nudge();
    await until('the late row to be sent', () => database.pending() === 0);
    expect(sent.flatMap((b) => b.messages.map((m) => m.key))).toEqual(['case-late']);
  });

  it('caps a send at the byte limit and leaves the rest of each lane for the next pass', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => database.add(`case-${i % 5}`));
    const sent: SentBatch[] = [];
    const oneRow = rows[0].value.length + rows[0].headers.length;
    await start(relayOn(fakeKafka('a', sent), { maxBatchBytes: oneRow * 10 }));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(sent.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...sent.map((b) => b.messages.length))).toBeLessThanOrEqual(10);
    expect(valuesByKey(sent)).toEqual(writtenByKey(rows));
  });

  it('keeps its lanes when Kafka refuses a batch and sends the same rows again', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => database.add(`case-${i % 4}`));
    const sent: SentBatch[] = [];
    const control = { failNext: 2 };
    const relay = await start(relayOn(fakeKafka('a', sent, control)));
    await until('two refused sends', () => control.failNext === 0);
    expect(relay.ownedLanes()).toHaveLength(16);
    expect(database.pending()).toBe(20);
    await until('the outbox to drain', () => database.pending() === 0);
    expect(relay.ownedLanes()).toHaveLength(16);
    expect(valuesByKey(sent)).toEqual(writtenByKey(rows));
  });

  it('sends a batch Kafka refused again before anything after it, and records each batch only once Kafka took it', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => database.add(`case-${i % 7}`));
    const sent: SentBatch[] = [];
    const recordedDuringSend: number[] = [];
    const control = {
      failNext: 0,
      failCalls: [2],
      duringSend: () => recordedDuringSend.push(database.rows.filter((r) => r.sent_at !== null).length),
    };
    await start(relayOn(fakeKafka('a', sent, control), { batchSize: 10 }));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(sent.map((b) => b.messages.length)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(sent.flatMap((b) => b.messages.map((m) => m.value))).toEqual(rows.map((r) => r.value.toString()));
    // Sends 1, 2 (refused), 2 again, 3, …: while a batch is being sent, every batch before it is recorded, none after.
    expect(recordedDuringSend).toEqual([0, 10, 10, 20, 30, 40, 50]);
  });

  it('starts a new producer when the broker no longer accepts its sequence numbers, and sends the rows again with it', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => database.add(`case-${i % 4}`));
    const sent: SentBatch[] = [];
    const { kafka, producers } = partitionedKafka(sent, (call) =>
      call === 1 ? { throw: 'The broker received an out of order sequence number', type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' } : 'ok',
    );
    const relay = await start(relayOn(kafka));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(producers()).toBe(2);
    expect(relay.producersRenewed).toBe(1);
    expect(sent.map((b) => b.relay)).toEqual(['producer-2']);
    expect(valuesByKey(sent)).toEqual(writtenByKey(rows));
  });

  it('starts a new producer after a send that left a partition without an answer', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => database.add(`case-${i % 6}`));
    const sent: SentBatch[] = [];
    const { kafka, producers } = partitionedKafka(sent, (call) => (call === 1 ? 'partial' : 'ok'));
    await start(relayOn(kafka));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(producers()).toBe(2);
    expect(sent.map((b) => b.relay)).toEqual(['producer-2']);
    expect(valuesByKey(sent)).toEqual(writtenByKey(rows));
  });

  it('keeps its producer when Kafka refuses a batch for another reason (a broker down)', async () => {
    database.add('case-1');
    const sent: SentBatch[] = [];
    const { kafka, producers } = partitionedKafka(sent, (call) => (call <= 2 ? { throw: 'Connection error: connect ECONNREFUSED' } : 'ok'));
    const relay = await start(relayOn(kafka));
    await until('the outbox to drain', () => database.pending() === 0);
    expect(producers()).toBe(1);
    expect(relay.producersRenewed).toBe(0);
  });

  it('two relays split the lanes; every row is sent once, each case in order, while rows keep arriving', async () => {
    const sent: SentBatch[] = [];
    const a = await start(relayOn(fakeKafka('a', sent), { maxLanes: 8, batchSize: 50 }));
    const b = await start(relayOn(fakeKafka('b', sent), { maxLanes: 8, batchSize: 50 }));
    await until('the lanes to be split', () => a.ownedLanes().length + b.ownedLanes().length === 16);
    expect(a.ownedLanes().filter((l) => b.ownedLanes().includes(l))).toEqual([]);
    for (let wave = 0; wave < 5; wave++) {
      for (let i = 0; i < 200; i++) database.add(`case-${i % 90}`, i % 2 ? 'inbox' : 'local');
      await new Promise((r) => setTimeout(r, 2));
    }
    await until('the outbox to drain', () => database.pending() === 0);
    const messages = sent.flatMap((batch) => batch.messages.map((m) => ({ ...m, relay: batch.relay })));
    expect(messages).toHaveLength(1000);
    expect(new Set(messages.map((m) => m.value)).size).toBe(1000);
    for (const m of messages) expect((m.relay === 'a' ? a : b).ownedLanes()).toContain(laneOf(m.key));
    expect(valuesByKey(sent)).toEqual(writtenByKey(database.rows));
    expect(a.published + b.published).toBe(1000);
  });

  it('purges sent rows past retention faster than it sends: a purge that was full runs again on the next pass', async () => {
    const longAgo = Date.now() - 3 * 3_600_000;
    for (let i = 0; i < 3000; i++) database.add(`old-${i % 50}`, 'inbox', longAgo);
    const recent = Array.from({ length: 30 }, (_, i) => database.add(`new-${i}`));
    const sent: SentBatch[] = [];
    // Chunks of 2 × 100 rows and an interval of an hour: 3000 rows go only if a full purge repeats at once.
    const relay = await start(relayOn(fakeKafka('a', sent), { batchSize: 100, retentionHours: 1, purgeIntervalMs: 3_600_000, pollIntervalMs: 5 }));
    await until('the old rows to be purged', () => relay.purged === 3000);
    await until('the new rows to be sent', () => database.pending() === 0);
    // What was sent just now is kept for its retention.
    expect(database.rows.map((r) => r.id).sort((x, y) => x - y)).toEqual(recent.map((r) => r.id));
  });

  it('purges a backlog of sent rows without waiting between chunks while it has nothing to send', async () => {
    const longAgo = Date.now() - 3 * 3_600_000;
    for (let i = 0; i < 3000; i++) database.add(`old-${i % 50}`, 'inbox', longAgo);
    // Chunks of 2 × 100 rows, nothing to send, idle waits of an hour: 15 chunks go only if a purge that is behind never waits.
    const relay = await start(relayOn(fakeKafka('a', []), { batchSize: 100, retentionHours: 1, purgeIntervalMs: 3_600_000, pollIntervalMs: 3_600_000 }));
    await until('the old rows to be purged', () => relay.purged === 3000);
    expect(database.rows).toEqual([]);
  });

  it('waits at most the poll interval once idle: a row written later, without a nudge, is sent within it', async () => {
    const sent: SentBatch[] = [];
    const relay = await start(relayOn(fakeKafka('a', sent), { pollIntervalMs: 40 }));
    await until('every lane to be claimed', () => relay.ownedLanes().length === 16);
    await new Promise((r) => setTimeout(r, 300)); // long enough for the idle wait to reach its ceiling
    database.add('case-late');
    const written = Date.now();
    await until('the late row to be sent', () => database.pending() === 0);
    expect(Date.now() - written).toBeLessThan(40 + 200);
    expect(sent.flatMap((b) => b.messages.map((m) => m.key))).toEqual(['case-late']);
  });

  it('does not spin when it holds no lane', async () => {
    const sent: SentBatch[] = [];
    // Another relay holds every lane: this one finds nothing to send or purge, and must still let timers run.
    const holder = await start(relayOn(fakeKafka('holder', sent), { pollIntervalMs: 20 }));
    await until('every lane to be claimed', () => holder.ownedLanes().length === 16);
    const idle = await start(relayOn(fakeKafka('idle', sent), { pollIntervalMs: 20 }));
    const ticks = await new Promise<number>((resolve) => {
      let n = 0;
      const timer = setInterval(() => n++, 5);
      setTimeout(() => {
        clearInterval(timer);
        resolve(n);
      }, 200);
    });
    expect(idle.ownedLanes()).toEqual([]);
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('takeBatch', () => {
  const row = (bytes: number) => ({ value: Buffer.alloc(bytes), headers: '' });
  it('takes the oldest rows that fit, and at least one', () => {
    expect(takeBatch([row(40), row(40), row(40)], 100)).toHaveLength(2);
    expect(takeBatch([row(500), row(1)], 100)).toHaveLength(1);
    expect(takeBatch([row(10), row(10)], 100)).toHaveLength(2);
  });
});

describe('topicMessagesOf', () => {
  it('groups by topic and keeps the row order within each topic', () => {
    const row = (id: number, topic: string, key: string) => ({
      id: String(id),
      lane: 0,
      event_id: `e${id}`,
      topic,
      message_key: key,
      value: Buffer.from(String(id)),
      headers: '{}',
    });
    const grouped = topicMessagesOf([row(1, 'a', 'k1'), row(2, 'b', 'k1'), row(3, 'a', 'k2'), row(4, 'a', 'k1')]);
    expect(grouped.map((t) => [t.topic, t.messages.map((m) => m.value.toString())])).toEqual([
      ['a', ['1', '3', '4']],
      ['b', ['2']],
    ]);
  });
});

describe('idleDelay', () => {
  it('starts at a millisecond and doubles up to the poll interval', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 30].map((n) => idleDelay(n, 50))).toEqual([1, 2, 4, 8, 16, 32, 50, 50, 50]);
  });
});
