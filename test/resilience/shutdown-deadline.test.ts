import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { repoRoot } from '@tongban/config';
import { createKafka } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { topics } from '@tongban/regions';
import { RunningService, spawnService, stackServices, waitForHealth } from '../../tools/stack/stack';
import { eventHeaders, exampleEvent } from '../ops/ops-support';
import { BROKERS, MYSQL, post } from '../support/test-stack';
import { developmentRegistryAuth, startTestRegistry } from '../support/test-registry';
import { TcpProxy } from '../support/tcp-proxy';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { example } from '../support/examples';
import { freePort } from '../support/free-ports';

jest.setTimeout(240_000);

const DEADLINE_MS = 3000;

/** Sends SIGTERM and answers how long the process took to exit, and with which code. */
async function terminate(s: RunningService): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  const code = await exited;
  return { ms: Date.now() - started, code };
}

/**
 * A service stops within TONGBAN_SHUTDOWN_TIMEOUT_MS even while its database hangs (a proxy in front of
 * MariaDB stops carrying anything), and work it could not finish is not committed: it is done again.
 */
describe('shutdown with a deadline', () => {
  const id = uniqueId();
  const namespace = `t-${id}`;
  const prefix = `tb_${id}`;
  const logDir = join(tmpdir(), `tongban-shutdown-${id}`);
  let registry: { url: string; close(): Promise<void> };
  let proxy: TcpProxy;
  const children: RunningService[] = [];

  beforeAll(async () => {
    expect(existsSync(join(repoRoot(), 'dist/services/region-node/src/main.js'))).toBe(true); // npx tsc -p tsconfig.build.json
    registry = await startTestRegistry(`${prefix}_registry`);
    proxy = await new TcpProxy({ host: MYSQL.host, port: MYSQL.port }).start();
  });
  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await proxy?.stop();
    await registry?.close();
    for (const db of ['gateway', 'node_500000']) await dropDatabase(MYSQL, `${prefix}_${db}`).catch(() => undefined);
    const kafka = createKafka(BROKERS, `cleanup-${id}`);
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  });

  const spec = async (name: string, mysqlPort: number) => {
    const nodePort = await freePort();
    const gatewayPort = await freePort();
    return stackServices({
      namespace,
      databasePrefix: prefix,
      registryPort: Number(new URL(registry.url).port),
      nodePorts: { '500000': nodePort },
      gatewayPort,
      extraEnv: {
        TONGBAN_KAFKA_BROKERS: BROKERS.join(','),
        TONGBAN_MYSQL_PORT: String(mysqlPort),
        TONGBAN_SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS),
        TONGBAN_NODE_GROUP: `${namespace}.region-node.500000`,
        // The node that hung did not leave its group: the restarted one gets the partitions once that member's
        // session has expired (30 s by default).
        TONGBAN_KAFKA_SESSION_TIMEOUT_MS: '10000',
      },
    }).find((s) => s.name === name)!;
  };
  const start = async (name: string, mysqlPort: number) => {
    const s = await spec(name, mysqlPort);
    const running = spawnService(s, logDir);
    children.push(running);
    await waitForHealth(s.healthUrl, 90_000, running.child);
    return running;
  };

  it('the region node exits within the deadline with its database hanging; the event is applied after the restart', async () => {
    const node = await start('region-node-500000', proxy.port);
    const inbox = topics.inbox(namespace, '500000');
    const codec = new AvroCodec(
      new SchemaCatalogue(join(repoRoot(), 'contracts/avro')),
      new SchemaRegistryClient(registry.url, { auth: developmentRegistryAuth() }),
    );
    const event = exampleEvent('SubsidyApplicationSubmitted', `${id}-stuck`);
    const kafka = createKafka(BROKERS, `test-${id}`);
    const producer = kafka.producer();
    await producer.connect();
    proxy.freeze();
    const [sent] = await producer.send({
      topic: inbox,
      acks: -1,
      messages: [{ key: event.envelope.caseId, value: await codec.encode('SubsidyApplicationSubmitted', event), headers: eventHeaders(event) }],
    });
    await producer.disconnect();
    // Let the node read it and hang on the database.
    await new Promise((r) => setTimeout(r, 4000));
    const { ms, code } = await terminate(node);
    expect(ms).toBeLessThan(DEADLINE_MS + 2500);
    expect(code).toBe(1);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: `${namespace}.region-node.500000`, topics: [inbox] });
      const at = committed.partitions.find((p) => p.partition === sent.partition);
      // Not past the unfinished event.
      expect(Number(at?.offset ?? -1)).toBeLessThanOrEqual(Number(sent.baseOffset));
    } finally {
      await admin.disconnect();
    }

    await proxy.restore();
    const again = await start('region-node-500000', MYSQL.port);
    await waitFor(
      async () => {
        const conn = await createConnection({ ...MYSQL, database: `${prefix}_node_500000` });
        try {
          const [rows] = await conn.query('SELECT COUNT(*) AS n FROM case_events WHERE event_id = ?', [event.envelope.eventId]);
          return Number((rows as Array<{ n: number }>)[0].n) === 1 ? true : undefined;
        } finally {
          await conn.end();
        }
      },
      'the event applied once after the restart',
      90_000,
      500,
    );
    const stopped = await terminate(again);
    expect(stopped.code).toBe(0);
  });

  it('the gateway exits within the deadline with a request hanging on its database', async () => {
    const gateway = await start('gateway', proxy.port);
    const url = new URL(gateway.spec.healthUrl).origin;
    proxy.freeze();
    const inFlight = post({ gatewayUrl: url }, example('SubsidyApplicationSubmitted', `${id}-hanging`), 'dev-chengdu').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 1000));
    const { ms, code } = await terminate(gateway);
    expect(ms).toBeLessThan(DEADLINE_MS + 2500);
    expect(code).toBe(1);
    // The request was not answered 202: the client asks again (with its Idempotency-Key) later.
    const answer = await inFlight;
    expect(answer instanceof Error || (answer as { status: number }).status !== 202).toBe(true);
    await proxy.restore();
  });
});
