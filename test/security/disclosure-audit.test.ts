import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { AuditLog, DISCLOSURE_ACTION, DISCLOSURE_CHAIN } from '@tongban/audit';
import { dropDatabase } from '@tongban/persistence';
import { createOpsApp, OpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { ADMIN_TOKEN, startDelivery, startTestReceiver } from '../partners/partner-support';
import { example } from '../support/examples';
import { MYSQL, post, startTestStack, testLogger, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const PERSON_KEY = 'test-audit-person-key-0123456789';
const OPERATORS = 'alice:disclosure-admin-token:admin';
const DECEASED = '500111194109030045';
/** A third region, on the Sichuan node with Chengdu, where the deceased has an open case. */
const ANYUE = '512021';
const LAUNCHER = join(__dirname, '../../tools/cli/tongban.js');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LAUNCHER, ...args], { env: { ...process.env, ...env }, timeout: 90_000 }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

/** Entries of one database's disclosures chain, oldest first. */
function chainOf(ds: DataSource) {
  return new AuditLog(ds, { personKey: PERSON_KEY, chain: DISCLOSURE_CHAIN });
}

describe('attack: a disclosure that leaves no trace, and a record rewritten afterwards', () => {
  let stack: TestStack;
  let delivery: Awaited<ReturnType<typeof startDelivery>>;
  let receiver: Awaited<ReturnType<typeof startTestReceiver>>;
  let ops: OpsApp;
  let opsUrl: string;
  let opsDatabase: string;
  let partnerKey: string;
  let partnerKeyId: string;
  let subscriptionId: string;
  let deathEventId: string;
  let caseId: string;

  const admin = (path: string, method = 'GET', body?: unknown) =>
    fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const verify = async () =>
    (await fetch(`${opsUrl}/v1/audit/verify`, { headers: { authorization: 'Bearer disclosure-admin-token' } })).json() as Promise<Json>;

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN, TONGBAN_AUDIT_PERSON_KEY: PERSON_KEY } });
    delivery = await startDelivery(stack);
    opsDatabase = `tb_${stack.id}_ops`;
    ops = await createOpsApp(
      readOpsConfig({
        ...stack.env,
        TONGBAN_OPS_DATABASE: opsDatabase,
        TONGBAN_OPERATORS: OPERATORS,
        TONGBAN_AUDIT_DATABASES: [stack.databases.gateway, ...Object.values(stack.databases.nodes), `tb_${stack.id}_delivery`].join(','),
      }),
      testLogger('ops'),
    );
    opsUrl = await ops.start(0, '127.0.0.1');

    let secret = '';
    receiver = await startTestReceiver(() => secret);
    const issued = await admin('/v1/admin/api-keys', 'POST', { systemName: 'partner-dazu-disclosures', division: '500111' });
    expect(issued.status).toBe(201);
    ({ key: partnerKey, keyId: partnerKeyId } = (await issued.json()) as { key: string; keyId: string });
    const subscribed = await fetch(`${delivery.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${partnerKey}` },
      body: JSON.stringify({ url: receiver.url, eventTypes: ['DeathRegistered'], region: '500111' }),
    });
    expect(subscribed.status).toBe(201);
    ({ secret, subscriptionId } = (await subscribed.json()) as { secret: string; subscriptionId: string });

    // The deceased applied for a disability subsidy in Anyue (where she lived), decided by Dazu (her hukou region).
    const application = example('SubsidyApplicationSubmitted', `${stack.id}-disclosure`);
    application.caseId = application.caseId.replace('-510104-', `-${ANYUE}-`);
    Object.assign(application, { sourceRegion: ANYUE, targetRegion: '500111', occurredAt: new Date().toISOString() });
    Object.assign(application.payload, {
      applicant: { idNumber: DECEASED, name: '赵桂兰', hukouDivision: '500111' },
      certificateNumber: `${DECEASED}41`,
      residence: { division: ANYUE, detail: '安岳县岳阳镇外南街 12 号' },
      hardshipEvidenceRef: `DB-${ANYUE}-2025-0102`,
      consentRef: `CONSENT-${ANYUE}-2026-0007`,
    });
    const subsidyCaseId = application.caseId;
    const applied = await post(stack, application, 'dev-anyue');
    expect(applied.status).toBe(202);
    await waitFor(async () => {
      const rows = (await stack.nodes.get('510000')!.dataSource.query('SELECT state FROM cases WHERE case_id = ?', [subsidyCaseId])) as Array<{
        state: string;
      }>;
      return rows[0]?.state === 'submitted' ? true : undefined;
    }, 'the open subsidy case at the Sichuan node');

    // A death in Chengdu of that Dazu resident: the gateway discloses it to Chongqing (the hukou region gets the
    // registration itself), the Sichuan node then issues the death notice to Anyue on its own, and delivery
    // pushes the registration to Dazu's webhook.
    const body = example('DeathRegistered', `${stack.id}-disclosure`);
    body.occurredAt = new Date().toISOString();
    const accepted = await post(stack, body, 'dev-chengdu');
    expect(accepted.status).toBe(202);
    deathEventId = accepted.body.eventId as string;
    caseId = body.caseId;
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === deathEventId) ? true : undefined), 'the webhook delivery', 60_000);
  });

  afterAll(async () => {
    await receiver?.close();
    await ops?.close();
    await delivery?.stop();
    await stack?.stop();
    await dropDatabase(MYSQL, opsDatabase);
  });

  it('a death notice a node publishes on its own is recorded in that node’s chain, naming the deceased and the region it went to', async () => {
    const node = chainOf(stack.nodes.get('510000')!.dataSource);
    const notice = await waitFor(async () => {
      const entries = await node.list({ action: DISCLOSURE_ACTION, caseId, order: 'asc' });
      return entries.find((e) => e.details.eventType === 'DeathNoticeIssued');
    }, 'the death notice’s disclosure record');
    expect(notice).toMatchObject({
      actor: 'region-node:510000',
      subject: { persons: [node.personRef(DECEASED)], regions: [ANYUE] },
      details: { fromRegion: '510104', toRegion: ANYUE, channel: 'inbox', recipientRole: 'addressee' },
    });
    expect(notice.subject.cases).toEqual([caseId]);
    expect(notice.details.fieldsByPerson).toEqual({ [node.personRef(DECEASED)]: expect.arrayContaining(['deceased.idNumber', 'deceased.name']) });
  });

  it('a webhook delivery and the subscription behind it are recorded in delivery’s chain', async () => {
    const chain = chainOf(delivery.app.dataSource);
    const delivered = await waitFor(async () => (await chain.list({ action: DISCLOSURE_ACTION, message: deathEventId }))[0], 'the webhook’s disclosure record');
    expect(delivered).toMatchObject({
      actor: 'delivery',
      subject: { persons: expect.arrayContaining([chain.personRef(DECEASED)]), cases: [caseId] },
      details: { channel: 'webhook', recipient: `subscription:${subscriptionId}`, recipientRole: 'webhook', eventType: 'DeathRegistered' },
    });
    const [created] = await chain.list({ action: 'subscription.created' });
    expect(created.details).toMatchObject({ subscriptionId, keyId: partnerKeyId, region: '500111', eventTypes: ['DeathRegistered'] });

    const removed = await fetch(`${delivery.url}/v1/subscriptions/${subscriptionId}`, { method: 'DELETE', headers: { authorization: `Bearer ${partnerKey}` } });
    expect(removed.status).toBe(204);
    expect((await chain.list({ action: 'subscription.deleted' }))[0].details).toMatchObject({ subscriptionId });
  });

  it('key issue, rotation and revocation and a data-subject lookup are recorded in the gateway’s chain', async () => {
    const rotated = await admin(`/v1/admin/api-keys/${partnerKeyId}/rotate`, 'POST', { overlapSeconds: 0 });
    expect(rotated.status).toBe(201);
    const { keyId: newKeyId } = (await rotated.json()) as { keyId: string };
    expect((await admin(`/v1/admin/api-keys/${newKeyId}/revoke`, 'POST')).status).toBe(200);
    // The ID number goes in the body, never in a URL.
    expect((await admin(`/v1/disclosures?idNumber=${DECEASED}`)).status).toBe(400);
    const lookup = await admin('/v1/disclosures:search', 'POST', { idNumber: DECEASED });
    expect(lookup.status).toBe(200);
    expect(((await lookup.json()) as { disclosures: Array<{ eventId: string }> }).disclosures.map((d) => d.eventId)).toContain(deathEventId);

    const gateway = chainOf(stack.gateway.dataSource);
    const actions = (await gateway.list({ order: 'asc', limit: 1000 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['api-key.issued', 'api-key.rotated', 'api-key.revoked', DISCLOSURE_ACTION, 'data-subject.lookup']));
    const [looked] = await gateway.list({ action: 'data-subject.lookup', personIdNumber: DECEASED });
    expect(looked).toMatchObject({ actor: 'admin', details: { found: expect.any(Number) } });
    const entries = JSON.stringify(await gateway.list({ limit: 1000 }));
    expect(entries).not.toContain(DECEASED);
    expect(entries).not.toContain(partnerKey);
  });

  it('audit verify walks every service’s chain and the person index: intact → ok; a deleted index row or a rewritten node entry → named', async () => {
    const ok = await verify();
    expect(ok.ok).toBe(true);
    const databases = new Set(ok.chains.map((c: { database: string }) => c.database));
    for (const db of [opsDatabase, stack.databases.gateway, ...Object.values(stack.databases.nodes), `tb_${stack.id}_delivery`])
      expect(databases).toContain(db);
    expect(ok.indexes).toHaveLength(2);
    expect(ok.indexes.every((i: { rows: number }) => i.rows > 0)).toBe(true);
    const env = { TONGBAN_OPS_URL: opsUrl, TONGBAN_OPS_TOKEN: 'disclosure-admin-token' };
    const intact = await cli(['audit', 'verify'], env);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain(`${stack.databases.nodes['500000']} / person index`);

    // Someone with database access removes the Dazu node's trace of the deceased.
    const dazu = stack.nodes.get('500000')!.dataSource;
    await dazu.query('DELETE FROM case_persons WHERE case_id = ?', [caseId]);
    const deleted = await verify();
    expect(deleted.ok).toBe(false);
    expect(deleted.firstBroken).toMatchObject({ database: stack.databases.nodes['500000'], message: expect.stringContaining(caseId) });
    const broken = await cli(['audit', 'verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('BROKEN');

    // … and, on the Sichuan node, rewrites where the death notice went.
    const sichuan = stack.nodes.get('510000')!.dataSource;
    const update = (await sichuan.query(
      `UPDATE audit_entries SET details = REPLACE(details, '"toRegion":"${ANYUE}"', '"toRegion":"510104"') WHERE chain = ? AND action = ?`,
      [DISCLOSURE_CHAIN, DISCLOSURE_ACTION],
    )) as { affectedRows: number };
    expect(update.affectedRows).toBeGreaterThan(0);
    const rewritten = await verify();
    expect(
      rewritten.chains.find((c: { database: string; chain: string }) => c.database === stack.databases.nodes['510000'] && c.chain === DISCLOSURE_CHAIN),
    ).toMatchObject({ ok: false, firstBroken: { problem: 'changed' } });
  });
});
