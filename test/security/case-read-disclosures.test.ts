import { createConnection } from 'mysql2/promise';
import { AuditLog, DISCLOSURE_ACTION, DISCLOSURE_CHAIN } from '@tongban/audit';
import { example } from '../support/examples';
import { getCase, MYSQL, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

const PERSON_KEY = 'test-audit-person-key-0123456789';
const APPLICANT = '500111196804170022';

/** The id the gateway gave a configured key of a division (the reader it names to the node). */
async function keyIdOf(stack: TestStack, division: string): Promise<string> {
  const conn = await createConnection({ ...MYSQL, database: stack.databases.gateway });
  try {
    const [rows] = await conn.query("SELECT key_id FROM api_keys WHERE division = ? AND origin = 'bootstrap' AND revoked_at IS NULL", [division]);
    const ids = (rows as Array<{ key_id: string }>).map((r) => r.key_id);
    expect(ids).toHaveLength(1);
    return ids[0];
  } finally {
    await conn.end();
  }
}

/**
 * A municipal system that reads a case through the gateway takes personal data away with it as surely
 * as an event it receives: the node that answers records the read in its disclosures chain.
 */
describe('attack: reading personal data without leaving a trace', () => {
  let stack: TestStack;
  let caseId: string;
  const chongqing = () => new AuditLog(stack.nodes.get('500000')!.dataSource, { personKey: PERSON_KEY, chain: DISCLOSURE_CHAIN });
  const sichuan = () => new AuditLog(stack.nodes.get('510000')!.dataSource, { personKey: PERSON_KEY, chain: DISCLOSURE_CHAIN });
  const reads = async (chain: AuditLog) => (await chain.list({ action: DISCLOSURE_ACTION, caseId, order: 'asc' })).filter((e) => e.details.channel === 'read');

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_AUDIT_PERSON_KEY: PERSON_KEY } });
    // Chengdu (510104) takes the application of a Dazu resident: the case opens on both nodes, Dazu decides it.
    const submitted = example('SubsidyApplicationSubmitted', `${stack.id}-read`);
    submitted.occurredAt = new Date().toISOString();
    caseId = submitted.caseId;
    expect((await post(stack, submitted, 'dev-chengdu')).status).toBe(202);
    for (const key of ['dev-dazu', 'dev-chengdu']) {
      await waitFor(async () => ((await getCase(stack, caseId, key)).status === 200 ? true : undefined), `${caseId} readable by ${key}`);
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a full read by Dazu is recorded once per read in the Chongqing node’s chain, naming the applicant and the reader', async () => {
    const before = (await reads(chongqing())).length;
    const read = await getCase(stack, caseId, 'dev-dazu');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ view: 'full' });
    expect(JSON.stringify(read.body)).toContain(APPLICANT);

    const chain = chongqing();
    const entries = await reads(chain);
    expect(entries).toHaveLength(before + 1);
    const entry = entries[entries.length - 1];
    expect(entry).toMatchObject({
      actor: `gateway:${await keyIdOf(stack, '500111')}`,
      action: DISCLOSURE_ACTION,
      subject: { cases: [caseId], persons: [chain.personRef(APPLICANT)], regions: ['500111'] },
      details: { channel: 'read', eventType: 'case-read', fromRegion: '500000', toRegion: '500111', recipient: 'viewer:500111', recipientRole: 'full' },
    });
    expect(entry.details.fieldsByPerson).toEqual({
      [chain.personRef(APPLICANT)]: expect.arrayContaining(['SubsidyApplicationSubmitted.applicant.idNumber', 'SubsidyApplicationSubmitted.applicant.name']),
    });
    // The entry names the person by reference only: the ID number itself is not in it.
    expect(JSON.stringify(entry)).not.toContain(APPLICANT);
  });

  it('a status-only read by Chengdu, a 404 and a case list record nothing', async () => {
    const [cqBefore, scBefore] = [(await reads(chongqing())).length, (await reads(sichuan())).length];
    const status = await getCase(stack, caseId, 'dev-chengdu');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ view: 'status' });
    expect(JSON.stringify(status.body)).not.toContain(APPLICANT);
    expect((await getCase(stack, `${caseId}-none`, 'dev-dazu')).status).toBe(404);
    expect((await fetch(`${stack.gatewayUrl}/v1/cases`, { headers: { authorization: 'Bearer dev-dazu' } })).status).toBe(200);
    expect((await reads(chongqing())).length).toBe(cqBefore);
    expect((await reads(sichuan())).length).toBe(scBefore);
  });

  it('the chains with the read entries still verify', async () => {
    for (const chain of [chongqing(), sichuan()]) expect(await chain.verify()).toMatchObject({ ok: true });
  });
});
