import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaCatalogue } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { OpenApiJson, problemResponseFaults, undefinedRefs } from '@tongban/http';
import { DocsPage } from './docs-page';
import { buildOpenApiDocument } from './openapi-document';

type Json = OpenApiJson;

describe('the gateway OpenAPI document', () => {
  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const doc = buildOpenApiDocument({ catalogue, examplesDir: join(contractsDir(), 'examples'), version: '1.2.3' }) as Json;
  const schemas = doc.components.schemas as Json;

  it('is OpenAPI 3.1 with bearer security', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    expect(doc.components.securitySchemes.apiKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.paths['/v1/events'].post.security).toEqual([{ apiKey: [] }]);
  });

  it('describes every error as an RFC 9457 problem of a registered code, its status that of the code', () => {
    expect(Object.keys(doc.components.responses).length).toBeGreaterThan(3);
    expect(problemResponseFaults(doc)).toEqual([]);
    expect(schemas.Error.required).toEqual(['type', 'title', 'status', 'detail', 'code', 'error']);
    expect(schemas.Error.properties.error.deprecated).toBe(true);
  });

  it('has one request variant per event type of the contracts, chosen by eventType', () => {
    const variants = schemas.EventRequest.oneOf.map((r: Json) => r.$ref.split('/').pop());
    expect(variants).toEqual(catalogue.eventTypes().map((t) => `${t}Request`));
    expect(Object.keys(schemas.EventRequest.discriminator.mapping)).toEqual(catalogue.eventTypes());
    expect(schemas.EconomicCheckHouseholdChangedRequest.properties.eventType).toEqual({ const: 'EconomicCheckHouseholdChanged' });
  });

  it('derives a payload from its Avro record, envelope left out', () => {
    const payload = schemas.EconomicCheckHouseholdChangedPayload;
    expect(Object.keys(payload.properties)).toEqual(['change', 'member', 'spouse', 'effectiveOn', 'marriageCaseId']);
    expect(payload.required).toEqual(['change', 'member', 'spouse', 'effectiveOn', 'marriageCaseId']);
    expect(payload.additionalProperties).toBe(false);
    expect(payload.properties.effectiveOn).toMatchObject({ type: 'string', format: 'date', description: 'Date of the registration.' });
    expect(payload.properties.member.$ref).toBe('#/components/schemas/PersonRef');
    expect(schemas[payload.properties.change.$ref.split('/').pop()]).toMatchObject({ type: 'string', enum: ['MARRIAGE', 'DIVORCE'] });
    expect(schemas.PersonRef.properties.idNumber).toMatchObject({ type: 'string', format: 'id-number', pattern: '^[0-9]{17}[0-9Xx]$' });
    expect(schemas.PersonRef.properties.name.maxLength).toBe(50);
    expect(schemas.PersonRef.properties.hukouDivision.maxLength).toBe(500);
  });

  it('leaves fields with a default out of required and writes nullable unions as anyOf', () => {
    const withDefault = Object.entries(schemas).flatMap(([name, s]) =>
      Object.entries(((s as Json).properties ?? {}) as Json)
        .filter(([, p]) => (p as Json).default !== undefined)
        .map(([field]) => ({ name, field, required: ((s as Json).required ?? []).includes(field) })),
    );
    expect(withDefault.length).toBeGreaterThan(0);
    expect(withDefault.filter((f) => f.required)).toEqual([]);
    const nullable = Object.values(schemas)
      .flatMap((s) => Object.values(((s as Json).properties ?? {}) as Json))
      .filter((p) => (p as Json).anyOf?.some((b: Json) => b.type === 'null'));
    expect(nullable.length).toBeGreaterThan(0);
  });

  it('writes money as decimal strings', () => {
    const decimals = JSON.stringify(schemas).match(/\^-\?\[0-9\]\+\(\\\\\.\[0-9\]\{1,2\}\)\?\$/g);
    expect(decimals?.length).toBeGreaterThan(0);
  });

  it('takes the examples of POST /v1/events from contracts/examples', () => {
    const examples = doc.paths['/v1/events'].post.requestBody.content['application/json'].examples;
    expect(Object.keys(examples).length).toBeGreaterThan(30);
    expect(examples.EconomicCheckHouseholdChanged.value.payload.change).toBe('MARRIAGE');
  });

  it('leaves out an example whose event type the contracts do not define', () => {
    const dir = mkdtempSync(join(tmpdir(), 'examples-'));
    writeFileSync(join(dir, 'NoSuchEvent.json'), '{}');
    writeFileSync(join(dir, 'SubsidyApproved.json'), '{"eventType":"SubsidyApproved"}');
    const small = buildOpenApiDocument({ catalogue, examplesDir: dir, version: '0' }) as Json;
    expect(Object.keys(small.paths['/v1/events'].post.requestBody.content['application/json'].examples)).toEqual(['SubsidyApproved']);
  });

  it('describes POST /v1/events:batch: an array of 1–500 event requests with their own idempotencyKey, answered 207 per item', () => {
    const op = doc.paths['/v1/events:batch'].post;
    expect(op.security).toEqual([{ apiKey: [] }]);
    const body = op.requestBody.content['application/json'];
    expect(body.schema).toEqual({ type: 'array', items: { $ref: '#/components/schemas/EventBatchItem' }, minItems: 1, maxItems: 500 });
    expect(schemas.EventBatchItem.oneOf.map((r: Json) => r.$ref.split('/').pop())).toEqual(catalogue.eventTypes().map((t) => `${t}BatchItem`));
    const item = schemas.SubsidyApplicationSubmittedBatchItem;
    expect(Object.keys(item.properties)).toEqual([...Object.keys(schemas.SubsidyApplicationSubmittedRequest.properties), 'idempotencyKey']);
    expect(item.additionalProperties).toBe(false);
    expect(body.examples.twoEvents.value).toHaveLength(2);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['207', '400', '401', '413', '429', '503']));
    expect(op.responses['207'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/EventBatchResults' });
    expect(schemas.EventBatchResult.required).toEqual(['index', 'status']);
  });

  it('points every $ref at something defined', () => {
    expect(undefinedRefs(doc)).toEqual([]);
  });

  describe('as a page', () => {
    const html = new DocsPage(doc as never).render();

    it('is one self-contained HTML page: no script, no external resource', () => {
      expect(html.startsWith('<!doctype html>')).toBe(true);
      // The one link is the empty icon, so that the browser asks for no favicon; problem types are named, never fetched.
      expect(html).not.toMatch(/<script|<link(?! rel="icon" href="data:,">)|@import|https?:\/\/(?!spec\.|tongban\.example\/problems\/)/i);
    });

    it('lists every route and every event type with its payload fields', () => {
      for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code class="path">${path}</code>`);
      for (const t of catalogue.eventTypes()) expect(html).toContain(`id="event-${t}"`);
      expect(html).toContain('<code>member.idNumber</code>');
    });

    it('escapes what it shows', () => {
      const hostile = { ...doc, info: { ...doc.info, title: '<img src=x onerror=alert(1)>' } };
      expect(new DocsPage(hostile as never).render()).not.toContain('<img src=x');
    });
  });
});
