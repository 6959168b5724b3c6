import { Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiDescriptionController, problemResponse, problemSchemas, renderServiceApiPage, ServiceApiDocument, statusOfCode } from './openapi';
import { declaredRoutes, describedRoutes } from './openapi.testing';

@Controller('v1/things')
class ThingsController {
  @Get()
  list(): void {}

  @Get(':id')
  one(): void {}

  @Delete(':id/parts/:part')
  part(): void {}

  helper(): void {}
}

@Controller()
class RootController {
  @Post('v1/things\\:search')
  search(): void {}

  @Get(['health', 'health/ready'])
  health(): void {}

  @Get()
  index(): void {}
}

describe('declaredRoutes', () => {
  it("reads every handler's method and path from Nest's metadata, in OpenAPI's path syntax", () => {
    expect(declaredRoutes([ThingsController, RootController])).toEqual([
      'DELETE /v1/things/{id}/parts/{part}',
      'GET /',
      'GET /health',
      'GET /health/ready',
      'GET /v1/things',
      'GET /v1/things/{id}',
      'POST /v1/things:search',
    ]);
  });

  it('lists a document the same way', () => {
    expect(describedRoutes({ paths: { '/v1/things/{id}': { get: {}, delete: {} }, '/': { get: {} } } })).toEqual([
      'DELETE /v1/things/{id}',
      'GET /',
      'GET /v1/things/{id}',
    ]);
  });
});

describe('problem responses', () => {
  it.each([
    ['REQUEST.INVALID', 400],
    ['OPS.OPERATOR_FORBIDDEN', 403],
    ['DELIVERY.NOT_PARKED', 409],
    ['AUTH.TOO_MANY_FAILED_ATTEMPTS', 429],
    ['DEPENDENCY.UNAVAILABLE', 503],
  ])('%s is described under status %i, as an RFC 9457 problem', (code, status) => {
    expect(statusOfCode(code)).toBe(status);
    const response = problemResponse('d', { code, detail: 'x' }) as { content: Record<string, { schema: unknown; example: { status: number; type: string } }> };
    expect(response.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(response.content['application/problem+json'].example.status).toBe(status);
  });

  it('refuses a code that is not registered', () => {
    expect(() => problemResponse('d', { code: 'NO.SUCH_CODE', detail: 'x' })).toThrow(/unregistered/);
    expect(() => statusOfCode('NO.SUCH_CODE')).toThrow(/unregistered/);
  });

  it('requires the problem members and the deprecated error', () => {
    expect(problemSchemas().Error.required).toEqual(['type', 'title', 'status', 'detail', 'code', 'error']);
  });
});

const smallDocument: ServiceApiDocument = {
  openapi: '3.1.0',
  jsonSchemaDialect: '',
  info: { title: 't', version: '1', description: '<script>alert(1)</script>' },
  servers: [],
  tags: [{ name: 'a', description: 'A' }],
  paths: { '/x/{id}': { get: { operationId: 'x', tags: ['a'], summary: '<i>sum</i>', responses: { '200': { description: 'ok' } } } } },
  components: { schemas: {}, responses: {}, securitySchemes: {} },
};

describe('renderServiceApiPage', () => {
  it('escapes what it shows and runs no script', () => {
    const html = renderServiceApiPage(smallDocument);
    expect(html).not.toMatch(/<script|<i>sum/);
    expect(html).toContain('&lt;i&gt;sum');
    expect(html).toContain('<code class="path">/x/{id}</code>');
  });
});

describe('ApiDescriptionController', () => {
  it('serves the document, and as the page renderServiceApiPage makes of it unless the service gives a page of its own', () => {
    const standard = new ApiDescriptionController(smallDocument);
    expect(standard.openapi()).toBe(smallDocument);
    expect(standard.docs()).toBe(renderServiceApiPage(smallDocument));
    expect(new ApiDescriptionController(smallDocument, '<p>own page</p>').docs()).toBe('<p>own page</p>');
  });
});
