import { describedRoutes, OpenApiJson, registeredRoutes } from '@tongban/http';
import type { OpsTestStack } from '../ops/ops-support';
import { startOpsWithDelivery, TestDelivery } from '../partners/partner-support';
import { JsonSchemaChecker } from '../support/json-schema';

type Json = OpenApiJson;

async function fetchDocument(url: string): Promise<Json> {
  const res = await fetch(`${url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Json;
}

async function fetchPage(url: string): Promise<string> {
  const res = await fetch(`${url}/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  return res.text();
}

/**
 * The ops and delivery services describe themselves without a credential: every route they answer is in
 * their document (ops leaves out its internal transit route), and the problems they answer fit the
 * schema the document gives.
 */
describe('GET /openapi.json and GET /docs of ops and delivery', () => {
  let t: OpsTestStack;
  let delivery: TestDelivery;
  beforeAll(async () => ({ t, delivery } = await startOpsWithDelivery()));
  afterAll(async () => {
    await delivery?.stop();
    await t?.stop();
  });

  it('ops: describes every route it answers but the internal one, each operator route with its role', async () => {
    const doc = await fetchDocument(t.url);
    expect(doc.openapi).toBe('3.1.0');
    const registered = registeredRoutes(t.ops.app);
    expect(registered).toContain('POST /v1/dlq:search');
    expect(registered).toContain('GET /v1/audit/records/{id}/proof');
    expect(describedRoutes(doc)).toEqual(registered.filter((r) => r !== 'POST /internal/transit/receipts'));
    expect(doc.paths['/v1/dlq/{id}/edit'].post['x-tongban-role']).toBe('operator');

    const refused = await fetch(`${t.url}/v1/dlq/replay-jobs`, {
      method: 'POST',
      headers: { authorization: 'Bearer viewer-token-0001', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await refused.json()) as Json;
    const documented = doc.components.responses.OperatorForbidden.content['application/problem+json'];
    expect([problem.code, problem.type]).toEqual([documented.example.code, documented.example.type]);
    expect(new JsonSchemaChecker(doc).problems(doc.components.schemas.Error, problem)).toEqual([]);

    // The examples of the request bodies fit the document's own schemas, checked by a JSON Schema checker of the tests.
    const checker = new JsonSchemaChecker(doc);
    const bodies = Object.values(doc.paths as Json)
      .flatMap((item) => Object.values(item as Json))
      .filter((op) => op.requestBody?.content['application/json'].example !== undefined);
    expect(bodies.length).toBeGreaterThan(3);
    for (const op of bodies)
      expect([op.operationId, checker.problems(op.requestBody.content['application/json'].schema, op.requestBody.content['application/json'].example)]).toEqual(
        [op.operationId, []],
      );
    expect(checker.problems(doc.paths['/v1/audit:search'].post.requestBody.content['application/json'].schema, { person: '1' }).length).toBeGreaterThan(0);
    for (const r of Object.values(doc.components.responses as Json))
      expect(checker.problems(doc.components.schemas.Error, r.content['application/problem+json'].example)).toEqual([]);

    const page = await fetchPage(t.url);
    for (const path of Object.keys(doc.paths)) expect(page).toContain(`<code class="path">${path}</code>`);
  });

  it('delivery: describes every route it answers, and its 401 fits the documented problem', async () => {
    const doc = await fetchDocument(delivery.url);
    expect(doc.openapi).toBe('3.1.0');
    expect(describedRoutes(doc)).toEqual(registeredRoutes(delivery.app.app));

    const refused = await fetch(`${delivery.url}/v1/subscriptions`);
    expect(refused.status).toBe(401);
    const problem = (await refused.json()) as Json;
    expect(problem.code).toBe(doc.components.responses.Unauthenticated.content['application/problem+json'].example.code);
    expect(new JsonSchemaChecker(doc).problems(doc.components.schemas.Error, problem)).toEqual([]);

    const body = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'];
    const checker = new JsonSchemaChecker(doc);
    expect(checker.problems(body.schema, body.example)).toEqual([]);
    expect(checker.problems(body.schema, { ...body.example, eventTypes: ['NoSuchEvent'] }).length).toBeGreaterThan(0);

    const page = await fetchPage(delivery.url);
    expect(page).toContain('<code class="path">/v1/deliveries/{id}/redeliver</code>');
  });
});
