import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kafkajs from 'kafkajs';
import { Kafka, KafkaMessage } from 'kafkajs';
import { repoRoot } from '@tongban/config';
import { createKafka, headerText, HEADERS, KafkaCredentials, kafkaCredentialsFile, resolveKafkaCredentials } from '@tongban/kafka';
import { topics } from '@tongban/regions';
import { example } from '../support/examples';
import { BROKERS, getCase, post, startTestStack, TestStack } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { aclPlan, applyAcls } = require('../../infra/scripts/kafka-acls.js') as {
  aclPlan(text: string, ns: string, nodes: string[]): unknown[];
  applyAcls(admin: kafkajs.Admin, acls: unknown[], k: typeof kafkajs): Promise<number>;
};

const CAUSE = '急性心肌梗死 acute myocardial infarction';

/**
 * A partner region reading its inbox with its own SCRAM credentials receives only the copies addressed
 * to it, minimised; the publisher's own copy (all fields) sits on a topic only its node may read.
 */
describe('attack: a partner principal reading the publisher’s own copies', () => {
  let stack: TestStack;
  const as = (username: string): Kafka =>
    createKafka(BROKERS, `security-${username}`, undefined, {
      username,
      password: (kafkaCredentialsFile(BROKERS)!.content.users as Record<string, string>)[username],
      mechanism: 'scram-sha-512',
    } as KafkaCredentials);

  /** Everything a principal can read of a topic until `until` has been seen (and a moment more), or the error that stopped it. */
  async function readAs(kafka: Kafka, topic: string, groupId: string, until?: string): Promise<{ messages: KafkaMessage[]; error?: string }> {
    const consumer = kafka.consumer({ groupId, retry: { retries: 0 } });
    const messages: KafkaMessage[] = [];
    let error: string | undefined;
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error as Error & { type?: string; cause?: { type?: string } };
      error ??= `${err.type ?? err.message} ${err.cause?.type ?? ''}`;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
      await waitFor(
        async () => (error || !until || messages.some((m) => headerText(m.headers as Record<string, unknown>, HEADERS.eventId) === until) ? true : undefined),
        `${until ?? 'anything'} on ${topic}`,
        30_000,
      );
      if (!error) await new Promise((r) => setTimeout(r, 2000));
    } catch (e) {
      error ??= (e as { type?: string }).type ?? (e as Error).message;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return { messages, error };
  }

  const idsOf = (messages: KafkaMessage[]) => messages.map((m) => headerText(m.headers as Record<string, unknown>, HEADERS.eventId));
  const bytesOf = (messages: KafkaMessage[]) => messages.map((m) => (m.value as Buffer).toString('utf8')).join('\n');

  beforeAll(async () => {
    if (!resolveKafkaCredentials(BROKERS)) throw new Error('these tests need the broker with SASL/SCRAM and ACLs (npm run infra:up)');
    stack = await startTestStack();
    const admin = stack.kafka.admin();
    await admin.connect();
    await applyAcls(admin, aclPlan(readFileSync(join(repoRoot(), 'infra/config/kafka-acls.conf'), 'utf8'), stack.namespace, ['510000', '500000']), kafkajs);
    await admin.disconnect();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('partner-510000 reading the Sichuan inbox gets the copies addressed to Sichuan, never Chengdu’s own full copy', async () => {
    const death = example('DeathRegistered', `${stack.id}-own`);
    death.payload.causeOfDeath = CAUSE;
    const informantId = (death.payload.informant as { idNumber: string }).idNumber;
    const published = await post(stack, death, 'dev-chengdu');
    expect(published.status).toBe(202);
    // Addressed to Sichuan by Dazu: what partner-510000 is meant to read.
    const forSichuan = await post(stack, example('SubsidyApplicationAcknowledged', `${stack.id}-ack`), 'dev-dazu');
    expect(forSichuan.status).toBe(202);
    await waitFor(async () => ((await getCase(stack, death.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the death at Dazu');

    const sichuan = await readAs(as('partner-510000'), stack.inbox('510000'), `partner.510000.${uniqueId()}`, forSichuan.body.eventId as string);
    expect(sichuan.error).toBeUndefined();
    expect(idsOf(sichuan.messages)).toContain(forSichuan.body.eventId);
    expect(idsOf(sichuan.messages)).not.toContain(published.body.eventId);
    expect(bytesOf(sichuan.messages)).not.toContain('acute myocardial infarction');
    expect(bytesOf(sichuan.messages)).not.toContain(informantId);

    // Dazu, the addressee, reads its minimised copy: no cause of death, no informant ID.
    const dazu = await readAs(as('partner-500000'), stack.inbox('500000'), `partner.500000.${uniqueId()}`, published.body.eventId as string);
    const addressed = dazu.messages.filter((m) => headerText(m.headers as Record<string, unknown>, HEADERS.eventId) === published.body.eventId);
    expect(addressed).toHaveLength(1);
    expect(bytesOf(addressed)).toContain('500111194109030045');
    expect(bytesOf(addressed)).not.toContain('acute myocardial infarction');
    expect(bytesOf(addressed)).not.toContain(informantId);
    // ... and never Dazu's own copy of the acknowledgement it sent to Sichuan.
    expect(idsOf(dazu.messages)).not.toContain(forSichuan.body.eventId);
  });

  it('partner-510000 asking for the node’s local topic of own copies is refused by the broker', async () => {
    const local = topics.local(stack.namespace, '510000');
    const refused = await readAs(as('partner-510000'), local, `partner.510000.${uniqueId()}`);
    expect(refused.error).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    expect(refused.messages).toEqual([]);
    expect((await readAs(as('delivery'), local, `${stack.namespace}.delivery.${uniqueId()}`)).error).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
  });
});
