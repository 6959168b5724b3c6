import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '@tongban/config';
import { checkCharacter } from '@tongban/regions';
import { dropDatabase } from '@tongban/persistence';
import { kafkaSecurityOptions, resolveKafkaCredentials } from '@tongban/kafka';
import { RunningService, startStack } from '../stack/stack';

/**
 * Publishes N events through the whole path (HTTP → outbox → relay → Kafka → region node stored)
 * and, on the same broker, N messages of the same size through bare kafkajs (produce → consume),
 * then prints both rates, latencies, memory and their ratio.
 */
interface Options {
  events: number;
  concurrency: number;
  warmup: number;
}

function parseArgs(): Options {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    const raw = i >= 0 ? process.argv[i + 1] : process.env[`TONGBAN_BENCH_${name.toUpperCase()}`];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, got "${raw}"`);
    return n;
  };
  return { events: arg('events', 20000), concurrency: arg('concurrency', 64), warmup: arg('warmup', 200) };
}

const MYSQL = { host: process.env.TONGBAN_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.TONGBAN_MYSQL_PORT ?? 3306), user: 'root', password: '' };
const BROKERS = (process.env.TONGBAN_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** A valid resident ID number for the n-th fictional person: Dazu, born on a day after 1930-01-01. */
function fictionalIdNumber(n: number): string {
  const birth = new Date(Date.UTC(1930, 0, 1) + (n % 25000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `500111${birth}${String(Math.floor(n / 25000) * 2 + 100).padStart(3, '0').slice(-3)}`;
  return first17 + checkCharacter(first17);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function progress(label: string, done: number, total: number, started: number): void {
  const secs = (Date.now() - started) / 1000;
  process.stdout.write(`\r  ${label}: ${done}/${total} (${(done / Math.max(secs, 0.001)).toFixed(0)}/s, ${secs.toFixed(1)} s)   `);
}

async function fullPath(o: Options, gatewayUrl: string, nodeDb: string) {
  const template = JSON.parse(readFileSync(join(repoRoot(), 'contracts/examples/SubsidyApplicationSubmitted.json'), 'utf8'));
  const sentAt = new Map<string, number>();
  const runTag = randomUUID().slice(0, 8);
  const post = async (i: number, record: boolean) => {
    // A different (fictional, valid) person per event: one person's many applications would all be
    // duplicates of the first, which measures the duplicate rule rather than the pipeline.
    const idNumber = fictionalIdNumber(record ? i : 1_000_000 + i);
    const body = {
      ...template,
      caseId: `BENCH-510104-${runTag}-${record ? 'm' : 'w'}-${i}`, // the second part names the opener (Jinjiang)
      payload: { ...template.payload, applicant: { ...template.payload.applicant, idNumber }, certificateNumber: `${idNumber}41` },
    };
    const t0 = Date.now();
    const res = await fetch(`${gatewayUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev-chengdu' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { eventId?: string };
    if (res.status !== 202 || !answer.eventId) throw new Error(`gateway answered ${res.status}: ${JSON.stringify(answer)}`);
    if (record) sentAt.set(answer.eventId, t0);
  };
  const run = async (count: number, record: boolean) => {
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < count) {
          const i = next++;
          await post(i, record);
          if (record && i % 500 === 0) progress('accepted', sentAt.size, count, started);
        }
      }),
    );
  };
  const conn = await createConnection({ ...MYSQL, database: nodeDb });
  const storedCount = async () => {
    const [rows] = await conn.query("SELECT COUNT(*) AS n FROM case_events WHERE case_id LIKE ? AND event_type = 'SubsidyApplicationSubmitted'", [`BENCH-510104-${runTag}-m-%`]);
    return Number((rows as Array<{ n: number }>)[0].n);
  };
  console.log(`  warm-up: ${o.warmup} events`);
  await run(o.warmup, false);
  const started = Date.now();
  const sending = run(o.events, true);
  let stored = 0;
  let sendDone = false;
  sending.then(() => (sendDone = true));
  while (stored < o.events) {
    await new Promise((r) => setTimeout(r, 500));
    stored = await storedCount();
    process.stdout.write(`\r  full path: accepted ${sentAt.size}/${o.events}, stored at the node ${stored}/${o.events} (${((stored * 1000) / (Date.now() - started)).toFixed(0)}/s)   `);
    if (sendDone && Date.now() - started > 600_000) throw new Error('events did not all arrive within 10 minutes');
  }
  await sending;
  const [rows] = await conn.query(
    "SELECT event_id, UNIX_TIMESTAMP(received_at) * 1000 AS at FROM case_events WHERE case_id LIKE ? AND event_type = 'SubsidyApplicationSubmitted'",
    [`BENCH-510104-${runTag}-m-%`],
  );
  await conn.end();
  const latencies: number[] = [];
  let last = 0;
  for (const r of rows as Array<{ event_id: string; at: string }>) {
    const sent = sentAt.get(r.event_id);
    const at = Number(r.at);
    last = Math.max(last, at);
    if (sent !== undefined) latencies.push(at - sent);
  }
  latencies.sort((a, b) => a - b);
  process.stdout.write('\n');
  return { rate: (o.events * 1000) / (last - started), p50: percentile(latencies, 50), p99: percentile(latencies, 99), seconds: (last - started) / 1000 };
}

async function rawKafka(o: Options, messageSize: number) {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: BROKERS, ...kafkaSecurityOptions(resolveKafkaCredentials(BROKERS)), logLevel: logLevel.NOTHING });
  const topic = `bench-raw-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const latencies: number[] = [];
  let received = 0;
  let lastAt = 0;
  const payload = Buffer.alloc(Math.max(messageSize - 8, 0), 7);
  const done = new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        const now = Date.now();
        latencies.push(now - Number(message.value!.readBigUInt64BE(0)));
        received++;
        lastAt = now;
        if (received === o.events) resolve();
      },
    });
  });
  await new Promise((r) => setTimeout(r, 1500));
  const started = Date.now();
  // The same concurrency as the HTTP clients: each "client" sends one message and waits for acks=all.
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.events) {
        const i = next++;
        const value = Buffer.concat([Buffer.alloc(8), payload]);
        value.writeBigUInt64BE(BigInt(Date.now()), 0);
        await producer.send({ topic, acks: -1, messages: [{ key: `case-${i}`, value }] });
        if (i % 1000 === 0) progress('raw kafkajs', received, o.events, started);
      }
    }),
  );
  await done;
  process.stdout.write('\n');
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  latencies.sort((a, b) => a - b);
  return { rate: (o.events * 1000) / (lastAt - started), p50: percentile(latencies, 50), p99: percentile(latencies, 99), seconds: (lastAt - started) / 1000 };
}

async function messageSizeOf(gatewayDb: string): Promise<number> {
  const conn = await createConnection({ ...MYSQL, database: gatewayDb });
  try {
    const [rows] = await conn.query('SELECT AVG(LENGTH(value)) AS size FROM outbox_events');
    return Math.round(Number((rows as Array<{ size: string }>)[0].size));
  } finally {
    await conn.end();
  }
}

async function main(): Promise<void> {
  const o = parseArgs();
  const id = Date.now().toString(36);
  const prefix = `tbbench_${id}`;
  console.log(`tongban benchmark: ${o.events} events, ${o.concurrency} concurrent clients, broker ${BROKERS.join(',')}`);
  const stack = await startStack(
    {
      namespace: `bench-${id}`,
      databasePrefix: prefix,
      gatewayPort: 3900,
      registryPort: 3981,
      nodePorts: { '510000': 3911, '500000': 3912 },
      relayPort: 3930,
      opsPort: 3931,
      deliveryPort: 3932,
      // The benchmark measures the path, not the per-key limit: one key sends every event.
      extraEnv: { TONGBAN_LOG_LEVEL: 'warn', TONGBAN_RATE_LIMIT_PER_SECOND: '0' },
    },
    (line) => console.log(`  ${line}`),
  );
  const byName = (name: string): RunningService | undefined => stack.services.find((s) => s.spec.name === name);
  try {
    const full = await fullPath(o, 'http://127.0.0.1:3900', `${prefix}_node_500000`);
    const size = await messageSizeOf(`${prefix}_gateway`);
    const memory = ['gateway', 'relay', 'region-node-500000', 'region-node-510000', 'schema-registry'].map(
      (name) => [name, rssOf(byName(name)?.child.pid)] as const,
    );
    const raw = await rawKafka(o, size);
    const row = (name: string, r: { rate: number; p50: number; p99: number; seconds: number }) =>
      `  ${name.padEnd(34)} ${r.rate.toFixed(0).padStart(8)} ev/s   p50 ${r.p50.toFixed(0).padStart(5)} ms   p99 ${r.p99.toFixed(0).padStart(5)} ms   (${r.seconds.toFixed(1)} s)`;
    console.log(`\nResults (${o.events} events of ${size} bytes Avro, concurrency ${o.concurrency}):`);
    console.log(row('tongban HTTP → outbox → node', full));
    console.log(row('raw kafkajs produce → consume', raw));
    console.log(`  ratio tongban / raw kafkajs: ${(full.rate / raw.rate).toFixed(3)}`);
    console.log('  peak memory (VmHWM): ' + memory.map(([n, mb]) => `${n} ${mb.toFixed(0)} MiB`).join(', '));
  } finally {
    await stack.stop();
    const kafka = new Kafka({ clientId: 'bench-cleanup', brokers: BROKERS, ...kafkaSecurityOptions(resolveKafkaCredentials(BROKERS)), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`bench-${id}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    for (const db of ['gateway', 'node_510000', 'node_500000', 'registry', 'ops', 'delivery']) await dropDatabase(MYSQL, `${prefix}_${db}`);
  }
}

main().catch((e) => {
  console.error(`\nbenchmark failed: ${(e as Error).message}`);
  process.exit(1);
});
