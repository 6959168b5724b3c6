import { AuditLog, DISCLOSURE_ACTION, DISCLOSURE_CHAIN, RECORD_GROUP_ACTION } from '@tongban/audit';
import { dropDatabase } from '@tongban/persistence';
import { createOpsApp, OpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { EXIT, run } from '../../tools/cli/tongban-cli';
import { example } from '../support/examples';
import { answerProblems } from '../support/json-schema';
import { MYSQL, post, startTestStack, testLogger, TestStack } from '../support/test-stack';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHENGDU = 'dev-chengdu';
const PERSON_KEY = 'test-grouped-audit-person-key-0123';
const TOKEN = 'grouped-audit-admin-token';
const BATCH = 20;
const SINGLES = 40;

/**
 * The gateway's disclosure records are committed per group: a batch upload, or the concurrent requests one
 * group commit writes together, take ONE chain entry carrying the Merkle root of their records, each record
 * keeping its own leaf hash. `audit verify` checks leaves, membership, roots and links, and names the record
 * or group a database user rewrote; one record's inclusion is proved without the rest of its group.
 */
describe('disclosure records committed per group under a Merkle root', () => {
  let stack: TestStack;
  let ops: OpsApp;
  let opsUrl: string;
  let opsDatabase: string;
  const eventIds: string[] = [];

  const opsGet = async (path: string) => {
    const res = await fetch(`${opsUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const verify = async () => (await opsGet('/v1/audit/verify')).body;
  const gatewayChain = (r: Json) => (r.chains as Json[]).find((c) => c.database === stack.databases.gateway && c.chain === DISCLOSURE_CHAIN)!;
  const cli = async (args: string[]) => {
    let out = '';
    const code = await run([...args, '--url', opsUrl, '--token', TOKEN], { out: (t) => (out += t), err: (t) => (out += t), env: {}, isTty: false });
    return { code, out };
  };

  beforeAll(async () => {
    stack = await startTestStack({
      relay: false,
      env: { TONGBAN_RATE_LIMIT_BOOTSTRAP_KEYS: 'false', TONGBAN_GATEWAY_GROUP_MAX: '16', TONGBAN_AUDIT_PERSON_KEY: PERSON_KEY },
    });
    opsDatabase = `tb_${stack.id}_ops`;
    ops = await createOpsApp(
      readOpsConfig({
        ...stack.env,
        TONGBAN_OPS_DATABASE: opsDatabase,
        TONGBAN_OPERATORS: `alice:${TOKEN}:admin`,
        TONGBAN_AUDIT_DATABASES: stack.databases.gateway,
      }),
      testLogger('ops'),
    );
    opsUrl = await ops.start(0, '127.0.0.1');
  });
  afterAll(async () => {
    await ops?.close();
    await stack?.stop();
    if (opsDatabase) await dropDatabase(MYSQL, opsDatabase);
  });

  it('writes fewer chain entries than disclosure records: one per batch, one per group of concurrent requests', async () => {
    const ds = stack.gateway.dataSource;
    const count = async (sql: string) => Number((await ds.query(sql, [DISCLOSURE_CHAIN]))[0].n);
    const rows = async () => ({
      entries: await count('SELECT COUNT(*) AS n FROM audit_entries WHERE chain = ?'),
      subjects: await count('SELECT COUNT(*) AS n FROM audit_subjects WHERE chain = ?'),
      records: await count('SELECT COUNT(*) AS n FROM audit_records WHERE chain = ?'),
      recordSubjects: await count('SELECT COUNT(*) AS n FROM audit_record_subjects WHERE chain = ?'),
    });
    const before = await rows();

    const res = await fetch(`${stack.gatewayUrl}/v1/events:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CHENGDU}` },
      body: JSON.stringify(Array.from({ length: BATCH }, (_, i) => example('SubsidyApplicationSubmitted', `${stack.id}-b${i}`))),
    });
    const batch = (await res.json()) as Json;
    expect(batch.results.map((r: Json) => r.status)).toEqual(Array(BATCH).fill(202));
    eventIds.push(...batch.results.map((r: Json) => r.eventId as string));
    const afterBatch = await rows();
    // The whole batch: one chain entry, BATCH records.
    expect(afterBatch.entries - before.entries).toBe(1);
    expect(afterBatch.records - before.records).toBe(BATCH);

    const singles = await Promise.all(
      Array.from({ length: SINGLES }, (_, i) => post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-s${i}`), CHENGDU)),
    );
    expect(singles.map((s) => s.status)).toEqual(Array(SINGLES).fill(202));
    eventIds.push(...singles.map((s) => s.body.eventId as string));
    const after = await rows();
    const events = BATCH + SINGLES;
    const written = {
      entries: after.entries - before.entries,
      subjects: after.subjects - before.subjects,
      records: after.records - before.records,
      recordSubjects: after.recordSubjects - before.recordSubjects,
    };
    expect(written.records).toBe(events);
    expect(written.subjects).toBe(0);
    expect(written.entries).toBeLessThan(written.records);
    expect(written.entries).toBeGreaterThanOrEqual(2);
    const groups: Array<{ details: string }> = await ds.query('SELECT details FROM audit_entries WHERE chain = ? AND action = ? ORDER BY seq', [
      DISCLOSURE_CHAIN,
      RECORD_GROUP_ACTION,
    ]);
    expect(groups.reduce((n, g) => n + (JSON.parse(g.details) as { count: number }).count, 0)).toBe(events);
    // Rows per event, for the record. One entry per event before (each with its subject rows, and the head locked once
    // per event); now one record per event with the same subject rows, and one entry (one head lock) per group.
    console.log(
      `grouped disclosure audit, ${events} events (${BATCH} in one batch, ${SINGLES} concurrent singles): ` +
        `${written.entries} chain entries (${(written.entries / events).toFixed(2)}/event; was 1.00), ` +
        `${written.records} records, ${written.recordSubjects} subject rows (${(written.recordSubjects / events).toFixed(2)}/event; was the same in audit_subjects), ` +
        `rows per event ${((written.entries + written.records + written.recordSubjects) / events).toFixed(2)} (was ${((events + written.recordSubjects) / events).toFixed(2)})`,
    );

    // Each record stays found by event and by person, as before.
    const chain = new AuditLog(ds, { personKey: PERSON_KEY, chain: DISCLOSURE_CHAIN });
    const disclosed = await chain.list({ action: DISCLOSURE_ACTION, limit: 1000 });
    expect(
      disclosed
        .flatMap((e) => e.subject.messages)
        .filter((m) => eventIds.includes(m))
        .sort(),
    ).toEqual([...eventIds].sort());
    expect(disclosed.every((e) => e.record && e.record.leafHash.length === 64)).toBe(true);
    const applicant = (example('SubsidyApplicationSubmitted', 'x').payload.applicant as Json).idNumber as string;
    expect((await chain.list({ action: DISCLOSURE_ACTION, personIdNumber: applicant, limit: 1000 })).length).toBeGreaterThanOrEqual(events);
  });

  it('verifies leaves, roots and links; proves one record; names a rewritten record, then a rewritten root', async () => {
    const ds = stack.gateway.dataSource;
    const intact = await verify();
    expect(intact.ok).toBe(true);
    expect(gatewayChain(intact)).toMatchObject({ ok: true, records: BATCH + SINGLES });
    expect((await cli(['audit', 'verify'])).code).toBe(EXIT.ok);

    // One record of the batch, proved without the rest of its group: at ops, and checked again by the CLI.
    const [target]: Array<{ record_id: string; seq: string; pos: number }> = await ds.query(
      'SELECT r.record_id, r.seq, r.pos FROM audit_records r JOIN audit_record_subjects s ON s.chain = r.chain AND s.seq = r.seq AND s.pos = r.pos WHERE s.kind = ? AND s.ref = ?',
      ['message', eventIds[7]],
    );
    const seq = Number(target.seq);
    const proof = await opsGet(`/v1/audit/records/${target.record_id}/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body).toMatchObject({
      ok: true,
      database: stack.databases.gateway,
      chain: DISCLOSURE_CHAIN,
      pos: target.pos,
      count: BATCH,
      entry: { seq, action: RECORD_GROUP_ACTION },
    });
    expect(proof.body.path).toHaveLength(5); // ⌈log2 20⌉
    const document = (await (await fetch(`${opsUrl}/openapi.json`)).json()) as Json;
    expect(answerProblems(document, 'GET', '/v1/audit/records/{id}/proof', proof.status, proof.body)).toEqual([]);
    expect(answerProblems(document, 'GET', '/v1/audit/verify', 200, intact)).toEqual([]);
    const proved = await cli(['audit', 'proof', target.record_id]);
    expect(proved.code).toBe(EXIT.ok);
    expect(proved.out).toContain('proof holds');
    expect((await opsGet('/v1/audit/records/00000000-0000-4000-8000-000000000000/proof')).status).toBe(404);
    expect((await opsGet('/v1/audit/records/not-a-record/proof')).body).toMatchObject({ status: 400 });

    // A database user rewrites what one record says was disclosed.
    const [{ details }] = await ds.query('SELECT details FROM audit_records WHERE record_id = ?', [target.record_id]);
    const rewritten = (details as string).replace('"toRegion":"500', '"toRegion":"510');
    expect(rewritten).not.toBe(details);
    await ds.query('UPDATE audit_records SET details = ? WHERE record_id = ?', [rewritten, target.record_id]);
    const leafBroken = await verify();
    expect(leafBroken.ok).toBe(false);
    expect(answerProblems(document, 'GET', '/v1/audit/verify', 200, leafBroken)).toEqual([]);
    expect(leafBroken.firstBroken).toMatchObject({
      database: stack.databases.gateway,
      chain: DISCLOSURE_CHAIN,
      seq,
      problem: 'leaf-altered',
      recordId: target.record_id,
      pos: target.pos,
    });
    const named = await cli(['audit', 'verify']);
    expect(named.code).toBe(EXIT.failed);
    expect(named.out).toContain(`record ${target.record_id} (leaf-altered)`);
    const disproved = await cli(['audit', 'proof', target.record_id]);
    expect(disproved.code).toBe(EXIT.failed);
    expect(disproved.out).toContain('proof FAILS: leaf-altered');
    // The record restored, the chain verifies again.
    await ds.query('UPDATE audit_records SET details = ? WHERE record_id = ?', [details, target.record_id]);
    expect((await verify()).ok).toBe(true);

    // Then the root its group's entry carries.
    const [{ details: entryDetails }] = await ds.query('SELECT details FROM audit_entries WHERE chain = ? AND seq = ?', [DISCLOSURE_CHAIN, seq]);
    const root = (JSON.parse(entryDetails) as { merkleRoot: string }).merkleRoot;
    await ds.query('UPDATE audit_entries SET details = ? WHERE chain = ? AND seq = ?', [
      (entryDetails as string).replace(root, 'f'.repeat(64)),
      DISCLOSURE_CHAIN,
      seq,
    ]);
    const rootBroken = await verify();
    expect(rootBroken.firstBroken).toMatchObject({ database: stack.databases.gateway, chain: DISCLOSURE_CHAIN, seq, problem: 'root-mismatch' });
    expect(rootBroken.firstBroken.recordId).toBeUndefined();
    expect((await cli(['audit', 'proof', target.record_id])).out).toContain('proof FAILS: root-mismatch');
    await ds.query('UPDATE audit_entries SET details = ? WHERE chain = ? AND seq = ?', [entryDetails, DISCLOSURE_CHAIN, seq]);

    // And a record taken out of its group.
    const [other] = await ds.query('SELECT * FROM audit_records WHERE chain = ? AND seq = ? AND pos = 3', [DISCLOSURE_CHAIN, seq]);
    await ds.query('DELETE FROM audit_records WHERE chain = ? AND seq = ? AND pos = 3', [DISCLOSURE_CHAIN, seq]);
    expect((await verify()).firstBroken).toMatchObject({ database: stack.databases.gateway, seq, problem: 'record-missing', pos: 3 });
    const columns = Object.keys(other);
    await ds.query(
      `INSERT INTO audit_records (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      columns.map((c) => other[c]),
    );
    expect((await verify()).ok).toBe(true);
  });
});
