import { join } from 'node:path';
import { SchemaCatalogue } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { errorCodeEntry } from '@tongban/errors';
import { declaredRoutes, describedRoutes, problemType, renderServiceApiPage, statusOfCode } from '@tongban/http';
import { DELIVERY_CONTROLLERS } from '../controllers';
import { buildDeliveryOpenApiDocument } from './delivery-openapi';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the delivery OpenAPI document', () => {
  const eventTypes = new SchemaCatalogue(join(contractsDir(), 'avro')).eventTypes();
  const doc = buildDeliveryOpenApiDocument('1.2.3', eventTypes) as unknown as Json;
  const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => ({ path, method, op: op as Json })));

  it('is OpenAPI 3.1 with partner API keys and the admin token as bearer schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    expect(doc.components.securitySchemes.apiKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.components.securitySchemes.adminToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.paths['/v1/subscriptions'].post.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/v1/deliveries'].get.security).toEqual([{ apiKey: [] }, { adminToken: [] }]);
  });

  it('describes every route the controllers declare, and no other', () => {
    const declared = declaredRoutes(DELIVERY_CONTROLLERS);
    expect(declared).toEqual(expect.arrayContaining(['DELETE /v1/subscriptions/{id}', 'POST /v1/deliveries/{id}/redeliver', 'GET /openapi.json']));
    expect(describedRoutes(doc as never)).toEqual(declared);
  });

  it('gives each operation a unique id, its path parameters and a 2xx answer; credentialed ones answer 401', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations) {
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      expect(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s))).toBe(true);
      if (op.security) expect(op.responses['401']).toEqual({ $ref: '#/components/responses/Unauthenticated' });
      else expect(path).toMatch(/^\/(health|metrics|openapi\.json|docs)/);
    }
  });

  it('answers every error as an RFC 9457 problem of a registered code, under the status of that code', () => {
    for (const response of Object.values(doc.components.responses as Json)) {
      const { schema, example } = response.content['application/problem+json'];
      expect(schema).toEqual({ $ref: '#/components/schemas/Error' });
      expect(errorCodeEntry(example.code)).toBeDefined();
      expect(example.status).toBe(statusOfCode(example.code));
      expect(example.type).toBe(problemType(example.code));
      expect(Object.keys(example)).toEqual(expect.arrayContaining(doc.components.schemas.Error.required));
    }
    for (const { op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const name = (response.$ref as string | undefined)?.split('/').pop();
        if (name) expect([name, doc.components.responses[name].content['application/problem+json'].example.status]).toEqual([name, Number(status)]);
      }
    }
  });

  it('takes the event types of a subscription from the contracts, its example every type', () => {
    const body = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'];
    expect(doc.components.schemas.SubscriptionRequest.properties.eventTypes.items.enum).toEqual(['*', ...eventTypes]);
    expect(body.example.eventTypes).toEqual(['*']);
  });

  it('points every $ref at something defined', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)];
    expect(refs.filter(([, kind, name]) => !doc.components[kind][name]).map(([, kind, name]) => `${kind}/${name}`)).toEqual([]);
  });

  it('renders as one page with every route, no script', () => {
    const html = renderServiceApiPage(doc as never);
    expect(html).not.toMatch(/<script|@import/i);
    for (const { path } of operations) expect(html).toContain(`<code class="path">${path}</code>`);
  });
});
