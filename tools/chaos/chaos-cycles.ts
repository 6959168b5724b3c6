import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, RowDataPacket } from 'mysql2/promise';
import { EnvReader, repoRoot } from '@tongban/config';
import { InMemoryProcessedEvents, WebhookReceiver } from '@tongban/partner-client';
import { RunningService, ServiceSpec, spawnService, stackServices, stopService, waitForHealth } from '../stack/stack';
import { ChaosBroker, Client, OwnMariaDb, OwnRedis } from './chaos-support';
import { memoryTrend, residentMiB } from './memory-trend';

/**
 * npm run chaos -- --cycles N --kill node,relay,gateway,broker,mariadb,redis,ops,delivery [--rate R] [--batch K] [--max-in-flight M] [--json]
 * npm run chaos -- --soak MINUTES [--rate R] [--sample-seconds S] [--json]
 *
 * The whole stack as child processes on a broker, a MariaDB and a Redis of the run's own (other ports,
 * their own data folders), a municipal client streaming events at rate R (every fifth case also sends a
 * withdrawal after its application, for order per case) and a partner's reference webhook receiver.
 * Each cycle kills every named component once with kill -9 at a random moment, restarts it and waits
 * until every service is healthy again. Then it proves, per case: every accepted event applied exactly
 * once at each node and in order, no outbox row unsent, every webhook delivered once, the audit chain
 * intact.
 *
 * With `--soak`, nothing is killed: events stream for that many minutes while each service's resident memory is
 * sampled, and the run also fails when a service's memory is not flat (see `memoryTrend`).
 */

export const COMPONENTS = ['node', 'relay', 'gateway', 'broker', 'mariadb', 'redis', 'ops', 'delivery'] as const;
type Component = (typeof COMPONENTS)[number];

interface CycleOptions {
  cycles: number;
  kill: Component[];
  rate: number;
  json: boolean;
  kafkaPort: number;
  mysqlPort: number;
  redisPort: number;
  portBase: number;
  downSeconds: number;
  keep: boolean;
  /** TONGBAN_CHAOS_RECEIVER_MAX_IDS: event ids the partner's reference receiver remembers at most. */
  receiverMaxIds: number;
  /** Minutes of streaming without kills (a soak); 0 for a run of kill cycles. */
  soakMinutes: number;
  /** How often each service's resident memory is read. */
  sampleSeconds: number;
  /** Requests the client keeps in flight at most (`--max-in-flight`, default five seconds' worth at the rate). */
  maxInFlight: number;
  /** Events per request (`--batch`): 1 posts each alone, more uploads them together to `POST /v1/events:batch`. */
  batch: number;
}

export function wantsCycles(argv: string[]): boolean {
  return argv.includes('--cycles') || argv.includes('--kill') || argv.includes('--soak');
}

export function parseCycleArgs(argv: string[], environment: Record<string, string | undefined> = process.env): CycleOptions {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
    return n;
  };
  const env = new EnvReader(environment);
  const receiverMaxIds = env.int('TONGBAN_CHAOS_RECEIVER_MAX_IDS', 1_000_000, { min: 1, max: 100_000_000 });
  env.done();
  const kill = (value('kill') ?? COMPONENTS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of kill) if (!(COMPONENTS as readonly string[]).includes(k)) throw new Error(`--kill: "${k}" is not one of ${COMPONENTS.join(', ')}`);
  const soakMinutes = num('soak', 0);
  const batch = Math.floor(num('batch', 1));
  if (batch > 500) throw new Error(`--batch must be at most 500 (the gateway's batch limit), got ${batch}`);
  return {
    cycles: soakMinutes > 0 ? 0 : Math.floor(num('cycles', 1)),
    kill: kill as Component[],
    rate: num('rate', 10),
    json: argv.includes('--json'),
    kafkaPort: num('kafka-port', 19392),
    mysqlPort: num('mysql-port', 13306),
    redisPort: num('redis-port', 16379),
    portBase: num('port-base', 3900),
    downSeconds: num('down-seconds', 3),
    keep: argv.includes('--keep'),
    receiverMaxIds,
    soakMinutes,
    sampleSeconds: num('sample-seconds', 30),
    maxInFlight: Math.floor(num('max-in-flight', Math.ceil(Math.max(100, num('rate', 10) * 5) / batch))),
    batch,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `work` at most `ms` (its failure ignored): a teardown step that hangs must not keep the rest alive. */
async function within(ms: number, work: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.resolve(work).catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
const ADMIN_TOKEN = `chaos-admin-${randomUUID()}`;
const OPS_TOKEN = 'dev-admin-token';
const SICHUAN = '510000';
const CHONGQING = '500000';

/**
 * The partner's reference receiver: verifies each webhook, applies each event id once, counts what arrived.
 * Its memory of applied ids is bounded (`maxIds`); the counts are the run's measurement.
 */
async function startReceiver(secret: () => string, maxIds: number) {
  let receiver: WebhookReceiver | undefined;
  const applied = new Map<string, number>();
  const receptions = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      receiver ??= new WebhookReceiver({
        secret: secret(),
        processed: new InMemoryProcessedEvents(undefined, maxIds),
        onEvent: (e) => void applied.set(e.eventId, (applied.get(e.eventId) ?? 0) + 1),
      });
      const id = String(req.headers['tongban-event-id'] ?? '');
      receptions.set(id, (receptions.get(id) ?? 0) + 1);
      const answer = await receiver.handle(req.headers, Buffer.concat(chunks)).catch(() => ({ status: 500, body: {} }));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    applied,
    receptions,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function runCycles(argv: string[]): Promise<boolean> {
  const o = parseCycleArgs(argv);
  const started = Date.now();
  const log = (line: string) => {
    if (!o.json) console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  ${line}`);
    else process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  ${line}\n`);
  };
  const id = Date.now().toString(36);
  const runTag = `${id}${randomUUID().slice(0, 4)}`;
  const namespace = `chaos-${id}`;
  const prefix = `tbchaos_${id}`;
  const logDir = join(repoRoot(), '.tongban', 'logs', `chaos-${id}`);
  const broker = new ChaosBroker(o.kafkaPort);
  const db = new OwnMariaDb(o.mysqlPort);
  const redis = new OwnRedis(o.redisPort);
  const nodePorts = { [SICHUAN]: o.portBase + 11, [CHONGQING]: o.portBase + 12 };
  const specs = stackServices({
    namespace,
    databasePrefix: prefix,
    gatewayPort: o.portBase,
    registryPort: o.portBase + 81,
    nodePorts,
    relayPort: o.portBase + 30,
    opsPort: o.portBase + 31,
    deliveryPort: o.portBase + 32,
    extraEnv: {
      TONGBAN_KAFKA_BROKERS: broker.brokers.join(','),
      TONGBAN_MYSQL_HOST: '127.0.0.1',
      TONGBAN_MYSQL_PORT: String(o.mysqlPort),
      TONGBAN_REDIS_HOST: '127.0.0.1',
      TONGBAN_REDIS_PORT: String(o.redisPort),
      TONGBAN_LOG_LEVEL: 'warn',
      TONGBAN_RETRY_DELAYS: '2s,5s,10s',
      TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN,
      TONGBAN_SHUTDOWN_TIMEOUT_MS: '5000',
      TONGBAN_DELIVERY_BACKOFF_MAX_MS: '2000',
      // A restarted consumer gets its partitions back once the killed member's session ends: 10 s, not 30.
      TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '10000',
    },
  });
  const running = new Map<string, RunningService>();
  const start = async (spec: ServiceSpec) => {
    const service = spawnService(spec, logDir);
    running.set(spec.name, service);
    // A restarted node joins its group only once the killed member's session has expired; on a loaded machine that takes minutes.
    await waitForHealth(spec.healthUrl, 300_000, service.child).catch((e) => {
      throw new Error(`${spec.name} ${(e as Error).message}; see ${join(logDir, spec.name + '.log')}`);
    });
  };
  const allHealthy = async () => {
    for (const spec of specs) await waitForHealth(spec.healthUrl, 180_000, running.get(spec.name)?.child);
  };
  const kills: Record<string, number> = Object.fromEntries(o.kill.map((k) => [k, 0]));
  const recovery: Record<string, number> = Object.fromEntries(o.kill.map((k) => [k, 0]));
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  let ok = false;
  let activeClient: Client | undefined;
  // Whatever the run started goes with it: at its end, when it fails, or when an operator stops it (Ctrl-C,
  // SIGTERM). Each step has a deadline, so a hung dependency cannot keep the rest running; a second signal, or the
  // process exiting, kills what is left at once.
  const killNow = () => {
    running.forEach((s) => s.child.exitCode === null && s.child.signalCode === null && s.child.kill('SIGKILL'));
    db.killNow();
    redis.killNow();
    broker.killNow();
  };
  process.once('exit', killNow);
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      activeClient?.abort();
      await within(5_000, receiver?.close());
      await Promise.all([...running.values()].reverse().map((s) => within(20_000, stopService(s))));
      await within(60_000, broker.infra('kafka-stop'));
      await within(10_000, redis.kill());
      await within(10_000, db.kill());
      killNow();
      if (!o.keep) {
        await within(30_000, broker.remove());
        await within(10_000, redis.remove());
        await within(10_000, db.remove());
      }
    })());
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log(`${signal} again: killing the run's services, broker, MariaDB and Redis now`);
      killNow();
      process.exit(130);
    }
    signalled = true;
    log(`${signal}: stopping the run's services, broker, MariaDB and Redis (again to kill them at once)`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    log(`own broker 127.0.0.1:${o.kafkaPort}, MariaDB 127.0.0.1:${o.mysqlPort}, Redis 127.0.0.1:${o.redisPort}; services on ${o.portBase}+; logs in ${logDir}`);
    await broker.fresh();
    await db.create();
    await redis.create();
    for (const spec of specs) {
      await start(spec);
      log(`${spec.name} is up`);
    }
    // A partner of Dazu (500111) subscribes to the applications addressed to it, with a key an operator issued.
    let secret = '';
    receiver = await startReceiver(() => secret, o.receiverMaxIds);
    const gatewayUrl = `http://127.0.0.1:${o.portBase}`;
    const issued = await fetch(`${gatewayUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ systemName: `chaos-partner-${runTag}`, division: '500111' }),
    });
    if (issued.status !== 201) throw new Error(`could not issue a partner key: ${issued.status} ${await issued.text()}`);
    const partnerKey = ((await issued.json()) as { key: string }).key;
    const subscribed = await fetch(`http://127.0.0.1:${o.portBase + 32}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${partnerKey}` },
      body: JSON.stringify({ url: receiver.url, eventTypes: ['SubsidyApplicationSubmitted'], region: '500111' }),
    });
    if (subscribed.status !== 201) throw new Error(`could not subscribe: ${subscribed.status} ${await subscribed.text()}`);
    secret = ((await subscribed.json()) as { secret: string }).secret;

    const client = new Client(gatewayUrl, runTag, 5, o.maxInFlight, o.batch);
    activeClient = client;
    const streamingSince = Date.now();
    const streaming = client.stream(o.rate, Date.now() + 24 * 3600_000);
    const memory = new Map<string, number[]>(specs.map((s) => [s.name, []]));
    const sample = () => {
      for (const [name, service] of running) {
        const mib = residentMiB(service.child.pid, (path) => readFileSync(path, 'utf8'));
        if (mib !== undefined) memory.get(name)?.push(mib);
      }
    };
    sample();
    const sampler = setInterval(sample, o.sampleSeconds * 1000);
    if (o.soakMinutes > 0) {
      log(`soak: streaming ${o.rate} events/s for ${o.soakMinutes} min, nothing killed; memory read every ${o.sampleSeconds} s`);
      const soakEnd = Date.now() + o.soakMinutes * 60_000;
      while (Date.now() < soakEnd) {
        await sleep(Math.min(60_000, soakEnd - Date.now()));
        const now = [...running.keys()].map((name) => `${name} ${memory.get(name)?.at(-1) ?? '?'}`).join(', ');
        log(`${client.requests.length} requests so far; resident MiB: ${now}`);
      }
    } else log(`streaming ${o.rate} events/s${o.batch > 1 ? ` in uploads of ${o.batch}` : ''}; ${o.cycles} cycle(s) of kill -9: ${o.kill.join(', ')}`);
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      for (const component of o.kill) {
        await sleep(1000 + Math.random() * 4000);
        const t0 = Date.now();
        let what: string;
        if (component === 'broker') {
          await broker.infra('kafka-kill');
          await sleep(o.downSeconds * 1000);
          const restarting = Date.now();
          await broker.infra('kafka-start');
          what = `the Kafka broker (back ${((Date.now() - restarting) / 1000).toFixed(1)} s after its restart began)`;
        } else if (component === 'mariadb' || component === 'redis') {
          const server = component === 'mariadb' ? db : redis;
          what = `${component} (pid ${server.pid})`;
          await server.kill();
          await sleep(o.downSeconds * 1000);
          await server.start();
        } else {
          const name = component === 'node' ? `region-node-${cycle % 2 ? CHONGQING : SICHUAN}` : component === 'ops' ? 'ops' : component;
          const victim = running.get(name)!;
          what = `${name} (pid ${victim.child.pid})`;
          const exited = new Promise((r) => (victim.child.exitCode !== null || victim.child.signalCode !== null ? r(undefined) : victim.child.once('exit', r)));
          victim.child.kill('SIGKILL');
          await exited;
          await sleep(o.downSeconds * 1000);
          await start(specs.find((s) => s.name === name)!);
        }
        await allHealthy();
        const ms = Date.now() - t0;
        kills[component]++;
        recovery[component] = Math.max(recovery[component], ms);
        log(`cycle ${cycle}: kill -9 ${what}; every service healthy again ${ms} ms after the kill`);
      }
    }
    client.stop();
    const streamingMs = Date.now() - streamingSince;
    clearInterval(sampler);
    await streaming;
    await client.settle();
    log(`stopped streaming: ${client.requests.length} requests`);
    // A killed and restarted service starts its memory again: the trend says something only for a soak.
    const trends = Object.fromEntries([...memory].map(([name, samples]) => [name, memoryTrend(samples)]));

    // Drain, then prove from the databases and the receiver.
    const databases: Record<string, string> = {
      gateway: `${prefix}_gateway`,
      [CHONGQING]: `${prefix}_node_${CHONGQING}`,
      [SICHUAN]: `${prefix}_node_${SICHUAN}`,
    };
    const q = async <R = RowDataPacket>(database: string, sql: string, params: unknown[] = []): Promise<R[]> => {
      const conn = await createConnection({ ...db.mysql, database });
      try {
        return (await conn.query(sql, params))[0] as R[];
      } finally {
        await conn.end();
      }
    };
    const accepted = client.requests.filter((r) => r.eventId);
    const ids = [...new Set(accepted.map((r) => r.eventId!))];
    const submissions = accepted.filter((r) => r.eventType === 'SubsidyApplicationSubmitted').map((r) => r.eventId!);
    const unsent = async () => {
      let n = 0;
      for (const d of Object.values(databases)) n += Number((await q<{ n: number }>(d, 'SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL'))[0].n);
      return n;
    };
    const appliedAt = async (region: string) =>
      ids.length
        ? Number((await q<{ n: number }>(databases[region], 'SELECT COUNT(DISTINCT event_id) AS n FROM case_events WHERE event_id IN (?)', [ids]))[0].n)
        : 0;
    // The drain goes on while anything moves (a webhook backlog at 100 events/s takes minutes), and ends when
    // all is there, after 120 s without progress, or after 30 minutes.
    const drainStarted = Date.now();
    let lastProgress = Date.now();
    let lastState = '';
    let lastLog = Date.now();
    while (Date.now() - drainStarted < 1_800_000 && Date.now() - lastProgress < 120_000) {
      const [cq, sc, pending] = [await appliedAt(CHONGQING), await appliedAt(SICHUAN), await unsent()];
      const hooks = submissions.filter((e) => receiver!.applied.has(e)).length;
      if (cq === ids.length && sc === ids.length && pending === 0 && hooks === submissions.length) break;
      const state = `${cq}/${sc}/${pending}/${hooks}`;
      if (state !== lastState) [lastState, lastProgress] = [state, Date.now()];
      if (Date.now() - lastLog >= 30_000) {
        lastLog = Date.now();
        log(`draining: applied ${cq} at 500000, ${sc} at 510000 of ${ids.length}; ${pending} outbox rows unsent; ${hooks}/${submissions.length} webhooks`);
      }
      await sleep(2000);
    }
    const drainSeconds = Math.round((Date.now() - drainStarted) / 1000);
    log(`drained in ${drainSeconds} s`);

    const problems: string[] = [];
    const refused = client.requests.filter((r) => r.refused);
    const unanswered = client.requests.filter((r) => !r.eventId && !r.refused);
    if (refused.length) problems.push(`${refused.length} requests refused (e.g. ${refused[0].refused})`);
    if (unanswered.length) problems.push(`${unanswered.length} requests never accepted`);
    const gatewayRows = await q<{ event_id: string }>(databases.gateway, 'SELECT event_id FROM accepted_events WHERE case_id LIKE ?', [
      `CHAOS-510104-${runTag}-%`,
    ]);
    const gatewayIds = new Set(gatewayRows.map((r) => r.event_id));
    const notStored = ids.filter((e) => !gatewayIds.has(e)).length;
    if (notStored) problems.push(`${notStored} event ids answered 202 but not in accepted_events`);
    const allIds = [...new Set([...ids, ...gatewayIds])];
    let lost = 0;
    let doubled = 0;
    let outOfOrder = 0;
    const perNode: Record<string, { appliedOnce: number; missing: number; twice: number }> = {};
    for (const region of [CHONGQING, SICHUAN]) {
      const rows = allIds.length
        ? await q<{ event_id: string; case_id: string; seq: number }>(
            databases[region],
            'SELECT event_id, case_id, seq FROM case_events WHERE event_id IN (?)',
            [allIds],
          )
        : [];
      const count = new Map<string, number>();
      const seqOf = new Map<string, number>();
      for (const r of rows) {
        count.set(r.event_id, (count.get(r.event_id) ?? 0) + 1);
        seqOf.set(r.event_id, Number(r.seq));
      }
      const missing = allIds.filter((e) => !count.has(e)).length;
      const twice = allIds.filter((e) => (count.get(e) ?? 0) > 1).length;
      let disorder = 0;
      for (const r of accepted.filter((x) => x.follows !== undefined)) {
        const first = client.requests.find((x) => x.n === r.follows && x.follows === undefined);
        const a = first?.eventId ? seqOf.get(first.eventId) : undefined;
        const b = seqOf.get(r.eventId!);
        if (a !== undefined && b !== undefined && b < a) disorder++;
      }
      perNode[region] = { appliedOnce: allIds.filter((e) => count.get(e) === 1).length, missing, twice };
      lost = Math.max(lost, missing);
      doubled += twice;
      outOfOrder += disorder;
      if (missing) problems.push(`${missing} accepted events not applied at node ${region}`);
      if (twice) problems.push(`${twice} events applied more than once at node ${region}`);
      if (disorder) problems.push(`${disorder} cases out of order at node ${region}`);
    }
    const pending = await unsent();
    if (pending) problems.push(`${pending} outbox rows left unsent`);
    const hooksMissing = submissions.filter((e) => !receiver!.applied.has(e)).length;
    const hooksTwice = [...receiver.applied.values()].filter((n) => n > 1).length;
    const extraReceptions = submissions.reduce((n, e) => n + Math.max(0, (receiver!.receptions.get(e) ?? 0) - 1), 0);
    if (hooksMissing) problems.push(`${hooksMissing} webhooks never delivered`);
    if (hooksTwice) problems.push(`${hooksTwice} webhooks applied twice by the receiver`);
    const audit = await fetch(`http://127.0.0.1:${o.portBase + 31}/v1/audit/verify`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    const auditText = await audit.text();
    const auditOk = audit.status === 200 && !auditText.includes('"ok":false') && auditText.includes('"ok":true');
    if (!auditOk) problems.push(`the audit chain does not verify: ${audit.status} ${auditText.slice(0, 300)}`);

    if (o.soakMinutes > 0) {
      for (const [name, t] of Object.entries(trends)) {
        if (!t.flat)
          problems.push(`${name}'s resident memory is not flat: ${t.startMiB} MiB in the second quarter, ${t.endMiB} MiB in the last (${t.samples} samples)`);
      }
    }
    ok = problems.length === 0 && ids.length > 0;
    const figures = {
      date: new Date().toISOString(),
      verdict: ok ? 'PASS' : 'FAIL',
      rate: o.rate,
      batch: o.batch,
      durationSeconds: Math.round((Date.now() - started) / 1000),
      requests: client.requests.length,
      retriedByClient: client.retriedRequests,
      clientHeldBackSeconds: Math.round(client.heldBackMs / 1000),
      clientPeakInFlight: client.peakInFlight,
      streamingSeconds: Math.round(streamingMs / 1000),
      drainSeconds,
      acceptedPerSecond: Math.round((ids.length / Math.max(1, streamingMs / 1000)) * 10) / 10,
      accepted: ids.length,
      lost,
      doubled,
      outOfOrder,
      cycles: kills,
      maxRecoveryMs: recovery,
      appliedOncePerNode: Object.fromEntries(Object.entries(perNode).map(([k, v]) => [k, v.appliedOnce])),
      unsent: pending,
      webhooks: { expected: submissions.length, deliveredOnce: submissions.length - hooksMissing, missing: hooksMissing, extraReceptions },
      auditVerified: auditOk,
      soakMinutes: o.soakMinutes,
      memory: trends,
      problems,
    };
    if (o.json) console.log(JSON.stringify(figures));
    else {
      console.log(`\nFigures (${figures.date})`);
      console.log(
        `  requests ${figures.requests} (retried by the client ${figures.retriedByClient}); accepted ${figures.accepted}; lost ${lost}; doubled ${doubled}; out of order ${outOfOrder}`,
      );
      console.log(
        `  offered ${o.rate} events/s${o.batch > 1 ? ` (uploads of ${o.batch})` : ''} for ${figures.streamingSeconds} s; accepted ${figures.acceptedPerSecond} events/s; client at its bound of ${o.maxInFlight} requests in flight for ${figures.clientHeldBackSeconds} s (peak ${figures.clientPeakInFlight})`,
      );
      for (const [region, v] of Object.entries(perNode))
        console.log(`  node ${region}: applied once ${v.appliedOnce}, missing ${v.missing}, more than once ${v.twice}`);
      console.log(
        `  outbox rows unsent ${pending}; webhooks ${figures.webhooks.deliveredOnce}/${figures.webhooks.expected} delivered once (${extraReceptions} extra receptions absorbed by the receiver); audit chain ${auditOk ? 'verifies' : 'BROKEN'}`,
      );
      if (o.soakMinutes > 0) console.log(`  soak of ${o.soakMinutes} min at ${o.rate} events/s: nothing killed`);
      else {
        console.log(
          `  kills: ${Object.entries(kills)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}`,
        );
        console.log(
          `  max recovery (kill until every service healthy): ${Object.entries(recovery)
            .map(([k, ms]) => `${k} ${ms} ms`)
            .join(', ')}`,
        );
      }
      console.log(`  resident memory, MiB (median of the second quarter → of the last quarter, peak, samples every ${o.sampleSeconds} s):`);
      for (const [name, t] of Object.entries(trends)) {
        console.log(
          `    ${name.padEnd(22)} ${String(t.startMiB).padStart(6)} → ${String(t.endMiB).padStart(6)}  peak ${t.peakMiB}  (${t.samples} samples${o.soakMinutes > 0 ? (t.flat ? ', flat' : ', GROWING') : ''})`,
        );
      }
      console.log(`\nVerdict: ${ok ? 'PASS' : 'FAIL'}`);
      for (const p of problems) console.log(`  - ${p}`);
    }
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killNow);
  }
  return ok;
}
