import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Admin, ConfigResourceTypes } from 'kafkajs';
import { repoRoot } from '@tongban/config';
import { createKafka } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { topics } from '@tongban/regions';
import { dropProvinceDatabaseUser, ProvinceLayout, provinceDatabaseUser, twoProvinces } from '../stack/provinces';
import { dropProvinceRedisUser, provinceRedisUser } from '../stack/redis-users';
import { SideBroker } from '../stack/side-broker';
import { startStack } from '../stack/stack';
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
 *
 * npm run chaos -- --brokers 3 --provinces: the same across the link: Sichuan and Chongqing each a cluster of
 * three nodes, MirrorMaker 2 between them over TLS, each province's own services (as `npm start` runs them).
 * Chengdu's events go in at Sichuan's gateway, addressed to Chongqing; first the node leading Chongqing's inbox
 * in Chongqing's cluster (where the mirror writes and the node reads) is killed, then, as soon as that cluster has
 * new leaders (its node still down), the one leading it in Sichuan's cluster (where the relay writes and the mirror
 * reads): for a while each province runs on two of its three nodes. `--one-at-a-time` waits instead until the first
 * node is back in every ISR before the second kill.
 */

interface Options {
  brokers: number;
  provinces: boolean;
  seconds: number;
  rate: number;
  kafkaPort: number;
  portBase: number;
  downSeconds: number;
  followUpEvery: number;
  json: boolean;
  keep: boolean;
  /** With two clusters: the second kill only once the first node is back (default: once the first has new leaders). */
  oneAtATime: boolean;
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
    provinces: argv.includes('--provinces'),
    // At least; the stream goes on until the last kill is over.
    seconds: arg('seconds', 60),
    rate: arg('rate', 10),
    kafkaPort: arg('kafka-port', argv.includes('--provinces') ? 29800 : 29700),
    portBase: arg('port-base', 3800),
    downSeconds: arg('down-seconds', 10),
    followUpEvery: arg('follow-up-every', 3),
    json: argv.includes('--json'),
    keep: argv.includes('--keep'),
    oneAtATime: argv.includes('--one-at-a-time'),
  };
  if (o.brokers !== 3 && o.brokers !== 5) throw new Error(`--brokers must be 3 or 5 (a quorum that survives the loss of one node), got ${o.brokers}`);
  return o;
}

const CHONGQING = '500000';
/** Seconds the stream goes on after the last kill is over. */
const AFTER_LAST_KILL_S = 10;
const SICHUAN = '510000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cluster the run can kill a node of: its name, its client addresses, and node n's port and pid. */
interface KillableCluster {
  name: string;
  brokers: string[];
  nodePort(node: number): number;
  kill(node: number): Promise<void>;
  start(node: number): Promise<void>;
  pid(node: number): number | undefined;
}

/** What a run stands on: one cluster (a province's) or both provinces and their link. */
interface Quorum extends SideBroker {
  clusters: KillableCluster[];
}

/** The chaos broker as a quorum: the same infra.sh run with its own dirs and ports, N nodes two ports apart. */
class QuorumBroker extends ChaosBroker implements Quorum {
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
    this.clusters = [
      {
        name: 'Kafka',
        brokers: this.brokers,
        nodePort: (node) => this.nodePort(node),
        kill: (node) => this.infra('kafka-kill-node', String(node)),
        start: (node) => this.infra('kafka-start-node', String(node)),
        pid: (node) => nodePid(this.env.TONGBAN_INFRA_RUN_DIR, `kafka-node${node}.pid`),
      },
    ];
  }

  readonly clusters: KillableCluster[];

  override get brokers(): string[] {
    return Array.from({ length: this.nodes }, (_, i) => `127.0.0.1:${this.nodePort(i + 1)}`);
  }

  nodePort(node: number): number {
    return this.port + 2 * (node - 1);
  }
}

/**
 * Both provinces as infra.sh's two-province layout starts them, each a quorum of N nodes, and MirrorMaker 2 each
 * way over TLS, on ports from `port` (Sichuan port, link, controller; Chongqing the same from port + 3; node n of
 * each on every port + 100(n-1)), with its own data, run and secrets folders.
 */
class QuorumProvinces extends SideBroker implements Quorum {
  constructor(
    port: number,
    readonly nodes: number,
  ) {
    const dir = process.env.TONGBAN_CHAOS_DIR ?? join(tmpdir(), `tongban-chaos-provinces-${port}`);
    super(port, dir, {
      TONGBAN_PROVINCES: 'two',
      TONGBAN_KAFKA_BROKERS_PER_CLUSTER: String(nodes),
      TONGBAN_KAFKA_LINK_PORT: String(port + 1),
      TONGBAN_KAFKA_CONTROLLER_PORT: String(port + 2),
      TONGBAN_KAFKA_CQ_PORT: String(port + 3),
      TONGBAN_KAFKA_CQ_LINK_PORT: String(port + 4),
      TONGBAN_KAFKA_CQ_CONTROLLER_PORT: String(port + 5),
      TONGBAN_KAFKA_DATA_DIR: join(dir, 'kafka-510000'),
      TONGBAN_KAFKA_CQ_DATA_DIR: join(dir, 'kafka-500000'),
      TONGBAN_SECRETS_DIR: join(dir, 'secrets'),
      TONGBAN_MIRROR_TOPICS_REFRESH: '2',
      TONGBAN_KAFKA_START_TIMEOUT: process.env.TONGBAN_KAFKA_START_TIMEOUT ?? '300',
    });
    // Each province's nodes as the services find them (twoProvinces lays them out as infra.sh does).
    this.clusters = twoProvinces(this.env).map((p) => ({
      name: p.alias === 'sichuan' ? 'Sichuan' : 'Chongqing',
      brokers: p.brokers,
      nodePort: (node) => Number(p.brokers[node - 1].split(':')[1]),
      kill: (node) => this.infra('kafka-kill-node', String(node), p.code),
      start: (node) => this.infra('kafka-start-node', String(node), p.code),
      pid: (node) => nodePid(this.env.TONGBAN_INFRA_RUN_DIR, `kafka${p.code === SICHUAN ? '' : `-${p.code}`}-node${node}.pid`),
    }));
  }

  readonly clusters: KillableCluster[];

  protected override get startCommand(): string {
    return 'kafka-up';
  }

  /** Both clusters and both mirrors (infra.sh kafka-down). */
  override stop(): Promise<void> {
    return this.infra('kafka-down');
  }

  /** The two provinces on these clusters, their services on ports from `servicePorts` (six each). */
  layout(servicePorts: number): ProvinceLayout[] {
    const at = (b: number) => ({ gateway: b, registry: b + 1, node: b + 2, relay: b + 3, ops: b + 4, delivery: b + 5 });
    return twoProvinces(this.env, { sichuan: at(servicePorts), chongqing: at(servicePorts + 10) });
  }

  override get brokers(): string[] {
    return this.clusters.flatMap((c) => c.brokers);
  }
}

/** Pid of a running node, from the pid file infra.sh keeps in the run dir. */
function nodePid(runDir: string, file: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(runDir, file), 'utf8').trim());
    return pid > 0 && rssKb(pid) !== undefined ? pid : undefined;
  } catch {
    return undefined;
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

/** What one kill of an inbox leader showed. */
interface KillFigures {
  cluster: string;
  killedNode: number;
  killedNodeLedPartitions: number[];
  leadersMovedMs?: number;
  firstAppliedAfterKillMs?: number;
  restartMs: number;
  backInIsrMs?: number;
}

/**
 * Kills (kill -9) the node of `cluster` that leads most of the inbox's partitions, waits for new leaders, starts it
 * again after `downSeconds` and waits until it is back in every ISR; meanwhile measures how long until the first
 * event accepted after the kill is applied at the addressed node (`nodeDb`). `leadersMoved` is called once the
 * cluster's inbox has new leaders.
 */
async function killLeader(
  cluster: KillableCluster,
  admin: Admin,
  inbox: string,
  client: Client,
  nodeDb: string,
  downSeconds: number,
  event: (what: string) => void,
  leadersMoved: () => void,
): Promise<KillFigures> {
  const leaders = await inboxPartitions(admin, inbox);
  const led = new Map<number, number[]>();
  for (const p of leaders) led.set(p.leader, [...(led.get(p.leader) ?? []), p.partition]);
  const [victim, victimPartitions] = [...led].sort((a, b) => b[1].length - a[1].length || a[0] - b[0])[0];
  const brokers = leaders[0]?.isr.length ?? 0;
  const requestsBeforeKill = client.requests.length;
  const killedAt = Date.now();
  await cluster.kill(victim);
  event(`kill -9 ${cluster.name} Kafka node ${victim} (port ${cluster.nodePort(victim)}), leader of inbox partitions ${victimPartitions.join(',')}`);
  // The first event accepted after the kill: how long until the addressed node has applied it (watched from now on,
  // while the leaders move).
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

  const moved = await until(admin, inbox, (ps) => ps.every((p) => p.leader >= 0 && p.leader !== victim), 60_000);
  const leadersMovedMs = moved.ms === undefined ? undefined : Date.now() - killedAt;
  event(
    moved.ms === undefined
      ? `the inbox partitions in ${cluster.name} did not get new leaders within 60 s`
      : `every inbox partition in ${cluster.name} led by a live node ${leadersMovedMs} ms after the kill`,
  );
  leadersMoved();

  await sleep(downSeconds * 1000);
  const t0 = Date.now();
  await cluster.start(victim);
  const restartMs = Date.now() - t0;
  event(`${cluster.name} Kafka node ${victim} restarted (answers after ${restartMs} ms)`);
  const rejoined = await until(admin, inbox, (ps) => ps.every((p) => p.isr.length === brokers), 180_000);
  event(
    rejoined.ms === undefined
      ? `node ${victim} not back in every ISR within 180 s`
      : `node ${victim} back in the ISR of every inbox partition ${rejoined.ms + restartMs} ms after its restart began`,
  );
  const firstAppliedAfterKillMs = await firstAppliedAfterKill;
  event(
    firstAppliedAfterKillMs === undefined
      ? 'no event accepted after the kill was applied within 180 s'
      : `first event accepted after the kill applied at node ${CHONGQING} ${firstAppliedAfterKillMs} ms after the kill`,
  );
  return {
    cluster: cluster.name,
    killedNode: victim,
    killedNodeLedPartitions: victimPartitions,
    leadersMovedMs,
    firstAppliedAfterKillMs,
    restartMs,
    backInIsrMs: rejoined.ms === undefined ? undefined : rejoined.ms + restartMs,
  };
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
  const quorum: QuorumBroker | QuorumProvinces = o.provinces ? new QuorumProvinces(o.kafkaPort, o.brokers) : new QuorumBroker(o.kafkaPort, o.brokers);
  // This process and the services find the quorum's generated credentials here (TONGBAN_SECRETS_DIR is passed on).
  process.env.TONGBAN_SECRETS_DIR = quorum.env.TONGBAN_SECRETS_DIR;
  const logDir = join(repoRoot(), '.tongban', 'logs', `chaos-brokers-${id}`);
  const provinces = quorum instanceof QuorumProvinces ? quorum.layout(o.portBase) : undefined;
  const gatewayPort = provinces ? provinces[0].ports.gateway : o.portBase;
  const nodePorts = { [SICHUAN]: o.portBase + 11, [CHONGQING]: o.portBase + 12 };
  const inbox = topics.inbox(namespace, CHONGQING);
  // Each node's database, and the accepting gateway's: `<prefix>_<name>` on one cluster, `<prefix>_<tag>_<name>` per province.
  const database = (name: string, province?: ProvinceLayout) => (province ? `${provinceDatabaseUser(prefix, province).user}_${name}` : `${prefix}_${name}`);
  const databases: Record<string, string> = provinces
    ? { [CHONGQING]: database(`node_${CHONGQING}`, provinces[1]), [SICHUAN]: database(`node_${SICHUAN}`, provinces[0]) }
    : { [CHONGQING]: database(`node_${CHONGQING}`), [SICHUAN]: database(`node_${SICHUAN}`) };
  const gatewayDb = database('gateway', provinces?.[0]);
  const where = provinces ? `two provinces of ${o.brokers} Kafka nodes each, MirrorMaker 2 between them` : `${o.brokers} Kafka nodes`;

  log(`tongban chaos: ${where} (RF 3, min.insync.replicas 2, acks=all), ${o.seconds} s of events at ${o.rate}/s, kill -9 of the inbox's leader`);
  const clusters = quorum.clusters;
  for (const c of clusters)
    log(
      `  ${c.name} nodes on 127.0.0.1:${c.brokers.map((b) => b.split(':')[1]).join(',')} (own data in ${quorum.dir}), services on ${o.portBase}+, logs in ${logDir}`,
    );
  event(`starting ${where}`);
  const t0Kafka = Date.now();
  await quorum.fresh().catch(async (e) => {
    await quorum.stop().catch(() => undefined);
    throw e;
  });
  event(`Kafka ready after ${Date.now() - t0Kafka} ms`);
  const admins = clusters.map((cluster) => {
    const kafka = createKafka(cluster.brokers, `chaos-brokers-${id}`);
    return { cluster, kafka, admin: kafka.admin() };
  });

  let stopServices: () => Promise<void> = async () => undefined;
  let runningPids: () => number[] = () => [];

  // Memory: the largest resident sizes seen, sampled every 2 s.
  const memory = { brokersKb: 0, servicesKb: 0, totalKb: 0, minFreeMb: Math.round(freemem() / 2 ** 20) };
  const loads: number[] = [];
  const sampler = setInterval(() => {
    const brokersKb = clusters
      .flatMap((c) => Array.from({ length: o.brokers }, (_, i) => c.pid(i + 1)))
      .reduce<number>((sum, pid) => sum + (pid ? (rssKb(pid) ?? 0) : 0), 0);
    const servicesKb = runningPids().reduce((sum, pid) => sum + (rssKb(pid) ?? 0), 0);
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
  const kills: KillFigures[] = [];
  try {
    for (const a of admins) await a.admin.connect();
    const partitions = 6;
    // The inbox exists beforehand in every cluster it passes through, node 1 leading each partition. Leaders are
    // awaited here: a busy broker may answer kafkajs's own leader check for a topic it has just created with
    // "does not host this topic-partition".
    for (const { cluster, admin } of admins) {
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
      if (created.ms === undefined)
        throw new Error(`${inbox} has no leader for every partition in ${cluster.name} 60 s after it was created: ${JSON.stringify(created.last)}`);
    }
    const topicSettings = { TONGBAN_TOPIC_REPLICATION_FACTOR: '3', TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '2' };
    if (provinces) {
      // Each province's services as `npm start` runs them (own MySQL and Redis users, mirror ACLs for the namespace).
      const stack = await startStack(
        {
          provinces,
          namespace,
          databasePrefix: prefix,
          logDir,
          extraEnv: { TONGBAN_LOG_LEVEL: 'warn', TONGBAN_RETRY_DELAYS: '2s,5s,10s', ...topicSettings },
        },
        (line) => event(line),
      );
      stopServices = stack.stop;
      runningPids = () => stack.services.flatMap((s) => (s.child.pid && s.child.exitCode === null ? [s.child.pid] : []));
    } else {
      const specs = chaosStackSpecs({
        namespace,
        databasePrefix: prefix,
        portBase: o.portBase,
        gatewayPort,
        nodePorts,
        brokers: quorum.brokers,
        extraEnv: topicSettings,
      });
      const services = new ChaosServices(logDir, 120_000, quorum);
      stopServices = () => services.stopAll();
      runningPids = () => [...services.running.values()].flatMap((s) => (s.child.pid && s.child.exitCode === null ? [s.child.pid] : []));
      for (const spec of specs) {
        await services.start(spec);
        event(`${spec.name} is up`);
      }
    }
    let minIsr: string | undefined;
    for (const { cluster, admin } of admins) {
      const before = await until(admin, inbox, (ps) => ps.every((p) => p.isr.length === o.brokers), 60_000);
      if (before.ms === undefined) throw new Error(`${inbox} has no full ISR in ${cluster.name} before the test: ${JSON.stringify(before.last)}`);
      const meta = (
        await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: inbox, configNames: ['min.insync.replicas'] }],
        })
      ).resources[0];
      minIsr = meta.configEntries.find((c) => c.configName === 'min.insync.replicas')?.configValue;
      event(`${inbox} in ${cluster.name}: ${before.last.length} partitions, replicas on ${o.brokers} nodes, min.insync.replicas ${minIsr}`);
    }

    const client = new Client(`http://127.0.0.1:${gatewayPort}`, runTag, o.followUpEvery);
    const streamUntil = Date.now() + o.seconds * 1000;
    const streamStart = Date.now();
    event(
      `streaming ${o.rate} events/s for ${o.seconds} s and until ${AFTER_LAST_KILL_S} s after the last kill is over (one case in ${o.followUpEvery} also gets a withdrawal after its submission)`,
    );
    // Every kill happens under load: the stream ends only once the last killed node is back and has seen traffic.
    const streaming = client.stream(o.rate, Number.MAX_SAFE_INTEGER);

    // The victims: in each cluster the inbox passes through, last first (where the node reads it, then where it
    // enters), the node that leads most of its partitions; the first a third into the stream (a quarter with two).
    // The next kill comes once the previous cluster has new leaders (its node still down), or with --one-at-a-time
    // once that node is back in every ISR.
    const order = [...admins].reverse();
    await sleep(Math.max(0, streamStart + (o.seconds * 1000) / (order.length + 2) - Date.now()));
    let previous: Promise<unknown> = Promise.resolve();
    const killing = order.map(({ cluster, admin }) => {
      const after = previous;
      let moved!: () => void;
      const leadersMoved = new Promise<void>((resolve) => (moved = resolve));
      // The next kill waits at most until this one is over, whatever became of it.
      const kill = after.then(() => killLeader(cluster, admin, inbox, client, databases[CHONGQING], o.downSeconds, event, moved)).finally(() => moved());
      previous = o.oneAtATime ? kill.catch(() => undefined) : leadersMoved;
      return kill;
    });
    for (const k of await Promise.all(killing)) {
      kills.push(k);
      if (k.leadersMovedMs === undefined) problems.push(`the inbox partitions in ${k.cluster} kept a dead leader`);
      if (k.backInIsrMs === undefined) problems.push(`node ${k.killedNode} of ${k.cluster} did not rejoin the ISRs`);
      if (k.firstAppliedAfterKillMs === undefined) problems.push(`nothing accepted after the kill in ${k.cluster} was applied in time`);
    }
    await sleep(Math.max(AFTER_LAST_KILL_S * 1000, streamUntil - Date.now()));
    client.stop();

    await streaming;
    await client.settle();
    event(`stopped streaming: ${client.requests.length} requests sent`);

    // Drain: every accepted event in the history of both nodes.
    const accepted = client.requests.filter((r) => r.eventId);
    const ids = accepted.map((r) => r.eventId!);
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
    // Where a missing event was lost: never in the addressed inbox (of each cluster it passes through) although the
    // relay marked its row sent (the send was acknowledged), or in the inbox but not applied by the node.
    const missingHere = cases.flatMap((c) => c.accepted.filter((e) => !c.history[CHONGQING].includes(e)));
    if (missingHere.length) {
      const wanted = new Set(missingHere);
      const copies = new Map<string, number[]>();
      for (const [i, { kafka }] of admins.entries()) {
        await eachTopicMessage(
          kafka,
          inbox,
          (m) => {
            const e = m.headers['tongban-event-id'];
            if (!e || !wanted.has(e)) return;
            const counts = copies.get(e) ?? admins.map(() => 0);
            counts[i]++;
            copies.set(e, counts);
          },
          60_000,
        );
      }
      const sent = await withDb(gatewayDb, (q) =>
        q<{ event_id: string; sent_at: Date | null }>('SELECT event_id, sent_at FROM outbox_events WHERE topic = ? AND event_id IN (?)', [inbox, missingHere]),
      );
      for (const e of missingHere.slice(0, 5)) {
        const row = sent.find((r) => r.event_id === e);
        const inClusters = admins.map((a, i) => `${copies.get(e)?.[i] ?? 0} in ${a.cluster.name}`).join(', ');
        problems.push(
          `event ${e}: copies in ${inbox}: ${inClusters}; its outbox row ${row ? (row.sent_at ? `marked sent at ${row.sent_at.toISOString()}` : 'not sent') : 'absent'}`,
        );
      }
    }
    if (doubled) problems.push(`${doubled} accepted events applied more than once at a node (e.g. ${cases.find((c) => c.doubled)?.caseId})`);
    if (reordered)
      problems.push(`${reordered} cases whose history at a node is not in the order of acceptance (e.g. ${cases.find((c) => c.outOfOrder)?.caseId})`);

    Object.assign(figures, {
      topology: provinces ? 'provinces' : 'one cluster',
      brokers: o.brokers,
      replicationFactor: 3,
      minInsyncReplicas: Number(minIsr),
      partitions,
      requests: client.requests.length,
      accepted: accepted.length,
      cases: caseIds.length,
      retriedRequests: client.retriedRequests,
      refused: refused.length,
      unanswered: unanswered.length,
      lost,
      doubled,
      reorderedCases: reordered,
      kills,
    });
    ok = problems.length === 0 && accepted.length > 0 && kills.length === clusters.length;
  } finally {
    clearInterval(sampler);
    for (const a of admins) await a.admin.disconnect().catch(() => undefined);
    await stopServices().catch(() => undefined);
    await quorum.stop().catch((e) => log(`  could not stop the chaos quorum: ${(e as Error).message}`));
    if (!o.keep) {
      await quorum.remove().catch(() => undefined);
      for (const db of Object.values(databases).concat(gatewayDb, database('registry', provinces?.[0])))
        await dropDatabase(MACHINE_MYSQL, db).catch(() => undefined);
      for (const p of provinces ?? []) {
        for (const db of ['gateway', 'registry', 'ops', 'delivery']) await dropDatabase(MACHINE_MYSQL, database(db, p)).catch(() => undefined);
        await dropDatabase(MACHINE_MYSQL, database(`node_${p.code}`, p)).catch(() => undefined);
        await dropProvinceDatabaseUser(provinceDatabaseUser(prefix, p).user).catch(() => undefined);
        await dropProvinceRedisUser(provinceRedisUser(namespace, p).username).catch(() => undefined);
      }
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
    const f = figures as Record<string, number | string | undefined>;
    const row = (name: string, value: unknown) => console.log(`  ${name.padEnd(44)} ${value ?? '-'}`);
    console.log('\nWhat happened');
    for (const line of timeline) console.log(`  ${line}`);
    console.log('\nFigures');
    row('topology', f.topology);
    row('Kafka nodes / replication factor / min ISR', `${f.brokers} / ${f.replicationFactor} / ${f.minInsyncReplicas}`);
    row('requests sent / accepted (202) / cases', `${f.requests} / ${f.accepted} / ${f.cases}`);
    row('retried by the client / refused / never accepted', `${f.retriedRequests} / ${f.refused} / ${f.unanswered}`);
    row('lost / applied twice / cases out of order', `${f.lost} / ${f.doubled} / ${f.reorderedCases}`);
    for (const k of kills) {
      row(`${k.cluster}: node killed (inbox partitions it led)`, `${k.killedNode} (${k.killedNodeLedPartitions.join(',')})`);
      row(`${k.cluster}: new leaders for every partition (ms)`, k.leadersMovedMs);
      row(`${k.cluster}: first event after the kill applied (ms)`, k.firstAppliedAfterKillMs);
      row(`${k.cluster}: restarted node answers after (ms)`, k.restartMs);
      row(`${k.cluster}: restarted node back in every ISR (ms)`, k.backInIsrMs);
    }
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
