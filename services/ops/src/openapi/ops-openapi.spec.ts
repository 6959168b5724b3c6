import {
  declaredRoutes,
  describedRoutes,
  memberlessAnswerSchemas,
  OpenApiJson,
  openApiOperations,
  problemResponseFaults,
  renderServiceApiPage,
  undefinedRefs,
} from '@tongban/http';
import { OPS_CONTROLLERS } from '../controllers';
import { leastRoleFor } from '../operators/operator-registry';
import { buildOpsOpenApiDocument, UNDOCUMENTED_OPS_ROUTES } from './ops-openapi';

describe('the ops OpenAPI document', () => {
  const doc = buildOpsOpenApiDocument('1.2.3') as unknown as OpenApiJson;
  const operations = openApiOperations(doc);

  it('is OpenAPI 3.1 with the operator bearer token', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    expect(doc.components.securitySchemes.operatorToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });

  it('describes every route the controllers declare, and no other (the internal transit route left out on purpose)', () => {
    const declared = declaredRoutes(OPS_CONTROLLERS);
    expect(declared).toEqual(
      expect.arrayContaining(['POST /v1/dlq:search', 'GET /v1/dlq/{id}', 'GET /v1/audit/records/{id}/proof', 'GET /', ...UNDOCUMENTED_OPS_ROUTES]),
    );
    expect(describedRoutes(doc as never)).toEqual(declared.filter((r) => !UNDOCUMENTED_OPS_ROUTES.includes(r)));
  });

  it('gives each operation a unique id, its path parameters and at least one 2xx answer', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations) {
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      expect(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s))).toBe(true);
    }
  });

  it('names the least role of each operator route, and only the console, health, metrics and the description go without a token', () => {
    for (const { path, op } of operations) {
      if (op.security) {
        expect(op.security).toEqual([{ operatorToken: [] }]);
        expect(['viewer', 'operator', 'admin']).toContain(op['x-tongban-role']);
        if (op['x-tongban-permission']) expect(op['x-tongban-role']).toBe(leastRoleFor(op['x-tongban-permission']));
        expect(op.responses['401']).toEqual({ $ref: '#/components/responses/OperatorUnauthenticated' });
      } else {
        expect(['/', '/health', '/health/live', '/health/ready', '/metrics', '/openapi.json', '/docs']).toContain(path);
      }
    }
    expect(doc.paths['/v1/dlq/{id}/discard'].post['x-tongban-role']).toBe('operator');
    expect(doc.paths['/v1/audit/verify'].get['x-tongban-role']).toBe('admin');
    expect(doc.paths['/v1/dlq'].get['x-tongban-role']).toBe('viewer');
  });

  it('answers every error as an RFC 9457 problem of a registered code, under the status of that code', () => {
    expect(Object.keys(doc.components.responses).length).toBeGreaterThan(3);
    expect(problemResponseFaults(doc)).toEqual([]);
  });

  it('gives an example of the bodies that take an ID number or a set of letters', () => {
    for (const [path, method] of [
      ['/v1/dlq:search', 'post'],
      ['/v1/dlq:discard', 'post'],
      ['/v1/audit:search', 'post'],
      ['/v1/dlq/replay-jobs', 'post'],
      ['/v1/holds/{key}/release', 'post'],
    ]) {
      expect([path, doc.paths[path][method].requestBody.content['application/json'].example]).toEqual([path, expect.any(Object)]);
    }
  });

  it('names the members of every object a 2xx answer holds, but for the few whose members are free by nature', () => {
    const FREE_FORM = [
      // The OpenAPI document itself: its shape is OpenAPI 3.1's, not this document's to repeat.
      'GET /openapi.json 200',
      // A decoded event and its corrected copy: their members are those of the letter's event type, one schema per event in the contracts.
      'GET /v1/dlq/{id} 200.payload',
      'GET /v1/dlq/{id} 200.edited',
      // What an audit entry records: its members depend on the action (a replay, a clear view, a disclosure, ...).
      'GET /v1/audit 200.entries[].details',
      'POST /v1/audit:search 200.entries[].details',
      'GET /v1/audit/records/{id}/proof 200.record.details',
      'GET /v1/audit/records/{id}/proof 200.entry.details',
    ];
    expect(memberlessAnswerSchemas(doc).sort()).toEqual([...FREE_FORM].sort());
  });

  it('points every $ref at something defined', () => {
    expect(undefinedRefs(doc)).toEqual([]);
  });

  it('renders as one page with every route, no script', () => {
    const html = renderServiceApiPage(doc as never);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|@import/i);
    for (const { path } of operations) expect(html).toContain(`<code class="path">${path}</code>`);
    expect(html).toContain('role admin');
    expect(renderServiceApiPage({ ...doc, info: { ...doc.info, title: '<img src=x>' } } as never)).not.toContain('<img src=x');
  });
});
