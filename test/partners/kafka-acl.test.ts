import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kafkajs from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir, localSecret, repoRoot } from '@tongban/config';
import { createKafka, KafkaCredentials, kafkaCredentialsFile, kafkaSecurityOptions, resolveKafkaCredentials } from '@tongban/kafka';
import { startPartnerInboxConsumer } from '@tongban/partner-client';
import { InboxLagReader } from '../../services/ops/src/pipeline/pipeline-readers';
import { example } from '../support/examples';
import { BROKERS } from '../support/test-stack';
import { developmentRegistryAuth, startTestRegistry } from '../support/test-registry';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { aclPlan, applyAcls } = require('../../infra/scripts/kafka-acls.js') as {
  aclPlan(text: string, ns: string, nodes: string[]): unknown[];
  applyAcls(admin: kafkajs.Admin, acls: unknown[], k: typeof kafkajs): Promise<number>;
};

/**
 * Real SASL/SCRAM credentials against a broker with ACLs: the broker under test when it runs with SASL
 * (the default), otherwise a broker of this test's own, started with TONGBAN_KAFKA_SECURITY=sasl.
 */
const SIDE = { port: '29192', controller: '29193', data: '/tmp/tongban-acl-test-kafka', run: '/tmp/tongban-acl-test-run' };
const infra = (command: string) =>
  execFileSync('bash', [join(repoRoot(), 'infra/scripts/infra.sh'), command], {
    env: {
      ...process.env,
      TONGBAN_KAFKA_SECURITY: 'sasl',
      TONGBAN_KAFKA_PORT: SIDE.port,
      TONGBAN_KAFKA_CONTROLLER_PORT: SIDE.controller,
      TONGBAN_KAFKA_DATA_DIR: SIDE.data,
      TONGBAN_INFRA_RUN_DIR: SIDE.run,
    },
    stdio: 'pipe',
    timeout: 240_000,
  });

describe('direct Kafka reading with SASL/SCRAM and ACLs', () => {
  let brokers = BROKERS;
  let ownBroker = false;
  let admin: Kafka;
  const ns = `t-${uniqueId()}`;
  const inbox = (node: string) => `${ns}.${node}.inbox`;
  const as = (username: string, password?: string): Kafka =>
    createKafka(brokers, `acl-test-${username}`, undefined, {
      username,
      password: password ?? (kafkaCredentialsFile(brokers)!.content.users as Record<string, string>)[username],
      mechanism: 'scram-sha-512',
    } as KafkaCredentials);

  beforeAll(async () => {
    if (!resolveKafkaCredentials(brokers)) {
      infra('kafka-start');
      ownBroker = true;
      brokers = [`127.0.0.1:${SIDE.port}`];
    }
    admin = createKafka(brokers, 'acl-test-admin');
    const a = admin.admin();
    await a.connect();
    await a.createTopics({ waitForLeaders: true, topics: ['510000', '500000'].map((n) => ({ topic: inbox(n), numPartitions: 1 })) });
    await applyAcls(a, aclPlan(readFileSync(join(repoRoot(), 'infra/config/kafka-acls.conf'), 'utf8'), ns, ['510000', '500000']), kafkajs);
    await a.disconnect();
    const producer = admin.producer();
    await producer.connect();
    for (const n of ['510000', '500000']) await producer.send({ topic: inbox(n), messages: [{ key: 'k', value: `hello ${n}` }] });
    await producer.disconnect();
  }, 240_000);

  afterAll(async () => {
    const a = admin?.admin();
    if (a) {
      await a.connect();
      await a.deleteTopics({ topics: [inbox('510000'), inbox('500000')] }).catch(() => undefined);
      await a.disconnect();
    }
    if (ownBroker) infra('kafka-stop');
  });

  /** Reads one message, or answers the error that stopped the consumer. */
  async function tryRead(kafka: Kafka, topic: string, groupId: string): Promise<string> {
    const consumer = kafka.consumer({ groupId, retry: { retries: 0 } });
    let outcome: string | undefined;
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs reports a refused group as "failed to find group coordinator", the broker's code in its cause.
      const err = e.payload.error as Error & { type?: string; cause?: { type?: string; message?: string } };
      outcome ??= `crash: ${err.type ?? err.message} ${err.cause?.type ?? err.cause?.message ?? ''}`;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void (outcome ??= `read: ${message.value?.toString()}`) });
      return await waitFor(async () => outcome, `a message or an error on ${topic}`, 30_000);
    } catch (e) {
      return `error: ${(e as { type?: string }).type ?? (e as Error).message}`;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  it('lets a region read its own inbox with its own group', async () => {
    expect(await tryRead(as('partner-500000'), inbox('500000'), `partner.500000.${uniqueId()}`)).toBe('read: hello 500000');
  });

  it('refuses a region another region’s inbox', async () => {
    expect(await tryRead(as('partner-500000'), inbox('510000'), `partner.500000.${uniqueId()}`)).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
  });

  it('refuses a region another region’s consumer group', async () => {
    // The broker refuses FindCoordinator for the group; kafkajs reports that as no coordinator found.
    expect(await tryRead(as('partner-500000'), inbox('500000'), `partner.510000.${uniqueId()}`)).toMatch(/group coordinator/);
    const partnerAdmin = as('partner-500000').admin();
    await partnerAdmin.connect();
    try {
      await expect(partnerAdmin.fetchOffsets({ groupId: `partner.510000.${uniqueId()}`, topics: [inbox('500000')] })).rejects.toThrow(/group coordinator/);
      await expect(partnerAdmin.fetchOffsets({ groupId: `partner.500000.${uniqueId()}`, topics: [inbox('500000')] })).resolves.toBeDefined();
    } finally {
      await partnerAdmin.disconnect();
    }
  });

  it('refuses a region writing into its inbox, and a wrong password', async () => {
    const producer = as('partner-500000').producer();
    await producer.connect();
    await expect(producer.send({ topic: inbox('500000'), messages: [{ value: 'forged' }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    await producer.disconnect();
    const wrong = new Kafka({
      clientId: 'wrong',
      brokers,
      ...kafkaSecurityOptions({ username: 'partner-500000', password: 'not-the-password', mechanism: 'scram-sha-512' }),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    await expect(wrong.admin().connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|Authentication failed/i);
  });

  it('keeps each service principal to what it uses', async () => {
    expect(await tryRead(as('region-node-510000'), inbox('510000'), `${ns}.region-node.510000`)).toBe('read: hello 510000');
    expect(await tryRead(as('region-node-510000'), inbox('500000'), `${ns}.region-node.510000`)).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    const relay = as('relay').producer();
    await relay.connect();
    await expect(relay.send({ topic: inbox('510000'), messages: [{ value: 'relayed' }] })).resolves.toBeDefined();
    await relay.disconnect();
    expect(await tryRead(as('relay'), inbox('510000'), `${ns}.relay`)).toMatch(/AUTHORIZATION_FAILED|group coordinator/);
    expect(await tryRead(as('delivery'), inbox('500000'), `${ns}.region-node.500000`)).toMatch(/AUTHORIZATION_FAILED|group coordinator/);
    expect(await tryRead(as('delivery'), inbox('500000'), `${ns}.delivery.test`)).toBe('read: hello 500000');
  });

  it('lets ops read the lag of its namespace’s groups on the inboxes for the console, and no partner’s', async () => {
    const nodeGroup = `${ns}.region-node.500000`;
    const partnerGroup = `partner.500000.${uniqueId()}`;
    const a = admin.admin();
    await a.connect();
    try {
      for (const groupId of [nodeGroup, partnerGroup]) await a.setOffsets({ groupId, topic: inbox('500000'), partitions: [{ partition: 0, offset: '0' }] });
    } finally {
      await a.disconnect();
    }
    const ops = as('ops').admin();
    await ops.connect();
    try {
      const groups = await new InboxLagReader(ops, `${ns}.`, [inbox('510000'), inbox('500000')]).read();
      expect(groups).toContainEqual(expect.objectContaining({ group: nodeGroup, members: 0, partitions: [{ topic: inbox('500000'), partition: 0, lag: 1 }] }));
      expect(groups.map((g) => g.group).filter((g) => !g.startsWith(`${ns}.`))).toEqual([]);
      await expect(ops.fetchOffsets({ groupId: partnerGroup, topics: [inbox('500000')] })).rejects.toThrow(/group coordinator|authoriz/i);
    } finally {
      await ops.disconnect();
    }
  });

  it('lets a partner decode its inbox through the registry and commit, as the example shows', async () => {
    const registry = await startTestRegistry(`tb_${ns.replace(/-/g, '_')}_registry`);
    try {
      const codec = new AvroCodec(
        new SchemaCatalogue(join(contractsDir(), 'avro')),
        new SchemaRegistryClient(registry.url, { auth: developmentRegistryAuth() }),
        true,
      );
      const body = example('SubsidyApplicationSubmitted', ns);
      const eventId = '7f1c3c2e-3d5b-4c1e-9a51-0c7e8d6b5a40';
      const value = await codec.encode('SubsidyApplicationSubmitted', {
        envelope: {
          eventId,
          eventType: body.eventType,
          caseId: body.caseId,
          sourceRegion: body.sourceRegion,
          targetRegion: body.targetRegion,
          sourceOffice: null,
          occurredAt: body.occurredAt,
          correlationId: eventId,
          causationId: null,
          producer: 'test',
          schemaVersion: 1,
        },
        ...body.payload,
      });
      const producer = admin.producer();
      await producer.connect();
      await producer.send({ topic: inbox('500000'), messages: [{ key: body.caseId, value }] });
      await producer.disconnect();

      const seen: string[] = [];
      const creds = kafkaCredentialsFile(brokers)!.content.users as Record<string, string>;
      const groupId = `partner.500000.${uniqueId()}`;
      const consumer = await startPartnerInboxConsumer({
        brokers,
        username: 'partner-500000',
        password: creds['partner-500000'],
        node: '500000',
        namespace: ns,
        groupId,
        schemaRegistryUrl: registry.url,
        schemaRegistryAuth: { username: 'partner', password: localSecret('schema-registry-reader-password') },
        onEvent: async (e) => void seen.push(`${e.eventType}:${(e.value.envelope as { eventId: string }).eventId}`),
      });
      // The plain text message of the first test does not decode: the example notes it and moves on.
      await waitFor(async () => (seen.includes(`SubsidyApplicationSubmitted:${eventId}`) ? true : undefined), 'the decoded event');
      await consumer.disconnect();
      expect(seen).toEqual([`SubsidyApplicationSubmitted:${eventId}`]);
      const committed = admin.admin();
      await committed.connect();
      const offsets = await committed.fetchOffsets({ groupId, topics: [inbox('500000')] });
      await committed.disconnect();
      expect(Number(offsets[0].partitions[0].offset)).toBeGreaterThanOrEqual(2);
    } finally {
      await registry.close();
    }
  });
});
