import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createConnection, RowDataPacket } from 'mysql2/promise';
import { Admin, CompressionTypes, IHeaders, Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '@tongban/config';
import { checkCharacter } from '@tongban/regions';
import { dropDatabase } from '@tongban/persistence';
import { kafkaSecurityOptions, resolveKafkaCredentials } from '@tongban/kafka';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { RunningService, startStack } from '../stack/stack';
import { CpuSummary, readProfiles, summarise } from './cpu-profile';
import { HttpPoster } from './http-poster';
import { dropProvinceDatabaseUser, ProvinceLayout, twoProvinces } from '../stack/provinces';
import { dropProvinceRedisUser, provinceRedisUser } from '../stack/redis-users';
import { infrastructurePids, startUsageWindow, UsageReport } from './resource-usage';

/**
 * The whole path against raw kafkajs on the same broker, in one run:
 *  (a) baseline: bare kafkajs produce → consume of records like the real ones (size, headers, keys),
 *      idempotent producer, acks=all, hundreds of records per send, a few sends in flight, consumed
 *      with eachBatch, while the stack is stopped;
 *  (b) the full path in a closed loop: C concurrent HTTP clients post N events, until the outboxes are
 *      empty and every consumer group of the inbox and local topics has caught up; then the same N events
 *      through the batch endpoint (uploads of B events, U uploads at once), measured the same way;
 *  (c) an open loop at half the rate of (b) for a fixed time: the HTTP answer and accept → stored at
 *      the target node (the gateway's accepted_at against the node's received_at, read back per event);
 *  (d) peak memory per service (VmHWM) and the rows written per event in the stack's databases.
 * The stack is its own (ports, databases, topic namespace, keys): the caller's TONGBAN_* settings other
 * than where the infrastructure is do not reach it.
 */
interface Options {
  events: number;
  concurrency: number;
  warmup: number;
  openSeconds: number;
  rawRecords: number;
  rawBatch: number;
  rawInFlight: number;
  portBase: number;
  brokers: string[];
  /** Which paths to measure: one cluster (both nodes on it), two provinces linked by MirrorMaker 2, or both. */
  paths: Array<'one' | 'two'>;
  /**
   * The services' logging for each path: `quiet` (warnings and errors only, the tuned bench stack) and/or `start`
   * (what `npm start` runs with: the services' default level, info, an access line per request, into the same log
   * files). With both, each path is measured twice, quiet first.
   */
  logging: Logging[];
  /** Events per upload of `POST /v1/events:batch` in the batch closed loop. */
  batchSize: number;
  /** Uploads at once (the gateway works on 4 at a time by default; more wait for a 503 and go again). */
  batchClients: number;
  /** Run the stack's services under `node --cpu-prof` and print where each one spent its time. */
  cpuProfile: boolean;
  /** Options for node given to every service (`--node-args "--max-semi-space-size=8"`), to compare V8 settings. */
  nodeArgs: string[];
  /** How many functions of each service's profile to print (by self time). */
  cpuTop: number;
  json: boolean;
}

function parseArgs(argv = process.argv.slice(2), env = process.env): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : env[`TONGBAN_BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  };
  const int = (name: string, fallback: number) => {
    const raw = value(name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, got "${raw}"`);
    return n;
  };
  // The broker (cluster) of both measurements: the stack's services and the raw client use the same.
  const brokers = (value('brokers') ?? env.TONGBAN_KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return {
    events: int('events', 5000),
    concurrency: int('concurrency', 64),
    warmup: int('warmup', 200),
    openSeconds: Math.max(10, int('open-seconds', 15)),
    rawRecords: int('raw-records', 100_000),
    rawBatch: int('raw-batch', 500),
    rawInFlight: int('raw-in-flight', 4),
    portBase: int('port-base', 3900),
    brokers,
    paths: parsePaths(value('paths') ?? 'one,two'),
    logging: parseLogging(value('logging') ?? 'quiet'),
    batchSize: Math.min(500, int('batch-size', 100)),
    batchClients: int('batch-clients', 4),
    cpuProfile: argv.includes('--cpu-profile'),
    nodeArgs: (value('node-args') ?? '').split(/\s+/).filter(Boolean),
    cpuTop: int('cpu-top', 8),
    json: argv.includes('--json'),
  };
}

function parsePaths(raw: string): Options['paths'] {
  const paths = raw.split(',').map((p) => p.trim());
  if (paths.length === 0 || paths.some((p) => p !== 'one' && p !== 'two')) throw new Error(`--paths must be one, two or one,two; got "${raw}"`);
  return [...new Set(paths)] as Options['paths'];
}

type Logging = 'quiet' | 'start';

function parseLogging(raw: string): Logging[] {
  const modes = raw === 'both' ? ['quiet', 'start'] : raw.split(',').map((m) => m.trim());
  if (modes.length === 0 || modes.some((m) => m !== 'quiet' && m !== 'start')) {
    throw new Error(`--logging must be quiet (warnings only), start (npm start's level, info) or both; got "${raw}"`);
  }
  return [...new Set(modes)] as Logging[];
}

const o = parseArgs();
const LOGGING: Record<Logging, string> = {
  quiet: 'services log warnings only',
  start: 'services log as npm start runs them (info: an access line per request)',
};
const MYSQL = { host: process.env.TONGBAN_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.TONGBAN_MYSQL_PORT ?? 3306), user: 'root', password: '' };
/** Progress and the table go to stdout, or to stderr with --json (stdout then carries the JSON object only). */
const out = (text: string) => (o.json ? process.stderr : process.stdout).write(text);
const log = (line: string) => out(`${line}\n`);

interface Latency {
  p50: number;
  p99: number;
  samples: number;
}

/** A valid resident ID number for the n-th fictional person: Dazu, born on a day after 1930-01-01. */
function fictionalIdNumber(n: number): string {
  const birth = new Date(Date.UTC(1930, 0, 1) + (n % 25000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `500111${birth}${String(Math.floor(n / 25000) * 2 + 100)
    .padStart(3, '0')
    .slice(-3)}`;
  return first17 + checkCharacter(first17);
}

function latency(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
  return { p50: at(50), p99: at(99), samples: sorted.length };
}

function peakRssMiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kafkaFor(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, ...kafkaSecurityOptions(resolveKafkaCredentials(brokers)), logLevel: logLevel.NOTHING });
}

/** The running stack: where to post, which databases and topics are its own. */
interface Target {
  gatewayUrl: string;
  namespace: string;
  /** One admin per cluster the stack runs on. */
  admins: Admin[];
  databases: {
    /** The publishing gateway's (Sichuan's with two provinces). */
    gateway: string;
    /** The Chongqing node's, where the events are stored. */
    target: string;
    /** The databases with an outbox (gateway and nodes). */
    outboxes: string[];
    all: string[];
  };
}

const SERVICE_DATABASES = ['gateway', 'node_510000', 'node_500000', 'registry', 'ops', 'delivery'];

function databasesOf(prefix: string, provinces?: ProvinceLayout[]): Target['databases'] {
  if (!provinces) {
    const db = (d: string) => `${prefix}_${d}`;
    return { gateway: db('gateway'), target: db('node_500000'), outboxes: ['gateway', 'node_510000', 'node_500000'].map(db), all: SERVICE_DATABASES.map(db) };
  }
  const [sc, cq] = provinces.map((p) => `${prefix}_${p.tag}`);
  const perProvince = (p: string, node: string) => ['gateway', `node_${node}`, 'registry', 'ops', 'delivery'].map((d) => `${p}_${d}`);
  return {
    gateway: `${sc}_gateway`,
    target: `${cq}_node_500000`,
    outboxes: [`${sc}_gateway`, `${sc}_node_510000`, `${cq}_gateway`, `${cq}_node_500000`],
    all: [...perProvince(sc, '510000'), ...perProvince(cq, '500000')],
  };
}

/** Statements the bench itself has sent (so the database's counters can leave them out). */
let ownStatements = 0;

async function query<T extends RowDataPacket>(database: string | undefined, sql: string, params: unknown[] = []): Promise<T[]> {
  ownStatements += 1;
  const conn = await createConnection({ ...MYSQL, ...(database ? { database } : {}), supportBigNumbers: true, bigNumberStrings: true });
  try {
    const [rows] = await conn.query<T[]>(sql, params);
    return rows;
  } finally {
    await conn.end();
  }
}

/** Exact row counts of every table of the stack's databases. */
async function countRows(prefix: string, databases: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const database of databases) {
    const tables = await query<RowDataPacket>(
      undefined,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'",
      [database],
    );
    for (const { t } of tables) {
      const [row] = await query<RowDataPacket>(database, `SELECT COUNT(*) AS n FROM \`${t}\``);
      counts.set(`${database.slice(prefix.length + 1)}.${t}`, Number(row.n));
    }
  }
  return counts;
}

/**
 * What is still on its way: unsent outbox rows in the stack's databases, plus the lag of every consumer
 * group of the stack on the inbox and local topics (the topics the gateway's events go to, and the
 * nodes' reactions).
 */
async function backlog(t: Target): Promise<{ outbox: number; lag: number }> {
  let outbox = 0;
  for (const db of t.databases.outboxes) {
    const [row] = await query<RowDataPacket>(db, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL');
    outbox += Number(row.n);
  }
  let lag = 0;
  // With two provinces, each cluster's groups read their own copies; a record not mirrored yet shows as the
  // target group's lag once the mirror has copied it, and as unsent nowhere before: the stored counts close that gap.
  for (const admin of t.admins) {
    const topics = (await admin.listTopics()).filter((n) => n.startsWith(`${t.namespace}.`) && (n.endsWith('.inbox') || n.endsWith('.local')));
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${t.namespace}.`));
    for (const topic of topics) {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
      for (const groupId of groups) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        // A group with no offset on any partition of the topic does not read it.
        if (committed.partitions.every((p) => Number(p.offset) < 0)) continue;
        for (const p of committed.partitions) lag += Math.max(0, (ends.get(p.partition) ?? 0) - Math.max(0, Number(p.offset)));
      }
    }
  }
  return { outbox, lag };
}

/** Waits until nothing is on its way; resolves to when that was first seen. */
async function caughtUp(t: Target, label: string, started: number, timeoutMs = 900_000): Promise<number> {
  let shown = 0;
  for (;;) {
    const b = await backlog(t);
    const now = Date.now();
    if (b.outbox === 0 && b.lag === 0 && (await storedAtTarget(t)) >= posted) {
      out(`\r  ${label}: caught up after ${((now - started) / 1000).toFixed(1)} s                              \n`);
      return now;
    }
    if (now - shown >= 2000) {
      shown = now;
      out(`\r  ${label}: ${b.outbox} outbox rows unsent, consumer lag ${b.lag} (${((now - started) / 1000).toFixed(1)} s)     `);
    }
    if (now - started > timeoutMs) throw new Error(`${label}: not caught up after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Events accepted by the gateway so far in this path's run (every one must reach the Chongqing node). */
let posted = 0;

async function storedAtTarget(t: Target): Promise<number> {
  const [row] = await query<RowDataPacket>(
    t.databases.target,
    "SELECT COUNT(*) AS n FROM case_events WHERE case_id LIKE 'BENCH-%' AND event_type = 'SubsidyApplicationSubmitted'",
  );
  return Number(row.n);
}

/**
 * The example application for another person and case, made now: with the example's own date its acknowledgement
 * deadline would be past on arrival, and every case would add a breach and its notices to the work measured.
 */
function application(
  template: { payload: { applicant: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>,
  caseId: string,
  idNumber: string,
) {
  return {
    ...template,
    caseId,
    occurredAt: new Date().toISOString(),
    payload: { ...template.payload, applicant: { ...template.payload.applicant, idNumber }, certificateNumber: `${idNumber}41` },
  };
}

/** Posts one event of a fresh fictional person; resolves to its event id and the time the answer took. */
function poster(http: HttpPoster) {
  const template = JSON.parse(readFileSync(join(repoRoot(), 'contracts/examples/SubsidyApplicationSubmitted.json'), 'utf8'));
  const runTag = randomUUID().slice(0, 8);
  return async (phase: 'w' | 'c' | 'o', i: number, since = Date.now()): Promise<{ eventId: string; ms: number }> => {
    // A different person per event: one person's many applications would all be duplicates of the first.
    const idNumber = fictionalIdNumber({ c: 0, w: 1_000_000, o: 2_000_000 }[phase] + i);
    const body = application(template, `BENCH-510104-${runTag}-${phase}-${i}`, idNumber); // the second part names the opener (Jinjiang)
    const res = await http.post('/v1/events', body, { authorization: 'Bearer dev-chengdu' });
    const answer = (res.body ?? {}) as { eventId?: string };
    if (res.status !== 202 || !answer.eventId) throw new Error(`gateway answered ${res.status}: ${JSON.stringify(answer)}`);
    posted++;
    return { eventId: answer.eventId, ms: Date.now() - since };
  };
}

/** Uploads `count` events of fresh fictional people in one batch; resolves to their event ids and the time it took. */
function batchPoster(http: HttpPoster) {
  const template = JSON.parse(readFileSync(join(repoRoot(), 'contracts/examples/SubsidyApplicationSubmitted.json'), 'utf8'));
  const runTag = randomUUID().slice(0, 8);
  return async (first: number, count: number): Promise<{ eventIds: string[]; ms: number }> => {
    const since = Date.now();
    const items = Array.from({ length: count }, (_, k) => {
      const idNumber = fictionalIdNumber(3_000_000 + first + k);
      return { ...application(template, `BENCH-510104-${runTag}-b-${first + k}`, idNumber), idempotencyKey: `bench-${runTag}-${first + k}` };
    });
    for (;;) {
      const res = await http.post('/v1/events:batch', items, { authorization: 'Bearer dev-chengdu' });
      // More uploads than the gateway works on at once: it says when to come back (the same keys, nothing doubled).
      if (res.status === 503) {
        await sleep(Math.max(50, Number(res.headers['retry-after'] ?? 1) * 100));
        continue;
      }
      const answer = (res.body ?? {}) as { results?: { status: number; eventId?: string }[] };
      const refused = answer.results?.find((r) => r.status !== 202 || !r.eventId);
      if (res.status !== 207 || !answer.results || refused)
        throw new Error(`batch upload answered ${res.status}: ${JSON.stringify(refused ?? answer).slice(0, 300)}`);
      posted += count;
      return { eventIds: answer.results.map((r) => r.eventId!), ms: Date.now() - since };
    }
  };
}

/** Milliseconds per event from one timestamp to another, across the stack's databases (one clock: the server's). */
async function spans(t: Target, eventIds: string[], from: string, to: string, join: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < eventIds.length; i += 5000) {
    const rows = await query<RowDataPacket>(
      undefined,
      `SELECT TIMESTAMPDIFF(MICROSECOND, ${from}, ${to}) / 1000 AS ms FROM \`${t.databases.gateway}\`.${join} WHERE a.event_id IN (?)`,
      [eventIds.slice(i, i + 5000)],
    );
    out.push(...rows.map((r) => Number(r.ms)));
  }
  return out;
}

/** Accept (the gateway's accepted_at) → stored at the Chongqing node (the case event's received_at), read back per event. */
const acceptToStored = (t: Target, ids: string[]) =>
  spans(t, ids, 'a.accepted_at', 'c.received_at', `accepted_events a JOIN \`${t.databases.target}\`.case_events c ON c.event_id = a.event_id`);

/** Accept → the relay's sent_at of the outbox row for the Chongqing inbox: the relay's share of the path. */
const acceptToSent = (t: Target, ids: string[]) =>
  spans(
    t,
    ids,
    'a.accepted_at',
    'b.sent_at',
    `accepted_events a JOIN \`${t.databases.gateway}\`.outbox_events b ON b.event_id = a.event_id AND b.topic LIKE '%.500000.inbox'`,
  );

/** (b) C clients post N events back to back; done when the stack has caught up. */
async function closedLoop(t: Target, post: ReturnType<typeof poster>) {
  const http: number[] = [];
  const ids: string[] = [];
  let next = 0;
  let lastAnswer = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.events) {
        const r = await post('c', next++);
        http.push(r.ms);
        ids.push(r.eventId);
        lastAnswer = Date.now();
        if (ids.length % 500 === 0)
          out(`\r  closed loop: ${ids.length}/${o.events} accepted (${((ids.length * 1000) / (Date.now() - started)).toFixed(0)}/s)   `);
      }
    }),
  );
  out('\n');
  return { concurrency: o.concurrency, http: latency(http), ...(await drained(t, 'closed loop', ids, started, lastAnswer)) };
}

/** A closed loop's end: the rates once the stack has caught up, and the latencies read back per event. */
async function drained(t: Target, label: string, ids: string[], started: number, lastAnswer: number) {
  const seconds = ((await caughtUp(t, label, started)) - started) / 1000;
  return {
    events: o.events,
    acceptedPerSecond: (o.events * 1000) / (lastAnswer - started),
    eventsPerSecond: o.events / seconds,
    seconds,
    acceptToSent: latency(await acceptToSent(t, ids)),
    acceptToStored: latency(await acceptToStored(t, ids)),
  };
}

/** (b, batch) U uploads of B events at a time, N events in all; done when the stack has caught up. */
async function closedLoopBatch(t: Target, upload: ReturnType<typeof batchPoster>) {
  const http: number[] = [];
  const ids: string[] = [];
  let next = 0;
  let lastAnswer = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: o.batchClients }, async () => {
      while (next < o.events) {
        const first = next;
        const count = Math.min(o.batchSize, o.events - first);
        next += count;
        const r = await upload(first, count);
        http.push(r.ms);
        ids.push(...r.eventIds);
        lastAnswer = Date.now();
        out(`\r  batch closed loop: ${ids.length}/${o.events} accepted (${((ids.length * 1000) / (Date.now() - started)).toFixed(0)}/s)   `);
      }
    }),
  );
  out('\n');
  return {
    batchSize: o.batchSize,
    uploadsAtOnce: o.batchClients,
    httpPerUpload: latency(http),
    ...(await drained(t, 'batch closed loop', ids, started, lastAnswer)),
  };
}

/** (c) Requests on a fixed schedule, whatever the answers take; latency counts from the scheduled time. */
async function openLoop(t: Target, post: ReturnType<typeof poster>, rate: number) {
  const total = Math.max(1, Math.round(rate * o.openSeconds));
  const http: number[] = [];
  const ids: string[] = [];
  let failed = 0;
  const inFlight: Array<Promise<void>> = [];
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    inFlight.push(
      post('o', i, due).then(
        (r) => {
          http.push(r.ms);
          ids.push(r.eventId);
        },
        () => void failed++,
      ),
    );
    if (i % 100 === 0) out(`\r  open loop at ${rate.toFixed(0)}/s: ${i}/${total} sent   `);
  }
  await Promise.all(inFlight);
  const sentSeconds = (Date.now() - started) / 1000;
  out('\n');
  await caughtUp(t, 'open loop', started);
  return {
    targetPerSecond: rate,
    seconds: sentSeconds,
    sent: total,
    failed,
    http: latency(http),
    acceptToSent: latency(await acceptToSent(t, ids)),
    acceptToStored: latency(await acceptToStored(t, ids)),
  };
}

interface RecordSample {
  key: string;
  value: Buffer;
  headers: IHeaders;
}

/** Real records the relay sent during the run: their values, headers and keys are what the baseline sends. */
async function realRecords(gatewayDatabase: string): Promise<RecordSample[]> {
  const rows = await query<RowDataPacket>(gatewayDatabase, 'SELECT message_key, value, headers FROM outbox_events ORDER BY id DESC LIMIT 1000');
  return rows.map((r) => ({ key: String(r.message_key), value: r.value as Buffer, headers: JSON.parse(String(r.headers)) as IHeaders }));
}

/** (a) Bare kafkajs on the same broker, as a fair client would use it. */
async function baseline(brokers: string[], id: string, samples: RecordSample[], partitions: number) {
  const kafka = kafkaFor(brokers, 'bench-raw');
  const topic = `bench-${id}.raw`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `bench-${id}.raw`, maxBytes: 10 * 1024 * 1024 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const delays: number[] = [];
  let received = 0;
  let lastAt = 0;
  const total = o.rawRecords;
  const done = new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const now = Date.now();
          for (const m of batch.messages) delays.push(now - Number(m.timestamp));
          received += batch.messages.length;
          resolveOffset(batch.lastOffset());
          await heartbeat();
          lastAt = now;
          if (received >= total) resolve();
        },
      })
      .catch(reject);
  });
  // Let the consumer join its group before the clock starts.
  await sleep(3000);
  const started = Date.now();
  const ticker = setInterval(() => out(`\r  baseline: ${received}/${total} consumed (${((received * 1000) / (Date.now() - started)).toFixed(0)}/s)   `), 1000);
  let sent = 0;
  await Promise.all(
    Array.from({ length: o.rawInFlight }, async () => {
      while (sent < total) {
        const first = sent;
        const n = Math.min(o.rawBatch, total - first);
        sent += n;
        // Keys like the real ones (one case each), values and headers of real records.
        const messages = Array.from({ length: n }, (_, j) => {
          const s = samples[(first + j) % samples.length];
          return { key: `${s.key.slice(0, -8)}${String(first + j).padStart(8, '0')}`, value: s.value, headers: s.headers };
        });
        await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
      }
    }),
  );
  await done.finally(() => clearInterval(ticker));
  out('\n');
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  const seconds = (lastAt - started) / 1000;
  return {
    records: total,
    recordsPerSecond: total / seconds,
    seconds,
    partitions,
    batch: o.rawBatch,
    inFlight: o.rawInFlight,
    produceToConsume: latency(delays),
  };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

/** One path measured end to end: its own stack (one cluster, or both provinces), warm-up, closed and open loop. */
async function measurePath(path: 'one' | 'two', logging: Logging, id: string) {
  const run = logging === 'quiet' ? path : `${path}${logging}`;
  const prefix = `tbbench_${id}_${run}`;
  const namespace = `bench-${id}-${run}`;
  const p = o.portBase + (path === 'two' ? 200 : 0);
  const provinces =
    path === 'two'
      ? twoProvinces(process.env, {
          sichuan: { gateway: p, registry: p + 81, node: p + 11, relay: p + 30, ops: p + 31, delivery: p + 32 },
          chongqing: { gateway: p + 100, registry: p + 181, node: p + 111, relay: p + 130, ops: p + 131, delivery: p + 132 },
        })
      : undefined;
  log(
    path === 'two'
      ? `\nTwo provinces: Sichuan gateway → Sichuan cluster → MirrorMaker 2 → Chongqing cluster → Chongqing node; ${LOGGING[logging]}`
      : `\nOne cluster: gateway → cluster → both nodes; ${LOGGING[logging]}`,
  );
  posted = 0;
  const profileDir = join(tmpdir(), `tongban-bench-profiles-${id}-${path}`);
  if (o.cpuProfile) mkdirSync(profileDir, { recursive: true });
  const stack = await startStack(
    {
      provinces,
      namespace,
      databasePrefix: prefix,
      gatewayPort: p,
      registryPort: p + 81,
      nodePorts: { '510000': p + 11, '500000': p + 12 },
      relayPort: p + 30,
      opsPort: p + 31,
      deliveryPort: p + 32,
      // The benchmark measures the path, not the per-key limit: one key sends every event.
      extraEnv: {
        TONGBAN_LOG_LEVEL: logging === 'quiet' ? 'warn' : 'info',
        TONGBAN_RATE_LIMIT_PER_SECOND: '0',
        ...(provinces ? {} : { TONGBAN_KAFKA_BROKERS: o.brokers.join(',') }),
      },
      // Each service writes its profile when it stops (the whole run: warm-up, closed loops, open loop).
      nodeArgs: o.cpuProfile || o.nodeArgs.length ? [...o.nodeArgs, ...(o.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])] : undefined,
    },
    (line) => log(`  ${line}`),
  );
  const clusters = provinces ? provinces.map((x) => x.brokers) : [o.brokers];
  const admins = clusters.map((brokers, i) => kafkaFor(brokers, `bench-admin-${i}`).admin());
  for (const a of admins) await a.connect();
  const databases = databasesOf(prefix, provinces);
  let stopped = false;
  const http = new HttpPoster(`http://127.0.0.1:${p}`);
  try {
    const t: Target = { gatewayUrl: `http://127.0.0.1:${p}`, namespace, admins, databases };
    const post = poster(http);
    log(`  warm-up: ${o.warmup} events`);
    for (let i = 0; i < o.warmup; i += o.concurrency) {
      await Promise.all(Array.from({ length: Math.min(o.concurrency, o.warmup - i) }, (_, j) => post('w', i + j)));
    }
    await caughtUp(t, 'warm-up', Date.now());
    const rowsBefore = await countRows(prefix, databases.all);
    const endUsage = await startUsageWindow({
      processes: () => [
        ...(stack.services as RunningService[]).filter((s) => s.child.pid).map((s) => ({ name: s.spec.name, pid: s.child.pid as number })),
        ...infrastructurePids(),
        { name: 'bench client', pid: process.pid },
      ],
      status: () => query<RowDataPacket & { Variable_name: string; Value: string }>(undefined, 'SHOW GLOBAL STATUS'),
      ownStatements: () => ownStatements,
      cores: cpus().length,
    });
    const closed = await closedLoop(t, post);
    const usage = perEvent(await endUsage(), o.events);
    const rowsAfter = await countRows(prefix, databases.all);
    const rowsByTable: Record<string, number> = {};
    for (const [table, n] of rowsAfter) if (n !== (rowsBefore.get(table) ?? 0)) rowsByTable[table] = (n - (rowsBefore.get(table) ?? 0)) / o.events;
    const rowsPerEvent = Object.values(rowsByTable).reduce((a, b) => a + b, 0);
    const batch = await closedLoopBatch(t, batchPoster(http));
    const open = await openLoop(t, post, closed.eventsPerSecond / 2);
    const memoryMiB: Record<string, number> = {};
    for (const s of stack.services as RunningService[]) memoryMiB[s.spec.name] = peakRssMiB(s.child.pid);
    const samples = await realRecords(databases.gateway);
    const inbox = (await admins[0].fetchTopicMetadata({ topics: [`${namespace}.500000.inbox`] })).topics[0];
    const pids = new Map((stack.services as RunningService[]).map((s) => [s.child.pid, s.spec.name]));
    await stack.stop();
    stopped = true;
    const cpu: Record<string, CpuSummary> = {};
    if (o.cpuProfile) {
      for (const [pid, profile] of readProfiles(profileDir)) cpu[pids.get(pid) ?? String(pid)] = summarise(profile, o.cpuTop);
      rmSync(profileDir, { recursive: true, force: true });
    }
    return {
      path,
      logging,
      closedLoop: closed,
      batchClosedLoop: batch,
      openLoop: open,
      peakMemoryMiB: memoryMiB,
      rowsPerEvent,
      rowsPerEventByTable: rowsByTable,
      usage,
      cpu,
      samples,
      partitions: inbox.partitions.length,
    };
  } finally {
    http.close();
    if (!stopped) await stack.stop();
    for (const a of admins) {
      const mine = (await a.listTopics().catch(() => [] as string[])).filter((n) => n.startsWith(`${namespace}.`));
      if (mine.length) await a.deleteTopics({ topics: mine }).catch(() => undefined);
      await a.disconnect();
    }
    for (const db of databases.all) await dropDatabase(MYSQL, db);
    if (provinces) for (const x of provinces) await dropProvinceDatabaseUser(`${prefix}_${x.tag}`).catch(() => undefined);
    if (provinces) for (const x of provinces) await dropProvinceRedisUser(provinceRedisUser(namespace, x).username).catch(() => undefined);
  }
}

/** A window's usage per event of the loop it measured. */
function perEvent(u: UsageReport, events: number) {
  const cpuMsPerEvent: Record<string, number> = {};
  for (const [n, sec] of Object.entries(u.cpuSeconds)) cpuMsPerEvent[n] = (sec * 1000) / events;
  const databasePerEvent = Object.fromEntries(Object.entries(u.database).map(([k, v]) => [k, v / events])) as UsageReport['database'];
  return { seconds: u.seconds, machineBusy: u.machineBusy, cores: u.cores, cpuMsPerEvent, databasePerEvent };
}

async function main(): Promise<void> {
  const id = Date.now().toString(36);
  const load = { atStart: loadavg().map((x) => Math.round(x * 100) / 100) };
  log(
    `tongban benchmark: ${o.events} events, ${o.concurrency} clients, open loop ${o.openSeconds} s, baseline ${o.rawRecords} records; paths ${o.paths.join(', ')}, logging ${o.logging.join(', ')}; baseline broker ${o.brokers.join(',')}`,
  );
  const paths = [];
  for (const path of o.paths) for (const logging of o.logging) paths.push(await measurePath(path, logging, id));
  log('\nBaseline, every stack stopped');
  const samples = paths[0].samples;
  const raw = await baseline(o.brokers, id, samples, paths[0].partitions);
  const result = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, loadAverage: { atStart: load.atStart, atEnd: loadavg().map((x) => Math.round(x * 100) / 100) } },
    brokers: o.brokers,
    record: {
      averageBytes: Math.round(samples.reduce((a, s) => a + s.value.length, 0) / samples.length),
      headers: Object.keys(samples[0]?.headers ?? {}).length,
    },
    baseline: raw,
    paths: paths.map(({ samples: _samples, partitions: _partitions, ...rest }) => ({
      ...rest,
      ratio: rest.closedLoop.eventsPerSecond / raw.recordsPerSecond,
      batchRatio: rest.batchClosedLoop.eventsPerSecond / raw.recordsPerSecond,
    })),
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const l = (a: Latency) => `p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} ms`;
  const name = (r: { path: string; logging: Logging }) =>
    `${r.path === 'two' ? 'two provinces (MirrorMaker 2)' : 'one cluster'}${r.logging === 'start' ? ", npm start's logging" : ''}`;
  log(
    `\nResults ${result.date.slice(0, 16)}Z, ${result.machine.cores} cores, load average ${load.atStart.join(' ')} at start, baseline broker ${o.brokers.join(',')}`,
  );
  log(`Records of ${result.record.averageBytes} bytes Avro with ${result.record.headers} headers, keyed by case.\n`);
  log('| measurement | rate | latency |');
  log('|---|---|---|');
  log(
    `| (a) raw kafkajs: idempotent, acks=all, ${raw.batch} records/send, ${raw.inFlight} sends in flight, eachBatch, ${raw.partitions} partitions | ${fmt(raw.recordsPerSecond)} records/s | produce → consume ${l(raw.produceToConsume)} |`,
  );
  for (const r of result.paths) {
    const { closedLoop: closed, openLoop: open } = r;
    log(
      `| (b) ${name(r)}, closed loop, ${closed.concurrency} clients, ${closed.events} events, until stored in Chongqing and every group caught up | ${fmt(closed.eventsPerSecond, 1)} events/s (accepted ${fmt(closed.acceptedPerSecond, 1)}/s) | HTTP ${l(closed.http)}; accept → sent by the relay ${l(closed.acceptToSent)}; accept → stored ${l(closed.acceptToStored)} |`,
    );
    const b = r.batchClosedLoop;
    log(
      `| (b) ${name(r)}, batch endpoint, closed loop, uploads of ${b.batchSize}, ${b.uploadsAtOnce} at once, ${b.events} events, until stored and caught up | ${fmt(b.eventsPerSecond, 1)} events/s (accepted ${fmt(b.acceptedPerSecond, 1)}/s) | HTTP per upload ${l(b.httpPerUpload)}; accept → sent ${l(b.acceptToSent)}; accept → stored ${l(b.acceptToStored)} |`,
    );
    log(
      `| (c) ${name(r)}, open loop at ${fmt(open.targetPerSecond, 1)}/s for ${fmt(open.seconds, 1)} s (${open.sent} events, ${open.failed} failed) | ${fmt(open.targetPerSecond, 1)} events/s offered | HTTP ${l(open.http)}; accept → sent by the relay ${l(open.acceptToSent)}; accept → stored ${l(open.acceptToStored)} |`,
    );
    log(
      `| ratio (b) / (a), ${name(r)} | ${r.ratio.toFixed(4)} single, ${r.batchRatio.toFixed(4)} batch | events/s over records/s (targets 0.10 single, 0.25 batch) |`,
    );
    log(
      `| (d) peak memory (VmHWM), ${name(r)} | ${Object.entries(r.peakMemoryMiB)
        .map(([n, mb]) => `${n} ${mb} MiB`)
        .join(', ')} | |`,
    );
    log(
      `| (d) rows written per event, ${name(r)} | ${r.rowsPerEvent.toFixed(1)} | ${Object.entries(r.rowsPerEventByTable)
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(', ')} |`,
    );
    const u = r.usage;
    const d = u.databasePerEvent;
    log(
      `| (d) database work per event, ${name(r)} closed loop | ${fmt(d.Questions, 1)} statements, ${fmt(d.Com_commit, 2)} commits, ${fmt(d.Innodb_data_fsyncs, 2)} fsyncs | select ${fmt(d.Com_select, 1)}, insert ${fmt(d.Com_insert, 1)}, update ${fmt(d.Com_update, 1)}, delete ${fmt(d.Com_delete, 1)} |`,
    );
    log(
      `| (d) CPU during the ${name(r)} closed loop (${fmt(u.seconds, 1)} s) | machine ${(u.machineBusy * 100).toFixed(0)} % busy of ${u.cores} cores | CPU ms per event: ${Object.entries(
        u.cpuMsPerEvent,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([n, ms]) => `${n} ${fmt(ms, 2)}`)
        .join(', ')} |`,
    );
  }
  for (const r of result.paths) {
    for (const [service, c] of Object.entries(r.cpu)) {
      log(
        `\nCPU, ${name(r)}, ${service}: on the CPU ${(c.busyShare * 100).toFixed(0)} % of ${c.seconds} s; of that, garbage collection ${(c.gcShare * 100).toFixed(0)} %`,
      );
      log(`  by owner: ${c.byOwner.map((x) => `${x.owner} ${(x.share * 100).toFixed(0)} %`).join(', ')}`);
      for (const f of c.top) log(`  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.fn}  ${f.where}`);
    }
  }
  log(`\nLoad average at end: ${result.machine.loadAverage.atEnd.join(' ')}`);
}

main().catch((e) => {
  console.error(`\nbenchmark failed: ${(e as Error).message}`);
  process.exit(1);
});
