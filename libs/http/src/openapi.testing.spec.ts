import { problemResponse, problemSchemas, responseRef } from './openapi';
import { memberlessAnswerSchemas, openApiOperations, problemResponseFaults, undefinedRefs } from './openapi.testing';

const documentWith = (responses: Record<string, unknown>, operationResponses: Record<string, unknown>) => ({
  paths: { '/v1/things/{id}': { get: { operationId: 'thing', responses: { '200': { description: 'The thing.' }, ...operationResponses } } } },
  components: { schemas: problemSchemas(), responses },
});

describe('problemResponseFaults', () => {
  it('finds nothing wrong with problem responses built from registered codes, listed under their statuses', () => {
    const doc = documentWith(
      {
        NotFound: problemResponse('No such thing.', { code: 'CASE.NOT_FOUND', detail: 'x' }),
        Invalid: problemResponse('Bad input.', { code: 'REQUEST.INVALID', detail: 'x' }),
      },
      { '400': responseRef('Invalid'), '404': responseRef('NotFound') },
    );
    expect(problemResponseFaults(doc)).toEqual([]);
  });

  it('names a response listed under another status than its code answers with', () => {
    const doc = documentWith({ NotFound: problemResponse('No such thing.', { code: 'CASE.NOT_FOUND', detail: 'x' }) }, { '410': responseRef('NotFound') });
    expect(problemResponseFaults(doc)).toEqual(['GET /v1/things/{id}: NotFound listed under 410, it is answered 404']);
  });

  it('names each fault of a shared response: media type, schema, code, status, type and required fields', () => {
    const good = problemResponse('No such thing.', { code: 'CASE.NOT_FOUND', detail: 'x' }) as {
      content: Record<string, { schema: unknown; example: Record<string, unknown> }>;
    };
    const example = good.content['application/problem+json'].example;
    const { error: _error, ...withoutError } = example;
    const doc = documentWith(
      {
        Json: { description: 'x', content: { 'application/json': good.content['application/problem+json'] } },
        Unregistered: {
          description: 'x',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Error' }, example: { ...example, code: 'NO.SUCH_CODE' } } },
        },
        Wrong: {
          description: 'x',
          content: { 'application/problem+json': { schema: { type: 'object' }, example: { ...withoutError, status: 400, type: 'about:blank' } } },
        },
      },
      {},
    );
    expect(problemResponseFaults(doc)).toEqual([
      'Json: answers application/json, not application/problem+json alone',
      'Unregistered: the code of its example, NO.SUCH_CODE, is not registered',
      'Wrong: its schema is not #/components/schemas/Error',
      'Wrong: its example says status 400, CASE.NOT_FOUND is answered 404',
      "Wrong: its example's type is about:blank, not https://tongban.example/problems/case/not-found",
      'Wrong: its example lacks error',
    ]);
  });
});

describe('undefinedRefs', () => {
  it('lists the schemas and responses pointed at but not defined', () => {
    const doc = documentWith({}, { '404': responseRef('NotFound'), '409': { $ref: '#/components/schemas/Error' } });
    expect(undefinedRefs(doc)).toEqual(['responses/NotFound']);
  });
});

describe('openApiOperations', () => {
  it('lists each operation with its path and method', () => {
    const doc = { paths: { '/a': { get: { operationId: 'a' }, post: { operationId: 'b' } }, '/b': { delete: { operationId: 'c' } } } };
    expect(openApiOperations(doc).map(({ path, method, op }) => `${method} ${path} ${op.operationId}`)).toEqual(['get /a a', 'post /a b', 'delete /b c']);
  });
});

describe('memberlessAnswerSchemas', () => {
  const answer = (schema: unknown, type = 'application/json') => ({ description: 'x', content: { [type]: { schema } } });
  const docOf = (responses: Record<string, unknown>, schemas: Record<string, unknown> = {}) => ({
    paths: { '/v1/things': { get: { responses } } },
    components: { schemas },
  });

  it('finds nothing when every object of a 2xx answer lists its members or maps like values', () => {
    const doc = docOf(
      { '200': answer({ $ref: '#/components/schemas/Thing' }) },
      {
        Thing: {
          type: 'object',
          properties: {
            tags: { type: 'object', additionalProperties: { type: 'string' } },
            parts: { type: 'array', items: { $ref: '#/components/schemas/Thing' } },
          },
        },
      },
    );
    expect(memberlessAnswerSchemas(doc)).toEqual([]);
  });

  it('names each memberless object by route, status and member path, through $ref, allOf, oneOf, items and nullable types', () => {
    const doc = docOf(
      {
        '200': answer({
          allOf: [
            { $ref: '#/components/schemas/Base' },
            { type: 'object', properties: { payload: { type: ['object', 'null'] }, list: { type: 'array', items: { type: 'object', properties: {} } } } },
          ],
        }),
        '202': answer({ oneOf: [{ type: 'object' }, { type: 'string' }] }),
        '404': answer({ type: 'object' }),
        '204': answer({ type: 'object' }, 'text/plain'),
      },
      { Base: { type: 'object', properties: { meta: { type: 'object' } } } },
    );
    expect(memberlessAnswerSchemas(doc)).toEqual(['GET /v1/things 200.meta', 'GET /v1/things 200.payload', 'GET /v1/things 200.list[]', 'GET /v1/things 202']);
  });
});
