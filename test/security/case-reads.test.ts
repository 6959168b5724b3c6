import { DEV_API_KEYS } from '../../services/gateway/src/gateway.config';
import { example } from '../support/examples';
import { internalHeaders } from '../support/internal-api';
import { getCase, post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';
import { bearer, call, economicCheckFrom, nodeUrl } from './security-support';

const ADMIN = 'security-admin-token-0123456789';

/**
 * Case reads are decided by the region node from the authenticated key, never from what the caller
 * writes in the query string; ID numbers never travel in a URL.
 */
describe('attack: reading other divisions’ cases with one valid key', () => {
  let stack: TestStack;
  const anyueCase = () => `ECK-512021-2026-${stack.id}`;
  const officeCase = () => `MAR-CQHTZ-2026-000045-${stack.id}`;
  const jiulongpoCase = () => `ECK-500107-2026-${stack.id}`;
  const cases = (key: string, query = '') => call(`${stack.gatewayUrl}/v1/cases${query}`, { headers: bearer(key) });
  const search = (key: string, body: unknown) =>
    call(`${stack.gatewayUrl}/v1/cases:search`, { method: 'POST', headers: bearer(key, { 'content-type': 'application/json' }), body: JSON.stringify(body) });

  beforeAll(async () => {
    stack = await startTestStack({ env: { TONGBAN_API_KEYS: `${DEV_API_KEYS},dev-jiulongpo=500107`, TONGBAN_ADMIN_TOKEN: ADMIN } });
    // Anyue (512021) asks Dazu for a household check: a case on the Sichuan node, which also serves Chengdu.
    expect((await post(stack, economicCheckFrom('512021', stack.id), 'dev-anyue')).status).toBe(202);
    // The high-tech zone office books a marriage for a Jiulongpo resident; Jiulongpo opens a check of its own.
    const marriage = example('MarriageRegistrationRequested');
    marriage.caseId = officeCase();
    expect((await post(stack, marriage, 'dev-cqhtz')).status).toBe(202);
    expect((await post(stack, economicCheckFrom('500107', stack.id), 'dev-jiulongpo')).status).toBe(202);
    for (const [caseId, key] of [
      [anyueCase(), 'dev-anyue'],
      [officeCase(), 'dev-cqhtz'],
      [jiulongpoCase(), 'dev-jiulongpo'],
    ]) {
      await waitFor(async () => ((await getCase(stack, caseId, key)).status === 200 ? true : undefined), `${caseId} readable by ${key}`);
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a Chengdu 510100 key asking for an Anyue 512021 case gets 404, whatever it adds to the URL', async () => {
    expect((await getCase(stack, anyueCase(), 'dev-anyue')).status).toBe(200);
    expect((await getCase(stack, anyueCase(), 'dev-chengdu')).status).toBe(404);
    for (const query of ['?viewer=512021', '?office=CQ-HTZ', '?viewer=512021&office=', '?viewer=510000']) {
      const r = await call(`${stack.gatewayUrl}/v1/cases/${anyueCase()}${query}`, { headers: bearer('dev-chengdu') });
      expect(r.status).toBe(404);
      // The same answer as for a case that does not exist: nothing tells the caller it does.
      const detail = `case ${anyueCase()} not found`;
      expect(r.body).toEqual({
        type: 'https://tongban.example/problems/case/not-found',
        title: "No such case, or not the viewer's to see (the same answer)",
        status: 404,
        detail,
        code: 'CASE.NOT_FOUND',
        error: { code: 'NOT_FOUND', message: detail, details: [] },
      });
    }
  });

  it('a search with viewer= or office= in the query string is refused with 400, not answered for that viewer', async () => {
    for (const query of ['?viewer=512021', '?office=CQ-HTZ', '?workflow=economic-check&viewer=512021']) {
      const r = await cases('dev-chengdu', query);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).not.toContain(anyueCase());
    }
    const chengdu = await cases('dev-chengdu', '?workflow=economic-check');
    expect(chengdu.status).toBe(200);
    expect(chengdu.body.cases.map((c: { caseId: string }) => c.caseId)).not.toContain(anyueCase());
    const anyue = await cases('dev-anyue', '?workflow=economic-check');
    expect(anyue.body.cases.map((c: { caseId: string }) => c.caseId)).toContain(anyueCase());
  });

  it('an office key (CQ-HTZ) reads the cases its office opened, not every case of the districts it serves', async () => {
    expect((await getCase(stack, officeCase(), 'dev-cqhtz')).body).toMatchObject({ view: 'full', acceptingOffice: 'CQ-HTZ' });
    expect((await getCase(stack, jiulongpoCase(), 'dev-cqhtz')).status).toBe(404);
    expect((await getCase(stack, officeCase(), 'dev-jiulongpo')).status).toBe(404);
    const listed = await cases('dev-cqhtz');
    expect(listed.body.cases.map((c: { caseId: string }) => c.caseId)).toEqual(expect.arrayContaining([officeCase()]));
    expect(listed.body.cases.map((c: { caseId: string }) => c.caseId)).not.toContain(jiulongpoCase());
  });

  it('calling the region node directly, without the gateway’s service token, gets 401', async () => {
    const node = nodeUrl(stack, '510000');
    for (const path of [`/internal/cases/${anyueCase()}?viewer=512021`, '/internal/cases?viewer=512021']) {
      expect((await call(`${node}${path}`)).status).toBe(401);
      expect((await call(`${node}${path}`, { headers: { 'x-tongban-service-token': 'guessed-guessed-guessed-guessed-1' } })).status).toBe(401);
    }
    // With the token the viewer still comes from the headers only: a query-string viewer is not enough.
    const noViewer = await call(`${node}/internal/cases/${anyueCase()}?viewer=512021`, { headers: internalHeaders(stack, 'test') });
    expect(noViewer.status).toBe(400);
  });

  it('person= in a GET is refused with 400 naming POST /v1/cases:search, which finds only the caller’s cases', async () => {
    const person = '51010419850630005X';
    const inUrl = await cases('dev-anyue', `?person=${person}`);
    expect(inUrl.status).toBe(400);
    expect(JSON.stringify(inUrl.body)).toContain('POST /v1/cases:search');
    const mine = await search('dev-anyue', { person });
    expect(mine.status).toBe(200);
    expect(mine.body.cases.map((c: { caseId: string }) => c.caseId)).toContain(anyueCase());
    expect((await search('dev-chengdu', { person })).body.cases.map((c: { caseId: string }) => c.caseId)).not.toContain(anyueCase());
    expect((await search('dev-chengdu', { person, viewer: '512021' })).status).toBe(400);
  });

  it('a data-subject lookup by ID number in the URL is refused with 400; the POST body form answers', async () => {
    const inUrl = await call(`${stack.gatewayUrl}/v1/disclosures?idNumber=51010419850630005X`, { headers: bearer(ADMIN) });
    expect(inUrl.status).toBe(400);
    expect(JSON.stringify(inUrl.body)).toContain('POST /v1/disclosures:search');
    const asked = await call(`${stack.gatewayUrl}/v1/disclosures:search`, {
      method: 'POST',
      headers: bearer(ADMIN, { 'content-type': 'application/json' }),
      body: JSON.stringify({ idNumber: '500111196001150028' }),
    });
    expect(asked.status).toBe(200);
    expect(asked.body.disclosures.map((d: { caseId: string }) => d.caseId)).toContain(anyueCase());
    const byMunicipalKey = await call(`${stack.gatewayUrl}/v1/disclosures:search`, {
      method: 'POST',
      headers: bearer('dev-chengdu', { 'content-type': 'application/json' }),
      body: JSON.stringify({ idNumber: '500111196001150028' }),
    });
    expect(byMunicipalKey.status).toBe(403);
  });
});
