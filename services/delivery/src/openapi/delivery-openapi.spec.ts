import { join } from 'node:path';
import { SchemaCatalogue } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { declaredRoutes, describedRoutes, OpenApiJson, openApiOperations, problemResponseFaults, renderServiceApiPage, undefinedRefs } from '@tongban/http';
import { DELIVERY_CONTROLLERS } from '../controllers';
import { buildDeliveryOpenApiDocument } from './delivery-openapi';

describe('the delivery OpenAPI document', () => {
  const eventTypes = new SchemaCatalogue(join(contractsDir(), 'avro')).eventTypes();
  const doc = buildDeliveryOpenApiDocument('1.2.3', eventTypes) as unknown as OpenApiJson;
  const operations = openApiOperations(doc);

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
    expect(Object.keys(doc.components.responses).length).toBeGreaterThan(3);
    expect(problemResponseFaults(doc)).toEqual([]);
  });

  it('takes the event types of a subscription from the contracts, its example every type', () => {
    const body = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'];
    expect(doc.components.schemas.SubscriptionRequest.properties.eventTypes.items.enum).toEqual(['*', ...eventTypes]);
    expect(body.example.eventTypes).toEqual(['*']);
  });

  it('points every $ref at something defined', () => {
    expect(undefinedRefs(doc)).toEqual([]);
  });

  it('renders as one page with every route, no script', () => {
    const html = renderServiceApiPage(doc as never);
    expect(html).not.toMatch(/<script|@import/i);
    for (const { path } of operations) expect(html).toContain(`<code class="path">${path}</code>`);
  });
});
