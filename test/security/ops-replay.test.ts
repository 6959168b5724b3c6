import { Kafka } from 'kafkajs';
import { TongbanError } from '@tongban/errors';
import { headerText } from '@tongban/kafka';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS } from '../ops/ops-support';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The messages an operator's corrected replay put on a topic, decoded as the node decodes them. */
async function editedCopies(kafka: Kafka, t: OpsTestStack, topic: string, eventId: string): Promise<Json[]> {
  const found: Json[] = [];
  const consumer = kafka.consumer({ groupId: `reader-${uniqueId()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!headerText(message.headers, 'tongban-edited-by') || !message.value) return;
      const decoded = (await t.codec.decode(message.value)).value as Json;
      if (decoded.envelope.eventId === eventId) found.push(decoded);
    },
  });
  try {
    await waitFor(async () => (found.length > 0 ? true : undefined), 'the corrected copy on the inbox topic', 30_000);
  } finally {
    await consumer.disconnect();
  }
  return found;
}

describe('attack: an operator bends a dead letter into another event', () => {
  let t: OpsTestStack;

  beforeAll(async () => {
    t = await startOpsStack();
  });

  afterAll(async () => {
    await t?.stop();
  });

  const park = async (event: ReturnType<typeof exampleEvent>) => {
    await parkEvent(t, '500000', event, new TongbanError('STORE_UNAVAILABLE', 'the case store did not answer'));
    return waitFor(async () => (await api(t, 'GET', `/v1/dlq?eventId=${event.envelope.eventId}`, TOKENS.viewer)).body.items?.[0], 'the parked letter');
  };
  const edit = (id: number, body: Json) => api(t, 'POST', `/v1/dlq/${id}/edit`, TOKENS.operator, body);
  const state = async (id: number) => (await api(t, 'GET', `/v1/dlq/${id}`, TOKENS.viewer)).body.state;

  it('moving the event to another case, region or producer is refused with 400 naming each envelope field, and nothing is sent', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    const item = await park(event);
    const moved = { ...event, envelope: { ...event.envelope, caseId: `SUB-OTHER-${uniqueId()}`, targetRegion: '510104', producer: 'municipal:500111:forged' } };
    const refused = await edit(item.id, { event: moved });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['envelope.caseId', 'envelope.producer', 'envelope.targetRegion']);
    expect(await state(item.id)).toBe('parked');
  });

  it('changing the event type is refused with 400', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    const item = await park(event);
    const refused = await edit(item.id, { event, eventType: 'DeathRegistered' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'eventType', problem: expect.stringContaining('must stay SubsidyApplicationSubmitted') }]);
  });

  it('a payload the gateway would refuse (bad ID check digit, blank consent reference) is refused with 400 by field', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    const item = await park(event);
    const bad = { ...event, applicant: { ...(event.applicant as Json), idNumber: '500111196804170023' }, consentRef: '  ' };
    const refused = await edit(item.id, { event: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['applicant.idNumber', 'consentRef']);
    expect(refused.body.error.details.find((d: { path: string }) => d.path === 'consentRef').problem).toContain('consent');
    expect(await state(item.id)).toBe('parked');
  });

  it('fields withheld from the recipient are stripped from the corrected copy on the wire, and the disclosure is recorded', async () => {
    const full = exampleEvent('DeathRegistered', uniqueId());
    // What the node's inbox really carries: the addressee's copy, without the cause of death or the informant's ID.
    const minimised = { ...full, causeOfDeath: null, informant: { ...(full.informant as Json), idNumber: null } };
    const item = await park(minimised);
    const smuggled = {
      ...minimised,
      causeOfDeath: 'cancer',
      informant: { ...(full.informant as Json) },
      placeOfDeath: { division: '510104', detail: '锦江区红星路二段 70 号' },
    };
    const replayed = await edit(item.id, { event: smuggled, note: 'corrected the address' });
    expect(replayed.status).toBe(200);
    const [copy] = await editedCopies(t.stack.kafka, t, t.stack.inbox('500000'), full.envelope.eventId);
    expect(copy.causeOfDeath).toBeNull();
    expect(copy.informant.idNumber).not.toBe('500111196605120014');
    expect(copy.placeOfDeath.detail).toBe('锦江区红星路二段 70 号');
    expect(copy.envelope).toEqual(expect.objectContaining({ caseId: full.envelope.caseId, targetRegion: full.envelope.targetRegion }));

    const [audit] = (await api(t, 'GET', `/v1/audit?action=dlq.edit-replay&caseId=${full.envelope.caseId}`, TOKENS.operator)).body.entries;
    expect(audit.details.changedFields).toEqual(['placeOfDeath.detail']);
    expect(audit.details.withheld).toEqual(expect.arrayContaining(['causeOfDeath', 'informant.idNumber']));
    const disclosures = await t.ops.dataSource.query(
      "SELECT actor, details FROM audit_entries WHERE chain = 'disclosures' AND action = 'personal-data-disclosed' AND details LIKE ?",
      [`%${full.envelope.eventType}%`],
    );
    const mine = disclosures.map((d: { actor: string; details: string }) => ({ actor: d.actor, details: JSON.parse(d.details) }));
    expect(mine).toContainEqual({
      actor: 'operator:olga',
      details: expect.objectContaining({ channel: 'replay', toRegion: '500111', recipientRole: 'addressee' }),
    });
  });

  it('a second edit-and-replay of a letter already replayed is refused with 409, as is an edit of a replayed or undecodable one', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    const item = await park(event);
    expect((await edit(item.id, { event })).status).toBe(200);
    const again = await edit(item.id, { event: { ...event, contactPhone: '13900000000' } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('only a parked one');

    const replayedFirst = await park(exampleEvent('SubsidyApplicationSubmitted', uniqueId()));
    expect((await api(t, 'POST', `/v1/dlq/${replayedFirst.id}/replay`, TOKENS.operator, {})).status).toBe(200);
    expect((await edit(replayedFirst.id, { event })).status).toBe(409);

    const caseId = `CASE-JUNK-${uniqueId()}`;
    await t.park('500000', Buffer.from('not avro at all'), new TongbanError('WIRE_FORMAT_INVALID', 'no magic byte'), {}, caseId);
    const junk = await waitFor(async () => (await api(t, 'GET', `/v1/dlq?caseId=${caseId}`, TOKENS.viewer)).body.items?.[0], 'the junk letter');
    const forged = await edit(junk.id, { event, eventType: 'SubsidyApplicationSubmitted' });
    expect(forged.status).toBe(409);
  });
});

describe('attack: an admin reads personal data in the clear without saying why', () => {
  let t: OpsTestStack;

  beforeAll(async () => {
    t = await startOpsStack();
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('a clear view without a reason is refused with 400; with one it is shown and the reason is in the audit entry', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    await parkEvent(t, '500000', event);
    const item = await waitFor(
      async () => (await api(t, 'GET', `/v1/dlq?eventId=${event.envelope.eventId}`, TOKENS.viewer)).body.items?.[0],
      'the parked letter',
    );
    for (const query of ['view=clear', 'view=clear&reason=', 'view=clear&reason=%20%20']) {
      const refused = await api(t, 'GET', `/v1/dlq/${item.id}?${query}`, TOKENS.admin);
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([{ path: 'reason', problem: expect.stringContaining('required') }]);
    }
    expect((await api(t, 'GET', `/v1/audit?action=dlq.view-clear&caseId=${event.envelope.caseId}`, TOKENS.admin)).body.entries).toEqual([]);
    const shown = await api(t, 'GET', `/v1/dlq/${item.id}?view=clear&reason=${encodeURIComponent('ticket OPS-42: wrong ID number')}`, TOKENS.admin);
    expect(shown.status).toBe(200);
    expect(shown.body.payload.applicant.idNumber).toBe('500111196804170022');
    const [entry] = (await api(t, 'GET', `/v1/audit?action=dlq.view-clear&caseId=${event.envelope.caseId}`, TOKENS.admin)).body.entries;
    expect(entry).toMatchObject({ actor: 'alice', details: { reason: 'ticket OPS-42: wrong ID number' } });
  });
});
