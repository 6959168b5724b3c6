import { Kafka } from 'kafkajs';
import { uniqueId } from '../support/unique';
import { admin, caFile, client, credentials, ensureProvinces, grantMirror, infra, linkAddress, SIDE } from './province-stack';

/**
 * The listener a province opens for the other one (9093 Sichuan, 9095 Chongqing; side ports here):
 * TLS with the province's own CA and host name checks, then SCRAM; the mirror's principal reads only
 * what it replicates.
 */
describe('the link listener between the provinces', () => {
  const sc = SIDE.sichuan;
  const cq = SIDE.chongqing;
  const ns = `t-${uniqueId()}`;
  const topics = { inbox: `${ns}.500000.inbox`, dlq: `${ns}.500000.inbox.dlq`, own: `${ns}.510000.inbox` };
  let started = false;

  beforeAll(async () => {
    started = ensureProvinces();
    const a = admin(sc).admin();
    await a.connect();
    await a.createTopics({ waitForLeaders: true, topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })) });
    await a.disconnect();
    const producer = admin(sc).producer();
    await producer.connect();
    for (const topic of Object.values(topics)) await producer.send({ topic, messages: [{ key: 'case-1', value: `to ${topic}` }] });
    await producer.disconnect();
    await grantMirror(ns, sc, cq);
  }, 600_000);

  afterAll(async () => {
    const a = admin(sc).admin();
    await a.connect();
    await a.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await a.disconnect();
    if (started && !process.env.TONGBAN_PROVINCES_TEST_KEEP) infra('kafka-down');
  }, 120_000);

  const describeCluster = async (kafka: Kafka) => {
    const a = kafka.admin();
    await a.connect();
    try {
      return await a.describeCluster();
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  };

  it('refuses a client that does not trust the province CA (the system CAs only)', async () => {
    const kafka = client(linkAddress(sc), 'no-ca', credentials(sc, 'mirror-500000'), { enabled: true });
    await expect(describeCluster(kafka)).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  });

  it("refuses a client that trusts only the other province's CA", async () => {
    const kafka = client(linkAddress(sc), 'other-ca', credentials(sc, 'mirror-500000'), { enabled: true, caFile: caFile(cq) });
    await expect(describeCluster(kafka)).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  });

  it('checks the host name: the broker certificate (127.0.0.1, localhost) is refused for another name', async () => {
    const { readFileSync } = await import('node:fs');
    const kafka = client(linkAddress(sc), 'wrong-name', credentials(sc, 'mirror-500000'), {
      raw: { ca: [readFileSync(caFile(sc), 'utf8')], servername: 'kafka.chongqing.example' },
    });
    await expect(describeCluster(kafka)).rejects.toThrow(/altnames|does not match|Hostname\/IP/i);
  });

  it.each([
    ['Sichuan', sc],
    ['Chongqing', cq],
  ])('refuses a plaintext SASL client on the link port of %s', async (_name, p) => {
    const kafka = client(linkAddress(p), 'plaintext', credentials(p, 'admin'), { enabled: false });
    await expect(describeCluster(kafka)).rejects.toThrow();
  });

  it('refuses the right CA with a wrong password', async () => {
    const kafka = client(
      linkAddress(sc),
      'bad-password',
      { username: 'mirror-500000', password: 'not-it', mechanism: 'scram-sha-512' },
      { enabled: true, caFile: caFile(sc) },
    );
    await expect(describeCluster(kafka)).rejects.toThrow(/SASL|authentication/i);
  });

  it('lets a client with the province CA and SCRAM in, and the broker it reaches is the TLS listener', async () => {
    const kafka = client(linkAddress(sc), 'with-ca', credentials(sc, 'mirror-500000'), { enabled: true, caFile: caFile(sc) });
    const cluster = await describeCluster(kafka);
    expect(cluster.brokers).toEqual([expect.objectContaining({ host: '127.0.0.1', port: sc.link })]);
  });

  it("lets Chongqing's mirror read Chongqing's inbox in Sichuan and nothing else: no dead letters, no other inbox, no writes", async () => {
    const kafka = client(linkAddress(sc), 'mirror-acl', credentials(sc, 'mirror-500000'), { enabled: true, caFile: caFile(sc) });
    const a = kafka.admin();
    await a.connect();
    try {
      const offsets = await a.fetchTopicOffsets(topics.inbox);
      expect(offsets[0].high).toBe('1');
      await expect(a.fetchTopicOffsets(topics.dlq)).rejects.toThrow(/not authorized|authorization/i);
      await expect(a.fetchTopicOffsets(topics.own)).rejects.toThrow(/not authorized|authorization/i);
      const listed = await a.listTopics();
      expect(listed).toContain(topics.inbox);
      expect(listed).not.toContain(topics.dlq);
      expect(listed).not.toContain(topics.own);
    } finally {
      await a.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic: topics.inbox, messages: [{ value: 'forged' }] })).rejects.toThrow(/not authorized|authorization/i);
    } finally {
      await producer.disconnect();
    }
  });
});
