import { describedRoutes, OpenApiJson, registeredRoutes } from '@tongban/http';
import { example, exampleTypes } from '../support/examples';
import { JsonSchemaChecker } from '../support/json-schema';
import { post, startTestStack, TestStack } from '../support/test-stack';

type Json = OpenApiJson;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * The gateway's own description of itself: OpenAPI 3.1 in shape, every route it answers described (and
 * nothing it does not), and every example of contracts/examples valid against the schema it gives for
 * POST /v1/events, checked by a JSON Schema checker that is not the gateway's Avro validator.
 */
describe('GET /openapi.json and GET /docs', () => {
  let stack: TestStack;
  let doc: Json;
  let checker: JsonSchemaChecker;
  let eventBody: Json;

  beforeAll(async () => {
    stack = await startTestStack({ relay: false });
    const res = await fetch(`${stack.gatewayUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Json;
    checker = new JsonSchemaChecker(doc);
    eventBody = doc.paths['/v1/events'].post.requestBody.content['application/json'].schema;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is an OpenAPI 3.1 document in shape', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+/) }));
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/'))).toBe(true);
    expect(doc.components).toEqual(expect.objectContaining({ schemas: expect.any(Object), securitySchemes: expect.any(Object) }));
    expect(doc.components.securitySchemes.apiKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        expect(METHODS).toContain(method);
        ids.push(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const status of Object.keys(op.responses)) expect(status).toMatch(/^[1-5]\d\d$/);
        // A templated path declares each of its parameters.
        for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
          expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
        }
        for (const s of op.security ?? []) for (const scheme of Object.keys(s)) expect(doc.components.securitySchemes[scheme]).toBeDefined();
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map(([, r]) => r);
    const dangling = refs.filter(
      (r) =>
        r
          .split('/')
          .slice(1)
          .reduce<Json | undefined>((node, part) => node?.[part], doc) === undefined,
    );
    expect(dangling).toEqual([]);
  });

  it('describes every route the gateway answers, and no other', () => {
    const registered = registeredRoutes(stack.gateway.app);
    expect(registered).toContain('GET /v1/events/{eventId}');
    expect(registered).toContain('POST /v1/cases:search');
    expect(describedRoutes(doc)).toEqual(registered);
  });

  it.each(exampleTypes())('the example of %s is valid against the POST /v1/events schema', (eventType) => {
    expect(checker.problems(eventBody, example(eventType))).toEqual([]);
  });

  it('gives every example as an example of the operation', () => {
    const examples = doc.paths['/v1/events'].post.requestBody.content['application/json'].examples;
    expect(Object.keys(examples).sort()).toEqual(exampleTypes());
    for (const t of exampleTypes()) expect(examples[t].value).toEqual(example(t));
  });

  it.each([
    ['an unknown event type', (b: Json) => (b.eventType = 'NoSuchEvent')],
    ['a payload field of another event', (b: Json) => (b.payload.spouse = b.payload.applicant)],
    ['a missing payload field', (b: Json) => delete b.payload.applicant],
    ['a malformed ID number', (b: Json) => (b.payload.applicant.idNumber = '5101')],
    ['a name over its contract length', (b: Json) => (b.payload.applicant.name = '王'.repeat(51))],
    ['an unknown enum symbol', (b: Json) => (b.payload.disabilityGrade = 'GRADE_9')],
    ['an unknown envelope field', (b: Json) => (b.priority = 'high')],
  ])('refuses %s, as the gateway does', async (_what, spoil) => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-spoilt`) as Json;
    spoil(body);
    expect(checker.problems(eventBody, body).length).toBeGreaterThan(0);
    expect((await post(stack, body, 'dev-chengdu')).status).toBe(400);
  });

  it('describes what POST /v1/events answers', async () => {
    const res = await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-answer`), 'dev-chengdu');
    expect(res.status).toBe(202);
    expect(checker.problems(doc.paths['/v1/events'].post.responses['202'].content['application/json'].schema, res.body)).toEqual([]);
    const refused = await post(stack, {}, 'dev-chengdu');
    expect(checker.problems(doc.components.schemas.Error, refused.body)).toEqual([]);
  });

  it('describes POST /v1/events:batch: its example is valid, and what it answers matches the 207 schema', async () => {
    const op = doc.paths['/v1/events:batch'].post;
    const schema = op.requestBody.content['application/json'].schema;
    expect(checker.problems(schema, op.requestBody.content['application/json'].examples.twoEvents.value)).toEqual([]);
    expect(checker.problems(schema, [])).not.toEqual([]);
    const valid = { ...example('SubsidyApplicationSubmitted', `${stack.id}-batch`), idempotencyKey: `batch-${stack.id}` };
    expect(checker.problems(schema, [valid])).toEqual([]);
    const body = [valid, { ...example('SubsidyApplicationSubmitted', `${stack.id}-batch-bad`), priority: 'high' }];
    const res = await fetch(`${stack.gatewayUrl}/v1/events:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev-chengdu' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(207);
    const answer = (await res.json()) as Json;
    expect(answer.results.map((r: Json) => r.status)).toEqual([202, 400]);
    expect(checker.problems(op.responses['207'].content['application/json'].schema, answer)).toEqual([]);
  });

  it('serves the description as a self-contained page', async () => {
    const res = await fetch(`${stack.gatewayUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script|<link(?! rel="icon" href="data:,">)|@import/i);
    for (const t of exampleTypes()) expect(html).toContain(`id="event-${t}"`);
  });
});
