import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Admin, ConfigResourceTypes } from 'kafkajs';
import { repoRoot } from '@tongban/config';
import { createKafka } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { topics } from '@tongban/regions';
import { eachTopicMessage } from '../stack/topic-reader';
import { appliedCount, ChaosBroker, ChaosServices, chaosStackSpecs, Client, MACHINE_MYSQL, Request, withDb } from './chaos-support';

/**
 * npm run chaos -- --brokers 3: a province cluster of three Kafka nodes (KRaft quorum, every topic with
 * replication factor 3 and min.insync.replicas 2, producers with acks=all), the stack on it, a client
 * streaming events through the gateway, and meanwhile `kill -9` of the node that leads the addressed
 * inbox's partitions; it is restarted after a pause and catches up. The inbox is created beforehand with
 * node 1 first in every partition's replica list, so one node leads all of it (and is the first bootstrap
 * address of every client) when it is killed. Then, case by case, every event the
 * gateway accepted (202) must be in the case history of each node exactly once and in the order it was
 * accepted. Exit 1 on any loss, duplicate or reordering.
 */

interface Options {
  brokers: number;
  seconds: number;
  rate: number;
  kafkaPort: number;
  portBase: number;
  downSeconds: number;
  followUpEvery: number;
  json: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const arg = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    const raw = i >= 0 ? argv[i + 1] : undefined;
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, got "${raw}"`);
    return n;
  };
  const o = {
    brokers: arg('brokers', 3),
    seconds: arg('seconds', 60),
    rate: arg('rate', 10),
    kafkaPort: arg('kafka-port', 29700),
    portBase: arg('port-base', 3800),
    downSeconds: arg('down-seconds', 10),
    followUpEvery: arg('follow-up-every', 3),
    json: argv.includes('--json'),
    keep: argv.includes('--keep'),
  };
  if (o.brokers !== 3 && o.brokers !== 5) throw new Error(`--brokers must be 3 or 5 (a quorum that survives the loss of one node), got ${o.brokers}`);
  return o;
}

const CHONGQING = '500000';
const SICHUAN = '510000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The chaos broker as a quorum: the same infra.sh run with its own dirs and ports, N nodes two ports apart. */
class QuorumBroker extends ChaosBroker {
  constructor(
    port: number,
    readonly nodes: number,
  ) {
    super(port);
    Object.assign(this.env, {
      TONGBAN_PROVINCES: 'single',
      TONGBAN_KAFKA_BROKERS_PER_CLUSTER: String(nodes),
      TONGBAN_SECRETS_DIR: join(this.dir, 'secrets'),
      // Three JVMs starting together on a small, busy machine take longer than one.
      TONGBAN_KAFKA_START_TIMEOUT: '300',
    });
  }

  override get brokers(): string[] {
    return Array.from({ length: this.nodes }, (_, i) => `127.0.0.1:${this.nodePort(i + 1)}`);
  }

  nodePort(node: number): number {
    return this.port + 2 * (node - 1);
  }

  /** infra.sh kafka-kill-node / kafka-start-node <node>. */
  node(command: 'kafka-kill-node' | 'kafka-start-node', node: number): Promise<void> {
    return this.infra(command, String(node));
  }

  /** Pid of a running node, from the pid file infra.sh keeps in the run dir. */
  pid(node: number): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.env.TONGBAN_INFRA_RUN_DIR, `kafka-node${node}.pid`), 'utf8').trim());
      return pid > 0 && rssKb(pid) !== undefined ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Resident memory of a process in kB, or undefined when it is gone. */
function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface PartitionState {
  partition: number;
  leader: number;
  isr: number[];
}

async function inboxPartitions(admin: Admin, topic: string): Promise<PartitionState[]> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0].partitions
    .map((p) => ({ partition: p.partitionId, leader: p.leader, isr: [...p.isr].sort() }))
    .sort((a, b) => a.partition - b.partition);
}

/** Polls until `done` holds for the inbox's partitions; the time it took in ms, or undefined after `timeoutMs`. */
async function until(
  admin: Admin,
  topic: string,
  done: (ps: PartitionState[]) => boolean,
  timeoutMs: number,
): Promise<{ ms?: number; last: PartitionState[] }> {
  const t0 = Date.now();
  let last: PartitionState[] = [];
  while (Date.now() - t0 < timeoutMs) {
    last = await inboxPartitions(admin, topic).catch(() => last);
    if (last.length && done(last)) return { ms: Date.now() - t0, last };
    await sleep(250);
  }
  return { last };
}

interface CaseResult {
  caseId: string;
  accepted: string[];
  /** Per node: event ids of this case in the node's case history, in history order. */
  history: Record<string, string[]>;
  lost: number;
  doubled: number;
  outOfOrder: boolean;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv);
  const started = Date.now();
  const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
  const log = (line: string) => (o.json ? process.stderr : process.stdout).write(`${line}\n`);
  const timeline: string[] = [];
  const event = (what: string) => {
    timeline.push(`${clock()}  ${what}`);
    log(`  ${clock()}  ${what}`);
  };

  const id = Date.now().toString(36);
  const runTag = `${id}${randomUUID().slice(0, 4)}`;
  const namespace = `chaosq-${id}`;
  const prefix = `tbchaosq_${id}`;
  const broker = new QuorumBroker(o.kafkaPort, o.brokers);
  // This process and the services find the quorum's generated credentials here (TONGBAN_SECRETS_DIR is passed on).
  process.env.TONGBAN_SECRETS_DIR = broker.env.TONGBAN_SECRETS_DIR;
  const logDir = join(repoRoot(), '.tongban', 'logs', `chaos-brokers-${id}`);
  const gatewayPort = o.portBase;
  const nodePorts = { [SICHUAN]: o.portBase + 11, [CHONGQING]: o.portBase + 12 };
  const inbox = topics.inbox(namespace, CHONGQING);

  log(
    `tongban chaos: ${o.brokers} Kafka nodes (RF 3, min.insync.replicas 2, acks=all), ${o.seconds} s of events at ${o.rate}/s, kill -9 of the inbox's leader`,
  );
  log(
    `  nodes on 127.0.0.1:${broker.brokers.map((b) => b.split(':')[1]).join(',')} (own data in ${broker.dir}), services on ${o.portBase}+, logs in ${logDir}`,
  );
  event(`starting ${o.brokers} Kafka nodes`);
  const t0Kafka = Date.now();
  await broker.fresh().catch(async (e) => {
    await broker.infra('kafka-stop').catch(() => undefined);
    throw e;
  });
  event(`Kafka quorum ready after ${Date.now() - t0Kafka} ms`);
  const kafka = createKafka(broker.brokers, `chaos-brokers-${id}`);
  const admin = kafka.admin();

  const specs = chaosStackSpecs({
    namespace,
    databasePrefix: prefix,
    portBase: o.portBase,
    gatewayPort,
    nodePorts,
    brokers: broker.brokers,
    extraEnv: { TONGBAN_TOPIC_REPLICATION_FACTOR: '3', TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '2' },
  });
  const services = new ChaosServices(logDir, 120_000, broker);

  // Memory: the largest resident sizes seen, sampled every 2 s.
  const memory = { brokersKb: 0, servicesKb: 0, totalKb: 0, minFreeMb: Math.round(freemem() / 2 ** 20) };
  const loads: number[] = [];
  const sampler = setInterval(() => {
    const brokersKb = Array.from({ length: o.brokers }, (_, i) => broker.pid(i + 1)).reduce<number>((sum, pid) => sum + (pid ? (rssKb(pid) ?? 0) : 0), 0);
    const servicesKb = [...services.running.values()].reduce((sum, s) => sum + (s.child.pid && s.child.exitCode === null ? (rssKb(s.child.pid) ?? 0) : 0), 0);
    memory.brokersKb = Math.max(memory.brokersKb, brokersKb);
    memory.servicesKb = Math.max(memory.servicesKb, servicesKb);
    memory.totalKb = Math.max(memory.totalKb, brokersKb + servicesKb);
    memory.minFreeMb = Math.min(memory.minFreeMb, Math.round(freemem() / 2 ** 20));
    loads.push(loadavg()[0]);
  }, 2000);

  const figures: Record<string, unknown> = {};
  let ok = false;
  let cases: CaseResult[] = [];
  const problems: string[] = [];
  try {
    await admin.connect();
    const partitions = 6;
    // Leaders are awaited here: a busy broker may answer kafkajs's own leader check for a topic it has just
    // created with "does not host this topic-partition".
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: inbox,
          replicaAssignment: Array.from({ length: partitions }, (_, partition) => ({ partition, replicas: partition % 2 ? [1, 3, 2] : [1, 2, 3] })),
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    });
    const created = await until(admin, inbox, (ps) => ps.length === partitions && ps.every((p) => p.leader >= 0), 60_000);
    if (created.ms === undefined) throw new Error(`${inbox} has no leader for every partition 60 s after it was created: ${JSON.stringify(created.last)}`);
    for (const spec of specs) {
      await services.start(spec);
      event(`${spec.name} is up`);
    }
    const before = await until(admin, inbox, (ps) => ps.every((p) => p.isr.length === o.brokers), 60_000);
    if (before.ms === undefined) throw new Error(`${inbox} has no full ISR before the test: ${JSON.stringify(before.last)}`);
    const meta = (
      await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: inbox, configNames: ['min.insync.replicas'] }],
      })
    ).resources[0];
    const minIsr = meta.configEntries.find((c) => c.configName === 'min.insync.replicas')?.configValue;
    event(`${inbox}: ${before.last.length} partitions, replicas on ${o.brokers} nodes, min.insync.replicas ${minIsr}`);

    const client = new Client(`http://127.0.0.1:${gatewayPort}`, runTag, o.followUpEvery);
    const streamUntil = Date.now() + o.seconds * 1000;
    const streamStart = Date.now();
    event(`streaming ${o.rate} events/s for ${o.seconds} s (one case in ${o.followUpEvery} also gets a withdrawal after its submission)`);
    const streaming = client.stream(o.rate, streamUntil);

    // The victim: the node that leads most of the inbox's partitions, a third into the stream.
    await sleep(Math.max(0, streamStart + (o.seconds * 1000) / 3 - Date.now()));
    const leaders = await inboxPartitions(admin, inbox);
    const led = new Map<number, number[]>();
    for (const p of leaders) led.set(p.leader, [...(led.get(p.leader) ?? []), p.partition]);
    const [victim, victimPartitions] = [...led].sort((a, b) => b[1].length - a[1].length || a[0] - b[0])[0];
    const requestsBeforeKill = client.requests.length;
    const killedAt = Date.now();
    await broker.node('kafka-kill-node', victim);
    event(`kill -9 Kafka node ${victim} (port ${broker.nodePort(victim)}), leader of inbox partitions ${victimPartitions.join(',')}`);
    const moved = await until(admin, inbox, (ps) => ps.every((p) => p.leader >= 0 && p.leader !== victim), 60_000);
    const leadersMovedMs = moved.ms === undefined ? undefined : Date.now() - killedAt;
    event(
      moved.ms === undefined
        ? 'the inbox partitions did not get new leaders within 60 s'
        : `every inbox partition led by a live node ${leadersMovedMs} ms after the kill`,
    );

    // The first event accepted after the kill: how long until the addressed node has applied it.
    const nodeDb = `${prefix}_node_${CHONGQING}`;
    const firstAppliedAfterKill = (async () => {
      const deadline = Date.now() + 180_000;
      let request: Request | undefined;
      while (Date.now() < deadline) {
        request ??= client.requests.slice(requestsBeforeKill).find((r) => r.eventId && r.eventType === 'SubsidyApplicationSubmitted');
        if (request) {
          const n = await withDb(nodeDb, async (q) =>
            Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM case_events WHERE event_id = ?', [request!.eventId]))[0].n),
          );
          if (n > 0) return Date.now() - killedAt;
        }
        await sleep(200);
      }
      return undefined;
    })();

    await sleep(o.downSeconds * 1000);
    const t0 = Date.now();
    await broker.node('kafka-start-node', victim);
    const restartMs = Date.now() - t0;
    event(`Kafka node ${victim} restarted (answers after ${restartMs} ms)`);
    const rejoined = await until(admin, inbox, (ps) => ps.every((p) => p.isr.length === o.brokers), 180_000);
    event(
      rejoined.ms === undefined
        ? `node ${victim} not back in every ISR within 180 s`
        : `node ${victim} back in the ISR of every inbox partition ${rejoined.ms + restartMs} ms after its restart began`,
    );
    const appliedAfterKillMs = await firstAppliedAfterKill;
    event(
      appliedAfterKillMs === undefined
        ? 'no event accepted after the kill was applied within 180 s'
        : `first event accepted after the kill applied at node ${CHONGQING} ${appliedAfterKillMs} ms after the kill`,
    );

    await streaming;
    await client.settle();
    event(`stopped streaming: ${client.requests.length} requests sent`);

    // Drain: every accepted event in the history of both nodes.
    const accepted = client.requests.filter((r) => r.eventId);
    const ids = accepted.map((r) => r.eventId!);
    const databases: Record<string, string> = { [CHONGQING]: nodeDb, [SICHUAN]: `${prefix}_node_${SICHUAN}` };
    const drainDeadline = Date.now() + 180_000;
    let drained: Record<string, number> = {};
    while (Date.now() < drainDeadline) {
      drained = {};
      for (const region of [CHONGQING, SICHUAN]) {
        drained[region] = await appliedCount(databases[region], ids);
      }
      if (drained[CHONGQING] === ids.length && drained[SICHUAN] === ids.length) break;
      await sleep(1000);
    }
    event(`drained: ${drained[CHONGQING]}/${ids.length} at ${CHONGQING}, ${drained[SICHUAN]}/${ids.length} at ${SICHUAN}`);

    // The proof, case by case: the accepted events of the case, in the order the client had them accepted
    // (a withdrawal is sent only once its submission was accepted), against each node's case history.
    const caseIds = [...new Set(accepted.map((r) => r.caseId))];
    const histories: Record<string, Map<string, string[]>> = {};
    for (const region of [CHONGQING, SICHUAN]) {
      const rows = caseIds.length
        ? await withDb(databases[region], (q) =>
            q<{ case_id: string; event_id: string }>('SELECT case_id, event_id FROM case_events WHERE case_id IN (?) ORDER BY case_id, seq', [caseIds]),
          )
        : [];
      const byCase = new Map<string, string[]>();
      for (const r of rows) byCase.set(r.case_id, [...(byCase.get(r.case_id) ?? []), r.event_id]);
      histories[region] = byCase;
    }
    cases = caseIds.map((caseId) => {
      const mine = accepted.filter((r) => r.caseId === caseId).sort((a, b) => (a.follows === undefined ? 0 : 1) - (b.follows === undefined ? 0 : 1));
      const want = mine.map((r) => r.eventId!);
      const history: Record<string, string[]> = {};
      let lost = 0;
      let doubled = 0;
      let outOfOrder = false;
      for (const region of [CHONGQING, SICHUAN]) {
        const got = histories[region].get(caseId) ?? [];
        history[region] = got;
        lost += want.filter((e) => !got.includes(e)).length;
        doubled += want.filter((e) => got.filter((g) => g === e).length > 1).length;
        const order = got.filter((e, i) => want.includes(e) && got.indexOf(e) === i);
        if (order.length === want.length && order.some((e, i) => e !== want[i])) outOfOrder = true;
      }
      return { caseId, accepted: want, history, lost, doubled, outOfOrder };
    });
    const refused = client.requests.filter((r) => r.refused);
    const unanswered = client.requests.filter((r) => !r.eventId && !r.refused);
    const lost = cases.reduce((n, c) => n + c.lost, 0);
    const doubled = cases.reduce((n, c) => n + c.doubled, 0);
    const reordered = cases.filter((c) => c.outOfOrder).length;
    for (const r of refused.slice(0, 5)) problems.push(`request ${r.n} (${r.caseId}) refused: ${r.refused}`);
    if (refused.length) problems.push(`${refused.length} requests refused by the gateway`);
    if (unanswered.length) problems.push(`${unanswered.length} requests never accepted within 2 minutes of retries`);
    if (lost) problems.push(`${lost} accepted events missing from a node's case history (e.g. ${cases.find((c) => c.lost)?.caseId})`);
    // Where a missing event was lost: never in the addressed inbox although the relay marked its row sent (the
    // send was acknowledged), or in the inbox but not applied by the node.
    const missingHere = cases.flatMap((c) => c.accepted.filter((e) => !c.history[CHONGQING].includes(e)));
    if (missingHere.length) {
      const copies = new Map<string, number>();
      const wanted = new Set(missingHere);
      await eachTopicMessage(
        kafka,
        inbox,
        (m) => {
          const e = m.headers['tongban-event-id'];
          if (e && wanted.has(e)) copies.set(e, (copies.get(e) ?? 0) + 1);
        },
        60_000,
      );
      const sent = await withDb(`${prefix}_gateway`, (q) =>
        q<{ event_id: string; sent_at: Date | null }>('SELECT event_id, sent_at FROM outbox_events WHERE topic = ? AND event_id IN (?)', [inbox, missingHere]),
      );
      for (const e of missingHere.slice(0, 5)) {
        const row = sent.find((r) => r.event_id === e);
        problems.push(
          `event ${e}: ${copies.get(e) ?? 0} copies in ${inbox}; its outbox row ${row ? (row.sent_at ? `marked sent at ${row.sent_at.toISOString()}` : 'not sent') : 'absent'}`,
        );
      }
    }
    if (doubled) problems.push(`${doubled} accepted events applied more than once at a node (e.g. ${cases.find((c) => c.doubled)?.caseId})`);
    if (reordered)
      problems.push(`${reordered} cases whose history at a node is not in the order of acceptance (e.g. ${cases.find((c) => c.outOfOrder)?.caseId})`);
    if (moved.ms === undefined) problems.push('the inbox partitions kept a dead leader');
    if (rejoined.ms === undefined) problems.push(`node ${victim} did not rejoin the ISRs`);
    if (appliedAfterKillMs === undefined) problems.push('nothing accepted after the kill was applied in time');

    Object.assign(figures, {
      brokers: o.brokers,
      replicationFactor: 3,
      minInsyncReplicas: Number(minIsr),
      partitions: leaders.length,
      requests: client.requests.length,
      accepted: accepted.length,
      cases: caseIds.length,
      retriedRequests: client.retriedRequests,
      refused: refused.length,
      unanswered: unanswered.length,
      lost,
      doubled,
      reorderedCases: reordered,
      killedNode: victim,
      killedNodeLedPartitions: victimPartitions,
      leadersMovedMs,
      firstAppliedAfterKillMs: appliedAfterKillMs,
      restartMs,
      backInIsrMs: rejoined.ms === undefined ? undefined : rejoined.ms + restartMs,
    });
    ok = problems.length === 0 && accepted.length > 0;
  } finally {
    clearInterval(sampler);
    await admin.disconnect().catch(() => undefined);
    await services.stopAll();
    await broker.infra('kafka-stop').catch((e) => log(`  could not stop the chaos quorum: ${(e as Error).message}`));
    if (!o.keep) {
      await broker.remove().catch(() => undefined);
      for (const db of ['gateway', `node_${SICHUAN}`, `node_${CHONGQING}`, 'registry'])
        await dropDatabase(MACHINE_MYSQL, `${prefix}_${db}`).catch(() => undefined);
    }
  }

  const load = loads.length ? { mean: round(loads.reduce((a, b) => a + b, 0) / loads.length), max: round(Math.max(...loads)) } : undefined;
  const mem = {
    brokersMb: Math.round(memory.brokersKb / 1024),
    servicesMb: Math.round(memory.servicesKb / 1024),
    totalMb: Math.round(memory.totalKb / 1024),
    machineMb: Math.round(totalmem() / 2 ** 20),
    minFreeMb: memory.minFreeMb,
  };
  if (o.json) {
    const failing = cases.filter((c) => c.lost || c.doubled || c.outOfOrder);
    console.log(JSON.stringify({ ok, date: new Date().toISOString(), figures, memory: mem, load, problems, timeline, failingCases: failing }, null, 2));
  } else {
    const f = figures as Record<string, number | number[] | undefined>;
    const row = (name: string, value: unknown) => console.log(`  ${name.padEnd(44)} ${value ?? '-'}`);
    console.log('\nWhat happened');
    for (const line of timeline) console.log(`  ${line}`);
    console.log('\nFigures');
    row('Kafka nodes / replication factor / min ISR', `${f.brokers} / ${f.replicationFactor} / ${f.minInsyncReplicas}`);
    row('requests sent / accepted (202) / cases', `${f.requests} / ${f.accepted} / ${f.cases}`);
    row('retried by the client / refused / never accepted', `${f.retriedRequests} / ${f.refused} / ${f.unanswered}`);
    row('lost / applied twice / cases out of order', `${f.lost} / ${f.doubled} / ${f.reorderedCases}`);
    row(
      'node killed (inbox partitions it led)',
      f.killedNode === undefined ? undefined : `${f.killedNode} (${(f.killedNodeLedPartitions as number[]).join(',')})`,
    );
    row('new leaders for every partition after (ms)', f.leadersMovedMs);
    row('first event accepted after the kill applied (ms)', f.firstAppliedAfterKillMs);
    row('restarted node answers after (ms)', f.restartMs);
    row('restarted node back in every ISR after (ms)', f.backInIsrMs);
    row(
      'memory peak: Kafka nodes / services / sum (MB)',
      `${mem.brokersMb} / ${mem.servicesMb} / ${mem.totalMb} (machine ${mem.machineMb}, least free ${mem.minFreeMb})`,
    );
    row('load average (1 min) mean / max', load ? `${load.mean} / ${load.max}` : undefined);
    if (cases.length) {
      console.log('\nPer case (first 10 and every failing one)');
      console.log(`  ${'case'.padEnd(34)} ${'accepted'.padStart(8)} ${`at ${CHONGQING}`.padStart(10)} ${`at ${SICHUAN}`.padStart(10)} lost doubled order`);
      const shown = [...cases.slice(0, 10), ...cases.slice(10).filter((c) => c.lost || c.doubled || c.outOfOrder)];
      for (const c of shown) {
        console.log(
          `  ${c.caseId.padEnd(34)} ${String(c.accepted.length).padStart(8)} ${String(c.history[CHONGQING].length).padStart(10)} ${String(c.history[SICHUAN].length).padStart(10)} ${String(c.lost).padStart(4)} ${String(c.doubled).padStart(7)} ${c.outOfOrder ? 'WRONG' : 'ok'}`,
        );
      }
      if (cases.length > shown.length) console.log(`  ... ${cases.length - shown.length} more cases, all correct`);
    }
    console.log(`\nVerdict: ${ok ? 'PASS: every accepted event applied exactly once at each node, in order' : 'FAIL'}`);
    for (const p of problems) console.log(`  - ${p}`);
  }
  process.exit(ok ? 0 : 1);
}

const round = (n: number) => Math.round(n * 10) / 10;

main().catch((e) => {
  console.error(`\nchaos (brokers) failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
