import { randomBytes } from 'node:crypto';
import { Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { HEADERS, headerText, MirrorLagReader } from '@tongban/kafka';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { admin, caFile, client, credentials, ensureProvinces, grantMirror, infra, infraAsync, linkAddress, local, Province, SIDE } from './province-stack';

interface Seen {
  key: string;
  value: Buffer;
  headers: IHeaders;
  partition: number;
}

/** Everything that arrives in one topic of one province, in arrival order per partition. */
class Arrivals {
  readonly records: Seen[] = [];
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly group: string,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: this.group });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        this.records.push({ key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers: message.headers ?? {}, partition });
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  ids(): string[] {
    return this.records.map((r) => headerText(r.headers, HEADERS.eventId) ?? '');
  }
}

/** What a receiving node does with arrivals: applies each event id once, in arrival order. */
function applyOnce(records: Seen[]): { appliedPerCase: Map<string, number[]>; doubled: number } {
  const applied = new Set<string>();
  const appliedPerCase = new Map<string, number[]>();
  let doubled = 0;
  for (const r of records) {
    const id = headerText(r.headers, HEADERS.eventId)!;
    if (applied.has(id)) {
      doubled++;
      continue;
    }
    applied.add(id);
    const { seq } = JSON.parse(r.value.toString()) as { seq: number };
    appliedPerCase.set(r.key, [...(appliedPerCase.get(r.key) ?? []), seq]);
  }
  return { appliedPerCase, doubled };
}

describe('MirrorMaker 2 between the provinces', () => {
  const sc = SIDE.sichuan;
  const cq = SIDE.chongqing;
  const ns = `t-${uniqueId()}`;
  const t = {
    toCq: `${ns}.500000.inbox`,
    toCqDlq: `${ns}.500000.inbox.dlq`,
    toCqRetry: `${ns}.500000.inbox.retry.1`,
    toSc: `${ns}.510000.inbox`,
  };
  let started = false;
  let producer: Producer;
  let arrivals: Arrivals;
  const cleanup: Array<() => Promise<unknown>> = [];

  const createTopics = async (p: Province, topics: string[]) => {
    const a = admin(p).admin();
    await a.connect();
    await a.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
    await a.disconnect();
    cleanup.push(async () => {
      const d = admin(p).admin();
      await d.connect();
      await d.deleteTopics({ topics }).catch(() => undefined);
      await d.disconnect();
    });
  };

  let seq = 0;
  const event = (caseId: string, extra: Record<string, string> = {}) => {
    const id = `${ns}-${++seq}`;
    return {
      key: caseId,
      value: JSON.stringify({ seq, id }),
      headers: { [HEADERS.eventId]: id, [HEADERS.sourceRegion]: '510000', [HEADERS.targetRegion]: '500000', ...extra },
    };
  };

  beforeAll(async () => {
    started = ensureProvinces();
    // The inbox exists on both sides (each province's gateway creates its own), with the same partitions.
    await createTopics(sc, [t.toCq, t.toCqDlq, t.toCqRetry, t.toSc]);
    await createTopics(cq, [t.toCq, t.toSc]);
    await grantMirror(ns, sc, cq);
    await grantMirror(ns, cq, sc);
    producer = admin(sc).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    arrivals = await new Arrivals(admin(cq), t.toCq, `${ns}.reader`).start();
  }, 600_000);

  afterAll(async () => {
    await arrivals?.stop();
    await producer?.disconnect();
    for (const c of cleanup) await c();
    if (started && !process.env.TONGBAN_PROVINCES_TEST_KEEP) infra('kafka-down');
  }, 180_000);

  it('carries a record from Sichuan to Chongqing with the same bytes, key, headers and partition', async () => {
    const bytes = randomBytes(64);
    const id = `${ns}-bytes`;
    await producer.send({
      topic: t.toCq,
      messages: [{ key: 'case-bytes', value: bytes, partition: 2, headers: { [HEADERS.eventId]: id, [HEADERS.correlationId]: 'corr-1' } }],
    });
    const seen = await waitFor(
      async () => arrivals.records.find((r) => headerText(r.headers, HEADERS.eventId) === id),
      'the record in Chongqing',
      120_000,
      200,
    );
    expect(seen.key).toBe('case-bytes');
    expect(Buffer.compare(seen.value, bytes)).toBe(0);
    expect(seen.partition).toBe(2);
    expect(headerText(seen.headers, HEADERS.correlationId)).toBe('corr-1');
  }, 150_000);

  it("copies neither dead letters nor retries nor Sichuan's own inbox", async () => {
    await producer.send({ topic: t.toCqDlq, messages: [event('case-dlq')] });
    await producer.send({ topic: t.toCqRetry, messages: [event('case-retry')] });
    await producer.send({ topic: t.toSc, messages: [event('case-sichuan-own')] });
    const marker = event('case-marker');
    await producer.send({ topic: t.toCq, messages: [marker] });
    await waitFor(async () => (arrivals.ids().includes(marker.headers[HEADERS.eventId]) ? true : undefined), 'the marker in Chongqing', 120_000, 200);
    // The mirror lists topics every 2 s; the marker came through a listing that already held the other topics.
    const a = admin(cq).admin();
    await a.connect();
    const topics = await a.listTopics();
    const own = await a.fetchTopicOffsets(t.toSc);
    await a.disconnect();
    expect(topics).not.toContain(t.toCqDlq);
    expect(topics).not.toContain(t.toCqRetry);
    expect(own.map((o) => o.high)).toEqual(['0', '0', '0']);
  }, 150_000);

  it('carries records from Chongqing to Sichuan through the mirror running in Sichuan', async () => {
    const back = await new Arrivals(admin(sc), t.toSc, `${ns}.reader-sc`).start();
    try {
      const cqProducer = admin(cq).producer();
      await cqProducer.connect();
      const e = { ...event('case-back'), headers: { [HEADERS.eventId]: `${ns}-back`, [HEADERS.sourceRegion]: '500000' } };
      await cqProducer.send({ topic: t.toSc, messages: [e] });
      await cqProducer.disconnect();
      await waitFor(async () => (back.ids().includes(`${ns}-back`) ? true : undefined), 'the record in Sichuan', 120_000, 200);
    } finally {
      await back.stop();
    }
  }, 150_000);

  // Sequence numbers sent per case, in send order.
  const sentSeqs = new Map<string, number[]>();
  /** Sends `count` events over `cases` cases in batches of 10; returns when the first batch was acknowledged. */
  const sendFlow = async (count: number, cases: number, everyMs: number, sent: string[]): Promise<number> => {
    let firstAcked = 0;
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) => event(`case-${(i + j) % cases}`));
      await producer.send({ topic: t.toCq, messages: batch });
      sent.push(...batch.map((m) => m.headers[HEADERS.eventId]));
      for (const m of batch) sentSeqs.set(m.key, [...(sentSeqs.get(m.key) ?? []), (JSON.parse(m.value) as { seq: number }).seq]);
      firstAcked ||= Date.now();
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return firstAcked;
  };

  const report = (name: string, sent: string[], from: number) => {
    const records = arrivals.records.slice(from).filter((r) => sent.includes(headerText(r.headers, HEADERS.eventId)!));
    const distinct = new Set(records.map((r) => headerText(r.headers, HEADERS.eventId)));
    const { appliedPerCase, doubled } = applyOnce(records);
    const lost = sent.filter((id) => !distinct.has(id)).length;
    console.log(
      `${name}: sent ${sent.length}, arrived ${records.length}, arrived at least once ${distinct.size}, lost ${lost}, copies dropped by event id ${doubled}, applied ${[...appliedPerCase.values()].reduce((s, v) => s + v.length, 0)}`,
    );
    return { records, distinct, appliedPerCase, doubled, lost };
  };

  it('loses nothing when the mirror is killed with kill -9 and restarted while records flow; applied once per event id, in order per case', async () => {
    const from = arrivals.records.length;
    const sent: string[] = [];
    const flow = sendFlow(1200, 20, 150, sent);
    await waitFor(async () => (sent.length >= 300 ? true : undefined), '300 records sent', 60_000);
    await infraAsync('mirror-kill', '500000');
    const killedAt = sent.length;
    await waitFor(async () => (sent.length >= killedAt + 100 ? true : undefined), '100 more records sent while the mirror is down', 60_000);
    await infraAsync('mirror-start', '500000');
    await flow;
    await waitFor(
      async () => {
        const ids = new Set(arrivals.ids());
        return sent.every((id) => ids.has(id)) ? true : undefined;
      },
      'every record in Chongqing',
      240_000,
      500,
    );
    const { lost, appliedPerCase } = report('kill -9', sent, from);
    expect(lost).toBe(0);
    // Per case, every sent event is applied exactly once, in the order it was sent.
    expect(appliedPerCase.size).toBe(20);
    for (const [caseId, seqs] of appliedPerCase) {
      expect(seqs).toEqual(sentSeqs.get(caseId));
    }
  }, 540_000);

  it('keeps records in Sichuan while the link is down, reports the lag, and drains them in order when it returns', async () => {
    const reader = new MirrorLagReader({
      source: client(linkAddress(sc), 'lag-source', credentials(sc, 'mirror-500000'), { enabled: true, caFile: caFile(sc) }),
      target: client(local(cq), 'lag-target', credentials(cq, 'mirror-500000'), { enabled: false }),
      sourceAlias: sc.alias,
      targetAlias: cq.alias,
      topics: new RegExp(`^${ns}\\.500000\\.inbox$`),
    });
    await reader.start();
    try {
      await infraAsync('mirror-stop', '500000');
      const from = arrivals.records.length;
      const sent: string[] = [];
      const firstSentAt = Date.now();
      const firstAckedAt = await sendFlow(300, 10, 20, sent);
      await waitFor(async () => ((await reader.read()).messages === sent.length ? true : undefined), 'the lag to count every waiting record', 60_000, 1000);
      const before = Date.now();
      const lag = await reader.read();
      const after = Date.now();
      // The oldest waiting record is the first one sent after the link went down (timestamps are whole ms).
      expect(lag.messages).toBe(sent.length);
      expect(lag.oldestAgeMs).toBeGreaterThanOrEqual(before - firstAckedAt - 1);
      expect(lag.oldestAgeMs).toBeLessThanOrEqual(after - firstSentAt + 1);
      console.log(`link down: ${lag.messages} records waiting in Sichuan, oldest ${lag.oldestAgeMs} ms`);
      expect(arrivals.records.length).toBe(from);
      await infraAsync('mirror-start', '500000');
      await waitFor(
        async () => {
          const ids = new Set(arrivals.ids());
          return sent.every((id) => ids.has(id)) ? true : undefined;
        },
        'the backlog in Chongqing',
        240_000,
        500,
      );
      const { lost, appliedPerCase, doubled } = report('link down', sent, from);
      expect(lost).toBe(0);
      expect(doubled).toBe(0);
      for (const [caseId, seqs] of appliedPerCase) expect(seqs).toEqual(sentSeqs.get(caseId)!.filter((n) => seqs.includes(n)));
      expect([...appliedPerCase.values()].reduce((n, v) => n + v.length, 0)).toBe(sent.length);
      const drained = await waitFor(
        async () => {
          const l = await reader.read();
          return l.messages === 0 ? l : undefined;
        },
        'the lag to go back to 0',
        60_000,
        1000,
      );
      expect(drained.oldestAgeMs).toBe(0);
    } finally {
      await reader.stop();
      await infraAsync('mirror-start', '500000').catch(() => undefined);
    }
  }, 540_000);
});
