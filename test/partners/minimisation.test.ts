import { join } from 'node:path';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { topics } from '@tongban/regions';
import { example } from '../support/examples';
import { getCase, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';
import { createConnection } from 'mysql2/promise';
import { MYSQL } from '../support/test-stack';
import { ADMIN_TOKEN, readRaw } from './partner-support';

describe('data minimisation at the gateway', () => {
  let stack: TestStack;
  let codec: AvroCodec;

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN } });
    codec = new AvroCodec(new SchemaCatalogue(join(contractsDir(), 'avro')), new SchemaRegistryClient(stack.registryUrl, { auth: stack.registryAuth }), false);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps the cause of death and the informant’s ID out of the hukou region’s inbox', async () => {
    const body = example('DeathRegistered', stack.id);
    body.payload.causeOfDeath = '急性心肌梗死 acute myocardial infarction';
    const informantId = (body.payload.informant as { idNumber: string }).idNumber;
    const accepted = await post(stack, body, 'dev-chengdu');
    expect(accepted.status).toBe(202);
    const eventId = accepted.body.eventId as string;

    const [toDazu] = await readRaw(stack.kafka, stack.inbox('500000'), eventId);
    const raw = (toDazu.value as Buffer).toString('latin1');
    expect(raw).not.toContain('acute myocardial infarction');
    expect(raw).not.toContain(informantId);
    const decoded = (await codec.decode(toDazu.value)).value as Record<string, unknown>;
    expect(decoded.causeOfDeath).toBeNull();
    expect((decoded.informant as Record<string, unknown>).idNumber).toBeNull();
    expect((decoded.informant as Record<string, unknown>).name).toBe('孙伟');
    expect((decoded.deceased as Record<string, unknown>).idNumber).toBe('500111194109030045');

    // The publisher's own node keeps its whole record, on its local topic: the data did not leave Sichuan.
    const [own] = await readRaw(stack.kafka, topics.local(stack.namespace, '510000'), eventId);
    const ownDecoded = (await codec.decode(own.value)).value as Record<string, unknown>;
    expect(ownDecoded.causeOfDeath).toBe(body.payload.causeOfDeath);
    expect((ownDecoded.informant as Record<string, unknown>).idNumber).toBe(informantId);

    // The minimised copy still drives the responsible region's case.
    await waitFor(async () => ((await getCase(stack, body.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case at Dazu');
  });

  it('refuses an economic check without the members’ authorisation reference', async () => {
    const body = example('EconomicCheckRequested', stack.id);
    body.payload.authorisationRef = '  ';
    const r = await post(stack, body, 'dev-chengdu');
    expect(r.status).toBe(400);
    expect((r.body.error as { details: Array<{ path: string }> }).details).toEqual([
      expect.objectContaining({ path: 'payload.authorisationRef', problem: expect.stringContaining('authorisation') }),
    ]);
    delete body.payload.authorisationRef;
    const missing = await post(stack, body, 'dev-chengdu');
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('payload.authorisationRef');
  });

  it('records each cross-region disclosure in the audit chain, found again by the person’s ID number', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-dsr`);
    const accepted = await post(stack, body, 'dev-chengdu');
    expect(accepted.status).toBe(202);
    const ask = (idNumber: string, token = ADMIN_TOKEN) =>
      fetch(`${stack.gatewayUrl}/v1/disclosures:search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ idNumber }),
      });
    expect((await ask('500111196804170022', '')).status).toBe(401);
    expect((await ask('500111196804170022', 'dev-chengdu')).status).toBe(403);
    expect((await ask('500111196804170023')).status).toBe(400);

    const answer = (await (await ask('500111196804170022')).json()) as { personRef: string; disclosures: Array<Record<string, unknown>> };
    const mine = answer.disclosures.find((d) => d.eventId === accepted.body.eventId);
    expect(mine).toMatchObject({ caseId: body.caseId, eventType: 'SubsidyApplicationSubmitted', fromRegion: '510104', toRegion: '500111' });
    expect(mine!.fields).toEqual(expect.arrayContaining(['applicant.idNumber', 'applicant.name', 'certificateNumber', 'disabilityGrade', 'contactPhone']));

    // The death registered earlier disclosed the deceased's data but not the withheld cause of death.
    const death = (await (await ask('500111194109030045')).json()) as { disclosures: Array<{ fields: string[] }> };
    expect(death.disclosures).toHaveLength(1);
    expect(death.disclosures[0].fields).not.toContain('causeOfDeath');
    expect(death.disclosures[0].fields).toContain('deceased.name');

    // The log keeps keyed hashes, never the ID numbers.
    const conn = await createConnection({ ...MYSQL, database: stack.databases.gateway });
    try {
      const [entries] = await conn.query('SELECT * FROM audit_entries');
      const [subjects] = await conn.query('SELECT * FROM audit_subjects');
      // The gateway's disclosure records are kept per group, in audit_records, and found by the person's keyed hash.
      const [records] = (await conn.query('SELECT * FROM audit_records')) as unknown as [Array<{ subject: string }>];
      const [recordSubjects] = await conn.query('SELECT * FROM audit_record_subjects');
      expect(records.some((r) => r.subject.includes(String(answer.personRef)))).toBe(true);
      expect(JSON.stringify([entries, subjects, records, recordSubjects])).not.toContain('500111196804170022');
    } finally {
      await conn.end();
    }
  });
});
