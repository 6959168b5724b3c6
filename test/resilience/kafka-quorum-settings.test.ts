import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';
import { childEnv } from '../../tools/stack/stack';

/**
 * TONGBAN_KAFKA_BROKERS_PER_CLUSTER: what infra.sh would start for a cluster of several nodes, read from the
 * functions it is made of (sourced, nothing started). The real start, kill -9 and restart of one node under
 * load is `npm run chaos -- --brokers 3`.
 */
describe('infra.sh with several Kafka nodes per cluster', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tongban-quorum-settings-'));
    mkdirSync(join(dir, 'secrets', 'kafka'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'kafka', '127.0.0.1-29900.json'), '{\n  "users": {\n    "admin": "secret1"\n  }\n}\n');
    // The two provinces of the province tests below: Sichuan from 29910, Chongqing from 29913, and their mirror users.
    for (const [port, pw] of [
      [29910, 'sc'],
      [29913, 'cq'],
    ])
      writeFileSync(
        join(dir, 'secrets', 'kafka', `127.0.0.1-${port}.json`),
        `{\n  "users": {\n    "admin": "admin${pw}",\n    "mirror-500000": "m5${pw}",\n    "mirror-510000": "m1${pw}"\n  }\n}\n`,
      );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `script` after sourcing infra.sh with a cluster on 29900 (controller 29901) in the test's folder. */
  const infra = (script: string, env: Record<string, string>) =>
    spawnSync('bash', ['-c', `source infra/scripts/infra.sh; ${script}`], {
      cwd: repoRoot(),
      encoding: 'utf8',
      env: childEnv(process.env, {
        TONGBAN_KAFKA_PORT: '29900',
        TONGBAN_KAFKA_CONTROLLER_PORT: '29901',
        TONGBAN_KAFKA_DATA_DIR: join(dir, 'kafka'),
        TONGBAN_KAFKA_CQ_DATA_DIR: join(dir, 'kafka-500000'),
        TONGBAN_INFRA_RUN_DIR: join(dir, 'run'),
        TONGBAN_SECRETS_DIR: join(dir, 'secrets'),
        ...env,
      }),
    });
  const three = { TONGBAN_PROVINCES: 'single', TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '3' };
  const provincesOfThree = {
    TONGBAN_PROVINCES: 'two',
    TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '3',
    TONGBAN_KAFKA_PORT: '29910',
    TONGBAN_KAFKA_LINK_PORT: '29911',
    TONGBAN_KAFKA_CONTROLLER_PORT: '29912',
    TONGBAN_KAFKA_CQ_PORT: '29913',
    TONGBAN_KAFKA_CQ_LINK_PORT: '29914',
    TONGBAN_KAFKA_CQ_CONTROLLER_PORT: '29915',
  };

  it('gives each of three nodes its id, its ports two apart, its own storage, and the quorum of all three', () => {
    const r = infra(
      'check_settings; kafka_select single; kafka_select_node 2; render_kafka_props; echo "$KAFKA_LOG_DIRS|$KAFKA_LOG|$KAFKA_NAME|$KAFKA_HEAP_OPTS"; cat "$KAFKA_PROPS"',
      three,
    );
    expect(r.stderr).toBe('');
    const [where, ...props] = r.stdout.split('\n');
    expect(where).toBe(`${join(dir, 'kafka', 'quorum-3', 'node-2', 'logs')}|${join(dir, 'run', 'kafka-node2.log')}|kafka-2|-Xms128m -Xmx384m`);
    const setting = (name: string) => props.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
    expect(setting('node.id')).toBe('2');
    expect(setting('controller.quorum.voters')).toBe('1@127.0.0.1:29901,2@127.0.0.1:29903,3@127.0.0.1:29905');
    expect(setting('listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:29902,CONTROLLER://127.0.0.1:29903');
    expect(setting('default.replication.factor')).toBe('3');
    expect(setting('min.insync.replicas')).toBe('2');
    expect(setting('offsets.topic.replication.factor')).toBe('3');
    expect(setting('transaction.state.log.replication.factor')).toBe('3');
    expect(setting('transaction.state.log.min.isr')).toBe('2');
  });

  it('keeps one node with its former names, replication factor 1, when the setting is absent', () => {
    const r = infra('check_settings; kafka_select single; render_kafka_props; echo "$KAFKA_LOG_DIRS|$KAFKA_LOG|$KAFKA_NAME"; cat "$KAFKA_PROPS"', {});
    expect(r.stderr).toBe('');
    const [where, ...props] = r.stdout.split('\n');
    expect(where).toBe(`${join(dir, 'kafka', 'logs')}|${join(dir, 'run', 'kafka.log')}|kafka`);
    expect(props).toEqual(
      expect.arrayContaining(['node.id=1', 'controller.quorum.voters=1@127.0.0.1:29901', 'default.replication.factor=1', 'min.insync.replicas=1']),
    );
  });

  it('refuses an even number of nodes, and a node that does not exist', () => {
    expect(infra('check_settings', { TONGBAN_PROVINCES: 'single', TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '2' }).stderr).toMatch(/must be 1, 3 or 5/);
    expect(infra('check_settings; kafka_select single; kafka_select_node 4', three).stderr).toMatch(/no Kafka node '4': the cluster has nodes 1 to 3/);
    expect(infra('main kafka-kill-node 2', { TONGBAN_PROVINCES: 'single' }).stderr).toMatch(/kafka has one node/);
    expect(infra('main kafka-kill-node 2 500000', { TONGBAN_PROVINCES: 'two' }).stderr).toMatch(/kafka-chongqing has one node/);
  });

  it('gives node 2 of a province of three its ports 100 apart, its own link listener and certificate, and the province quorum', () => {
    const r = infra(
      'check_settings; kafka_select 500000; kafka_select_node 2; render_kafka_props; echo "$KAFKA_LOG_DIRS|$KAFKA_LOG|$KAFKA_NAME|$TLS_KEYSTORE"; cat "$KAFKA_PROPS"',
      provincesOfThree,
    );
    expect(r.stderr).toBe('');
    const [where, ...props] = r.stdout.split('\n').filter((l) => !l.startsWith('[infra]'));
    expect(where).toBe(
      `${join(dir, 'kafka-500000', 'quorum-3', 'node-2', 'logs')}|${join(dir, 'run', 'kafka-500000-node2.log')}|kafka-chongqing-2|${join(dir, 'secrets', 'tls', '500000', 'broker-127.0.0.1-30014.p12')}`,
    );
    const setting = (name: string) => props.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
    expect(setting('node.id')).toBe('2');
    expect(setting('controller.quorum.voters')).toBe('1@127.0.0.1:29915,2@127.0.0.1:30015,3@127.0.0.1:30115');
    expect(setting('listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:30013,LINK://127.0.0.1:30014,CONTROLLER://127.0.0.1:30015');
    expect(setting('advertised.listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:30013,LINK://127.0.0.1:30014');
    expect(setting('default.replication.factor')).toBe('3');
    expect(setting('min.insync.replicas')).toBe('2');
  });

  it('has each mirror bootstrap from every node of both provinces and keep its own topics in three copies', () => {
    mkdirSync(join(dir, 'secrets', 'tls', '510000'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'tls', '510000', 'ca.pem'), 'not read here\n');
    const r = infra('check_settings; mirror_select 500000; render_mirror_props; cat "$MIRROR_PROPS"', provincesOfThree);
    expect(r.stderr).toBe('');
    const props = r.stdout.split('\n');
    const setting = (name: string) => props.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
    expect(setting('sichuan.bootstrap.servers')).toBe('127.0.0.1:29911,127.0.0.1:30011,127.0.0.1:30111');
    expect(setting('chongqing.bootstrap.servers')).toBe('127.0.0.1:29913,127.0.0.1:30013,127.0.0.1:30113');
    expect(setting('sichuan.sasl.jaas.config')).toContain('password="m5sc"');
    expect(setting('chongqing.sasl.jaas.config')).toContain('password="m5cq"');
    for (const name of [
      'replication.factor',
      'offset-syncs.topic.replication.factor',
      'config.storage.replication.factor',
      'offset.storage.replication.factor',
    ])
      expect(setting(name)).toBe('3');
  });

  it('refuses ports of one node that another already uses', () => {
    const r = infra('check_settings', { ...three, TONGBAN_KAFKA_CONTROLLER_PORT: '29902' });
    expect(r.stderr).toMatch(/port 29902 is given to two Kafka listeners/);
    // Chongqing's link of node 1 where Sichuan's node 2 listens.
    expect(infra('check_settings', { ...provincesOfThree, TONGBAN_KAFKA_CQ_LINK_PORT: '30010' }).stderr).toMatch(/port 30010 is given to two Kafka listeners/);
  });

  describe('locks', () => {
    const holders: ChildProcess[] = [];
    // flock's command inherits the lock: the whole group goes.
    const release = () => holders.splice(0).forEach((h) => process.kill(-(h.pid as number), 'SIGKILL'));
    afterEach(release);
    /** Holds `file` of the run folder (shared or exclusive) the way another infra.sh would, until released. */
    const hold = async (file: string, shared = false) => {
      mkdirSync(join(dir, 'run'), { recursive: true });
      holders.push(spawn('flock', [...(shared ? ['-s'] : []), join(dir, 'run', file), 'sleep', '30'], { stdio: 'ignore', detached: true }));
      await new Promise((r) => setTimeout(r, 500));
    };
    /** Whether `lock` gets its lock; one that has to wait gives up after 1 s. */
    const gets = (lock: string) => {
      const r = spawnSync('bash', ['-c', `source infra/scripts/infra.sh; ${lock} && echo got`], {
        cwd: repoRoot(),
        encoding: 'utf8',
        timeout: 20_000,
        env: childEnv(process.env, { TONGBAN_INFRA_RUN_DIR: join(dir, 'run'), TONGBAN_INFRA_LOCK_WAIT: '1' }),
      });
      if (!r.stdout.includes('got')) expect(r.stderr).toMatch(/still busy after 1 s/);
      return r.stdout.includes('got');
    };

    it("lets a node command on one province's cluster run while one works on the other's, not two on the same", async () => {
      await hold('infra-500000.lock');
      expect(gets('with_cluster_lock 510000')).toBe(true);
      expect(gets('with_cluster_lock 500000')).toBe(false);
    });

    it('keeps node commands and whole-infrastructure commands (up, down, reset) apart', async () => {
      await hold('infra.lock');
      expect(gets('with_cluster_lock 510000')).toBe(false);
      release();
      await hold('infra.lock', true);
      expect(gets('with_lock')).toBe(false);
      expect(gets('with_cluster_lock 510000')).toBe(true);
    });
  });
});
