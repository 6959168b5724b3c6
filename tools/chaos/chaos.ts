import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import { repoRoot } from '@tongban/config';
import { createKafka, FAILURE_HEADERS } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { topics } from '@tongban/regions';
import { eachTopicMessage } from '../stack/topic-reader';
import { appliedCount, ChaosBroker, ChaosServices, chaosStackSpecs, Client, MACHINE_MYSQL, withDb } from './chaos-support';
import { runCycles, wantsCycles } from './chaos-cycles';

/**
 * npm run chaos: the whole stack as child processes on a Kafka broker of its own, a client streaming
 * events at a steady rate, and meanwhile `kill -9` of a region node, the relay, the gateway and the
 * broker (each restarted after a few seconds) and garbage bytes written straight into an inbox. Then
 * the databases must show every accepted event applied exactly once at its node, no outbox row left
 * unsent, and the garbage on the dead-letter topic. Exit 1 on any loss or duplicate.
 */

interface Options {
  seconds: number;
  rate: number;
  kafkaPort: number;
  portBase: number;
  downSeconds: number;
  keep: boolean;
}

function parseArgs(): Options {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    const raw = i >= 0 ? process.argv[i + 1] : process.env[`TONGBAN_CHAOS_${name.toUpperCase().replace(/-/g, '_')}`];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
    return n;
  };
  return {
    seconds: arg('seconds', 70),
    rate: arg('rate', 20),
    kafkaPort: arg('kafka-port', 19092),
    portBase: arg('port-base', 3700),
    downSeconds: arg('down-seconds', 4),
    keep: process.argv.includes('--keep'),
  };
}

const CHONGQING = '500000';
const SICHUAN = '510000';

const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const say = (line: string) => console.log(`  ${clock()}  ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeGarbage(kafka: Kafka, topic: string, key: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value: Buffer.from('\u0001 this is not Avro in the Confluent wire format') }] });
  } finally {
    await producer.disconnect();
  }
}

async function main(): Promise<void> {
  const o = parseArgs();
  const id = Date.now().toString(36);
  const runTag = `${id}${randomUUID().slice(0, 4)}`;
  const namespace = `chaos-${id}`;
  const prefix = `tbchaos_${id}`;
  const broker = new ChaosBroker(o.kafkaPort);
  const logDir = join(repoRoot(), '.tongban', 'logs', `chaos-${id}`);
  const gatewayPort = o.portBase;
  const nodePorts = { [SICHUAN]: o.portBase + 11, [CHONGQING]: o.portBase + 12 };
  const events: string[] = [];
  const event = (what: string) => {
    events.push(`${clock()}  ${what}`);
    say(what);
  };

  console.log(`tongban chaos: ${o.seconds} s of events at ${o.rate}/s, kill -9 of a node, the relay, the gateway and the broker`);
  console.log(`  broker 127.0.0.1:${o.kafkaPort} (own data in ${broker.dir}), services on ${o.portBase}+, logs in ${logDir}`);
  say('starting a dedicated Kafka broker');
  await broker.fresh();
  const kafka = createKafka(broker.brokers, `chaos-${id}`);

  const specs = chaosStackSpecs({ namespace, databasePrefix: prefix, portBase: o.portBase, gatewayPort, nodePorts, brokers: broker.brokers });
  const services = new ChaosServices(logDir, 90_000, broker);
  /** Kills a service with SIGKILL; the returned promise restarts it after a pause and waits until it is healthy. */
  const killAndRestart = async (name: string): Promise<{ restarted: Promise<void> }> => {
    const spec = specs.find((s) => s.name === name)!;
    const victim = services.running.get(name)!;
    victim.child.kill('SIGKILL');
    await new Promise((r) => (victim.child.exitCode !== null || victim.child.signalCode !== null ? r(undefined) : victim.child.once('exit', r)));
    event(`kill -9 ${name} (pid ${victim.child.pid})`);
    const restarted = (async () => {
      await sleep(o.downSeconds * 1000);
      const t0 = Date.now();
      const again = await services.start(spec);
      event(`${name} restarted (pid ${again.child.pid}, healthy after ${Date.now() - t0} ms)`);
    })();
    return { restarted };
  };

  let ok = false;
  try {
    for (const spec of specs) {
      await services.start(spec);
      say(`${spec.name} is up`);
    }
    const client = new Client(`http://127.0.0.1:${gatewayPort}`, runTag);
    const inbox = topics.inbox(namespace, CHONGQING);
    const garbageKey = `CHAOS-GARBAGE-${runTag}`;
    const streamUntil = Date.now() + o.seconds * 1000;
    event(`streaming ${o.rate} events/s for ${o.seconds} s`);
    const streaming = client.stream(o.rate, streamUntil);

    // The faults at fixed points of the stream, each while events keep coming; a restart runs on its own
    // (a node rejoining its group waits for its killed predecessor's session to expire).
    const slot = (o.seconds * 1000) / 8;
    const streamStart = streamUntil - o.seconds * 1000;
    const at = (k: number) => sleep(Math.max(0, streamStart + k * slot - Date.now()));
    const restarts: Array<Promise<void>> = [];
    await at(1);
    restarts.push((await killAndRestart(`region-node-${CHONGQING}`)).restarted);
    await at(2);
    restarts.push((await killAndRestart('relay')).restarted);
    await at(3);
    restarts.push((await killAndRestart('gateway')).restarted);
    await at(4);
    await writeGarbage(kafka, inbox, garbageKey);
    event(`garbage bytes written into ${inbox} (key ${garbageKey})`);
    await at(4.5);
    await broker.infra('kafka-kill');
    event('kill -9 the Kafka broker');
    await sleep(o.downSeconds * 1000);
    const t0 = Date.now();
    await broker.infra('kafka-start');
    event(`Kafka broker restarted (ready after ${Date.now() - t0} ms)`);
    await Promise.all(restarts);
    await streaming;
    await client.settle();
    event(`stopped streaming: ${client.requests.length} requests sent`);

    // Drain: every accepted event at both nodes, and every outbox empty.
    const accepted = client.requests.filter((r) => r.eventId);
    const ids = accepted.map((r) => r.eventId!);
    const databases: Record<string, string> = {
      gateway: `${prefix}_gateway`,
      [CHONGQING]: `${prefix}_node_${CHONGQING}`,
      [SICHUAN]: `${prefix}_node_${SICHUAN}`,
    };
    const appliedAt = (region: string) => appliedCount(databases[region], ids);
    const unsent = async () => {
      let n = 0;
      for (const db of Object.values(databases))
        n += await withDb(db, async (q) => Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL'))[0].n));
      return n;
    };
    const drainDeadline = Date.now() + 150_000;
    let progress = { cq: 0, sc: 0, pending: -1 };
    while (Date.now() < drainDeadline) {
      progress = { cq: await appliedAt(CHONGQING), sc: await appliedAt(SICHUAN), pending: await unsent() };
      if (progress.cq === ids.length && progress.sc === ids.length && progress.pending === 0) break;
      await sleep(1000);
    }
    event(`drained: ${progress.cq}/${ids.length} applied at ${CHONGQING}, ${progress.sc}/${ids.length} at ${SICHUAN}, ${progress.pending} outbox rows unsent`);

    // The proof, from the databases.
    const problems: string[] = [];
    const refused = client.requests.filter((r) => r.refused);
    const unanswered = client.requests.filter((r) => !r.eventId && !r.refused);
    for (const r of refused.slice(0, 5)) problems.push(`request ${r.n} refused: ${r.refused}`);
    if (refused.length) problems.push(`${refused.length} requests refused by the gateway`);
    if (unanswered.length) problems.push(`${unanswered.length} requests never accepted within 2 minutes of retries`);
    const gatewayRows = await withDb(databases.gateway, (q) =>
      q<{ event_id: string; case_id: string }>('SELECT event_id, case_id FROM accepted_events WHERE case_id LIKE ?', [`CHAOS-510104-${runTag}-%`]),
    );
    const perCase = new Map<string, number>();
    for (const r of gatewayRows) perCase.set(r.case_id, (perCase.get(r.case_id) ?? 0) + 1);
    const twiceAccepted = [...perCase].filter(([, n]) => n > 1);
    if (twiceAccepted.length) problems.push(`${twiceAccepted.length} requests accepted twice by the gateway (e.g. ${twiceAccepted[0][0]})`);
    const gatewayIds = new Set(gatewayRows.map((r) => r.event_id));
    const clientOnly = ids.filter((e) => !gatewayIds.has(e));
    if (clientOnly.length) problems.push(`${clientOnly.length} event ids answered to the client but not in accepted_events`);
    const gatewayOnly = [...gatewayIds].filter((e) => !ids.includes(e));
    if (gatewayOnly.length) problems.push(`${gatewayOnly.length} events in accepted_events that no client answer named`);
    const allIds = [...gatewayIds];
    const counts: Record<string, { applied: number; missing: number; twice: number }> = {};
    for (const region of [CHONGQING, SICHUAN]) {
      // A node's record of an applied event is its history row (keyed by the event id).
      const history = await withDb(databases[region], async (q) =>
        allIds.length
          ? await q<{ event_id: string; n: number }>('SELECT event_id, COUNT(*) AS n FROM case_events WHERE event_id IN (?) GROUP BY event_id', [allIds])
          : [],
      );
      const seen = new Map(history.map((r) => [r.event_id, Number(r.n)]));
      const missing = allIds.filter((e) => !seen.has(e));
      const twice = allIds.filter((e) => (seen.get(e) ?? 0) > 1);
      counts[region] = { applied: allIds.filter((e) => seen.get(e) === 1).length, missing: missing.length, twice: twice.length };
      if (missing.length) problems.push(`${missing.length} accepted events not applied at node ${region} (e.g. ${missing[0]})`);
      if (twice.length) problems.push(`${twice.length} events applied more than once at node ${region}`);
    }
    const pending = await unsent();
    if (pending) problems.push(`${pending} outbox rows left unsent`);
    const garbage: Array<Record<string, string>> = [];
    await eachTopicMessage(kafka, topics.dlq(inbox), (m) => m.key === garbageKey && garbage.push(m.headers), 60_000);
    // How often Kafka carried each event to the addressed inbox: more than once after a relay was killed
    // between its send and its bookkeeping; the node's event-id check must have absorbed every extra copy.
    const copies = new Map<string, number>();
    const mine = new Set(allIds);
    await eachTopicMessage(
      kafka,
      inbox,
      (m) => {
        const eventId = m.headers['tongban-event-id'];
        if (eventId && mine.has(eventId)) copies.set(eventId, (copies.get(eventId) ?? 0) + 1);
      },
      60_000,
    );
    const extraCopies = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    if (garbage.length !== 1) problems.push(`the garbage is ${garbage.length} times on ${topics.dlq(inbox)}, expected once`);
    else if (garbage[0][FAILURE_HEADERS.errorCode] !== 'WIRE_FORMAT_INVALID')
      problems.push(`the garbage was dead-lettered as ${garbage[0][FAILURE_HEADERS.errorCode]}`);

    const replays = accepted.filter((r) => r.replayed).length;
    console.log('\nWhat happened');
    for (const line of events) console.log(`  ${line}`);
    console.log('\nFigures');
    console.log(`  requests sent ${client.requests.length}; retried by the client ${client.retriedRequests} (answered "Idempotent-Replayed" ${replays})`);
    console.log(
      `  accepted by the gateway ${gatewayRows.length} events (${gatewayIds.size} distinct), refused ${refused.length}, never accepted ${unanswered.length}`,
    );
    for (const region of [CHONGQING, SICHUAN]) {
      console.log(
        `  node ${region}${region === CHONGQING ? ' (addressed)' : ' (publisher’s own)'}: applied once ${counts[region].applied}, missing ${counts[region].missing}, more than once ${counts[region].twice}`,
      );
    }
    console.log(
      `  copies in ${inbox}: ${[...copies.values()].reduce((a, b) => a + b, 0)} for ${copies.size} events (${extraCopies} extra, absorbed by the event-id check)`,
    );
    console.log(`  outbox rows unsent ${pending}; garbage on ${topics.dlq(inbox)}: ${garbage.length} (${garbage[0]?.[FAILURE_HEADERS.errorCode] ?? '-'})`);
    ok = problems.length === 0 && gatewayRows.length > 0;
    console.log(`\nVerdict: ${ok ? 'PASS — nothing lost, nothing applied twice' : 'FAIL'}`);
    for (const p of problems) console.log(`  - ${p}`);
  } finally {
    await services.stopAll();
    await broker.infra('kafka-stop').catch((e) => console.error(`  could not stop the chaos broker: ${(e as Error).message}`));
    if (!o.keep) {
      rmSync(broker.dir, { recursive: true, force: true });
      for (const db of ['gateway', `node_${SICHUAN}`, `node_${CHONGQING}`, 'registry'])
        await dropDatabase(MACHINE_MYSQL, `${prefix}_${db}`).catch(() => undefined);
    }
  }
  process.exit(ok ? 0 : 1);
}

(wantsCycles(process.argv) ? runCycles(process.argv).then((ok) => process.exit(ok ? 0 : 1)) : main()).catch((e) => {
  console.error(`\nchaos failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
