import { join } from 'node:path';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { HEADERS } from '@tongban/kafka';
import { eventIdFor } from '../../services/region-node/src/casework/infrastructure/follow-up.publisher';
import { readRaw } from '../partners/partner-support';
import { example } from '../support/examples';
import { getCase, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

const ZHAO = { idNumber: '500111194109030045', name: '赵桂兰', hukouDivision: '500111' };
const LI = '500111196804170022';

/**
 * A case belongs to the division that opened it: another division's events are refused before they
 * touch it and learn nothing from the refusal; its id cannot be taken first by someone else.
 */
describe('attack: acting on another division’s case', () => {
  let stack: TestStack;
  let codec: AvroCodec;

  /** The CaseEventRejected the refusing node sent back for `refusedEventId`, raw and decoded. */
  async function rejectionOf(refusedEventId: string, inboxOf: string) {
    const [message] = await readRaw(stack.kafka, stack.inbox(inboxOf), eventIdFor(`rejection:${refusedEventId}`));
    const decoded = (await codec.decode(message.value)).value as Record<string, unknown>;
    return { raw: (message.value as Buffer).toString('utf8'), decoded };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    codec = new AvroCodec(new SchemaCatalogue(join(contractsDir(), 'avro')), new SchemaRegistryClient(stack.registryUrl, { auth: stack.registryAuth }), false);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an Anyue key withdrawing a Chengdu application is refused, the case untouched, and its refusal says no more than “unknown case”', async () => {
    const opened = example('SubsidyApplicationSubmitted', `${stack.id}-np`);
    expect((await post(stack, opened, 'dev-chengdu')).status).toBe(202);
    await waitFor(async () => ((await getCase(stack, opened.caseId, 'dev-dazu')).body.state === 'submitted' ? true : undefined), 'the case at Dazu');

    const withdrawal = example('SubsidyApplicationWithdrawn');
    Object.assign(withdrawal, { caseId: opened.caseId, sourceRegion: '512021' });
    const sent = await post(stack, withdrawal, 'dev-anyue');
    expect(sent.status).toBe(202);

    const { raw, decoded } = await rejectionOf(sent.body.eventId as string, '510000');
    expect(decoded).toMatchObject({ refusedEventId: sent.body.eventId, reasonCode: 'UNKNOWN_CASE', caseState: null, relatedCaseId: null });
    expect(decoded.reasonText).toMatch(/^UNKNOWN_CASE: /);
    expect(raw).not.toMatch(/submitted|not a party|accepting|responsible/);

    const atDazu = await getCase(stack, opened.caseId, 'dev-dazu');
    expect(atDazu.body.state).toBe('submitted');
    const refused = (atDazu.body.history as Array<{ eventId: string; outcome: string }>).find((h) => h.eventId === sent.body.eventId);
    expect(refused).toMatchObject({ outcome: 'rejected' });
    expect((await getCase(stack, opened.caseId, 'dev-anyue')).status).toBe(404);
  });

  it('an Anyue key opening a case under a Chengdu case id gets 400; sent past the gateway, the node refuses it; Chengdu still opens it', async () => {
    const caseId = `SUB-510104-2026-000777-${stack.id}`;
    const squat = example('SubsidyApplicationSubmitted');
    Object.assign(squat, { caseId, sourceRegion: '512021' });
    Object.assign(squat.payload, { applicant: ZHAO, certificateNumber: `${ZHAO.idNumber}41`, residence: { division: '512021', detail: '安岳县岳阳镇 1 号' } });
    const refused = await post(stack, squat, 'dev-anyue');
    expect(refused.status).toBe(400);
    expect((refused.body.error as { details: Array<{ path: string; problem: string }> }).details).toEqual([
      { path: 'caseId', problem: expect.stringContaining('<a division code 512021 covers>') },
    ]);

    // The same event written straight into Dazu's inbox (a gateway that does not check, a replay):
    // the node refuses it before it meets any case, and says nothing about the case.
    const eventId = '3b8f9a52-6c1d-4e0f-9a7b-2d5e8c4f1a60';
    const value = await codec.encode('SubsidyApplicationSubmitted', {
      envelope: {
        eventId,
        eventType: squat.eventType,
        caseId,
        sourceRegion: '512021',
        targetRegion: '500111',
        sourceOffice: null,
        occurredAt: squat.occurredAt,
        correlationId: eventId,
        causationId: null,
        producer: 'municipal:512021:test',
        schemaVersion: 1,
      },
      ...squat.payload,
    });
    const producer = stack.kafka.producer();
    await producer.connect();
    await producer.send({ topic: stack.inbox('500000'), messages: [{ key: caseId, value, headers: { [HEADERS.eventId]: eventId } }] });
    await producer.disconnect();
    const { decoded } = await rejectionOf(eventId, '510000');
    expect(decoded).toMatchObject({ reasonCode: 'NOT_RESPONSIBLE', caseState: null });
    expect(decoded.reasonText).toMatch(/^CASE_ID_NOT_OWNED: /);
    // Dazu, the addressee, holds the refused event as its part of the exchange, but no case.
    const before = await getCase(stack, caseId, 'dev-dazu');
    expect(before.body.state).toBeUndefined();
    expect(before.body.view === undefined || before.body.view === 'participant').toBe(true);

    const real = example('SubsidyApplicationSubmitted');
    real.caseId = caseId;
    Object.assign(real.payload, { applicant: ZHAO, certificateNumber: `${ZHAO.idNumber}41` });
    expect((await post(stack, real, 'dev-chengdu')).status).toBe(202);
    const atDazu = await waitFor(async () => {
      const c = await getCase(stack, caseId, 'dev-dazu');
      return c.body.state === 'submitted' ? c.body : undefined;
    }, 'the Chengdu case at Dazu');
    expect(atDazu).toMatchObject({ acceptingRegion: '510104', responsibleRegion: '500111' });
    expect((await getCase(stack, caseId, 'dev-anyue')).status).toBe(404);
  });

  it('a refusal sent back across regions carries no ID number (certificate of another person)', async () => {
    const wrong = example('SubsidyApplicationSubmitted', `${stack.id}-cert`);
    wrong.payload.certificateNumber = `${ZHAO.idNumber}41`;
    const sent = await post(stack, wrong, 'dev-chengdu');
    expect(sent.status).toBe(202);
    const { raw, decoded } = await rejectionOf(sent.body.eventId as string, '510000');
    expect(decoded.reasonText).toMatch(/CERTIFICATE_MISMATCH/);
    expect(raw).not.toContain(ZHAO.idNumber);
    expect(raw).not.toContain(LI);
  });
});
