import { Partitioners } from 'kafkajs';
import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';
import { readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait';

const CHENGDU = 'dev-chengdu';

describe('records carry headers that off-the-shelf tools recognise', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('gives every inbox record the CloudEvents binary-mode attributes, read by a plain kafkajs consumer', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-ce`);
    const accepted = await post(stack, body, CHENGDU);
    expect(accepted.status).toBe(202);
    const eventId = accepted.body.eventId as string;

    const record = await waitFor(async () => {
      const all = await readTopic(stack.kafka, stack.inbox('500000'));
      return all.find((m) => m.headers.ce_id === eventId);
    }, 'the record on the Chongqing inbox');
    expect(record.key).toBe(body.caseId);
    expect(record.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: eventId,
      ce_type: 'cn.tongban.subsidy.v1.SubsidyApplicationSubmitted',
      ce_source: `urn:tongban:division:${body.sourceRegion}`,
      ce_time: new Date(body.occurredAt).toISOString(),
      ce_subject: body.caseId,
      'content-type': 'application/avro',
      'tongban-event-id': eventId,
    });
    // The value is the Confluent wire format the content type announces: magic byte 0, then the schema id.
    expect(record.value?.[0]).toBe(0);
  });

  it('gives a dead letter Kafka Connect’s error headers naming the original topic, partition and offset', async () => {
    const inbox = stack.inbox('500000');
    const key = `GARBAGE-CE-${stack.id}`;
    const producer = stack.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const [written] = await producer.send({ topic: inbox, acks: -1, messages: [{ key, value: Buffer.from('not avro at all') }] });
    await producer.disconnect();

    const dead = await waitFor(
      async () => {
        const all = await readTopic(stack.kafka, `${inbox}.dlq`).catch(() => []);
        return all.find((m) => m.key === key);
      },
      'the garbage on the dead-letter topic',
      60_000,
      500,
    );
    expect(dead.headers).toMatchObject({
      '__connect.errors.topic': inbox,
      '__connect.errors.partition': String(written.partition),
      '__connect.errors.offset': String(written.baseOffset),
      '__connect.errors.exception.class.name': 'DecodeFailure',
    });
    expect(dead.headers['__connect.errors.exception.message']).toMatch(/./);
  });
});
