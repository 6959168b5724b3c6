import { Controller, Get, Header, Inject, Optional } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';
import { errorCodeEntry } from '@tongban/errors';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, problemDetails, type ProblemInput, STATUS_OF_KIND } from './problem-details';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Pieces of the services' OpenAPI 3.1 documents (ops, delivery): the problem schema, problem responses, route lists, the page. */

export type Schema = Record<string, unknown>;

export interface ServiceOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; description: string; schema: Schema }>;
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: Schema; example?: unknown }> };
  responses: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}

export interface ServiceApiDocument {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, ServiceOperation>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
export const jsonResponse = (schema: Schema, description: string, extra: Record<string, unknown> = {}) => ({
  description,
  content: { 'application/json': { schema } },
  ...extra,
});
export const jsonBody = (schema: Schema, example?: unknown, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
export const pathParam = (name: string, description: string, schema: Schema = { type: 'string' }) => ({
  name,
  in: 'path' as const,
  required: true,
  description,
  schema,
});
export const queryParam = (name: string, description: string, schema: Schema = { type: 'string' }) => ({ name, in: 'query' as const, description, schema });

export const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } };

/** An object schema with its members (none: a free-form object); `required` names those always there. */
export const objectSchema = (description: string, properties: Record<string, Schema> = {}, required: string[] = []): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length ? { required } : {}),
});

/** The problem answers every service's document declares alike: the per-address lockout and an unavailable dependency. */
export function sharedProblemResponses(): Record<string, Record<string, unknown>> {
  return {
    TooManyFailedAttempts: problemResponse(
      'Too many failed authentications from this address.',
      { code: 'AUTH.TOO_MANY_FAILED_ATTEMPTS', detail: 'too many failed authentications; retry after 60 s' },
      RETRY_AFTER,
    ),
    Unavailable: problemResponse(
      'A dependency is unavailable: try again after Retry-After.',
      { code: 'DEPENDENCY.UNAVAILABLE', detail: 'a dependency of this service is unavailable; try again later' },
      RETRY_AFTER,
    ),
  };
}

/** The RFC 9457 problem body every service answers (`Error`), and the `{ path, problem }` item of its `problems` (`Problem`). */
export function problemSchemas(): Record<string, Schema> {
  return {
    Problem: { type: 'object', properties: { path: { type: 'string' }, problem: { type: 'string' } }, required: ['path', 'problem'] },
    Error: {
      type: 'object',
      description: 'An RFC 9457 problem (`application/problem+json`).',
      properties: {
        type: { type: 'string', format: 'uri', description: `The problem type: ${PROBLEM_TYPE_BASE}<code, lowercased, \`.\` as \`/\`, \`_\` as \`-\`>.` },
        title: { type: 'string', description: 'One line, the same for every occurrence of the type.' },
        status: { type: 'integer', description: 'The HTTP status, repeated.' },
        detail: { type: 'string', description: 'What went wrong this time.' },
        code: {
          type: 'string',
          pattern: '^[A-Z][A-Z0-9_]*\\.[A-Z][A-Z0-9_]*$',
          description: 'Stable error code `<AREA>.<REASON>` (REQUEST.INVALID, AUTH.UNAUTHENTICATED, CASE.NOT_FOUND, …).',
        },
        instance: { type: 'string', format: 'uri-reference' },
        problems: { type: 'array', items: schemaRef('Problem'), description: 'Each problem of a bad input, with its path.' },
        error: {
          type: 'object',
          deprecated: true,
          description: 'The answer of before RFC 9457, for older clients: the flat code (VALIDATION_FAILED, NOT_FOUND, …), `detail` and `problems`.',
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: schemaRef('Problem') } },
          required: ['code', 'message', 'details'],
        },
      },
      required: ['type', 'title', 'status', 'detail', 'code', 'error'],
    },
  };
}

/** A problem response: its example built from a registered code, so its status and `type` are those of the code. */
export function problemResponse(description: string, example: ProblemInput, headers?: Record<string, unknown>): Record<string, unknown> {
  if (!errorCodeEntry(example.code)) throw new Error(`unregistered error code ${example.code}`);
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: schemaRef('Error'), example: problemDetails(example) } },
  };
}

/** The HTTP status a registered code is answered with. */
export function statusOfCode(code: string): number {
  const entry = errorCodeEntry(code);
  if (!entry) throw new Error(`unregistered error code ${code}`);
  return STATUS_OF_KIND[entry.kind];
}

/** The version in the repository's package.json (0.0.0 when it cannot be read). */
export function repositoryVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}

const escapeHtml = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const prose = (text: unknown) => escapeHtml(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');

/** A service's document as one HTML page: every route with who may call it, its parameters and answers. No script, nothing fetched. */
export function renderServiceApiPage(doc: ServiceApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const section = ({ path, method, op }: (typeof operations)[number]) => {
    const role = op['x-tongban-role'];
    const security = (op.security ?? []).flatMap((s) => Object.keys(s));
    const params = (op.parameters ?? [])
      .map((p) => `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ', required' : ''}): ${prose(p.description)}</li>`)
      .join('');
    const responses = Object.entries(op.responses)
      .map(([status, r]) => {
        const name = ((r as { $ref?: string }).$ref ?? '').split('/').pop();
        const described = name ? (doc.components.responses[name] as { description?: string } | undefined) : (r as { description?: string });
        const example = name
          ? ((doc.components.responses[name] as Json)?.content?.[PROBLEM_CONTENT_TYPE]?.example as { code?: string; type?: string } | undefined)
          : undefined;
        return `<li><b>${escapeHtml(status)}</b> ${prose(described?.description)}${example?.code ? ` <code>${escapeHtml(example.code)}</code> (${escapeHtml(example.type)})` : ''}</li>`;
      })
      .join('');
    return `<section class="op" id="${escapeHtml(op.operationId)}">
<h3><span class="method">${escapeHtml(method.toUpperCase())}</span> <code class="path">${escapeHtml(path)}</code></h3>
<p>${prose(op.summary)}${security.length ? ` · <span class="auth">${escapeHtml(security.join(', '))}${role ? `, role ${escapeHtml(role)}` : ''}</span>` : ' · <span class="auth">no credential</span>'}</p>
${op.description ? `<p>${prose(op.description)}</p>` : ''}${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}${op.requestBody ? `<h4>Body</h4><p>${prose(op.requestBody.description ?? 'JSON')}</p>` : ''}<h4>Answers</h4><ul>${responses}</ul>
</section>`;
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem 1.5rem;color:#1d2330}
code{font-family:ui-monospace,monospace;background:#f1f3f6;padding:0 .2em;border-radius:3px}
.op{border-top:1px solid #d8dde5;padding:.5rem 0}
.method{display:inline-block;min-width:4.5em;font-weight:700;color:#0b5cad}
.auth{color:#7a4b00}
.meta{color:#5a6272}
</style>
</head>
<body>
<h1>${escapeHtml(doc.info.title)}</h1>
<p class="meta">OpenAPI ${escapeHtml(doc.openapi)} · version ${escapeHtml(doc.info.version)} · machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<p>${prose(doc.info.description)}</p>
${doc.tags
  .map(
    (t) =>
      `<h2>${escapeHtml(t.name)}</h2><p>${prose(t.description)}</p>${operations
        .filter((o) => o.op.tags.includes(t.name))
        .map(section)
        .join('\n')}`,
  )
  .join('\n')}
</body>
</html>
`;
}

/** Nest token of the document a service's ApiDescriptionController serves. */
export const SERVICE_API_DOCUMENT = Symbol('SERVICE_API_DOCUMENT');
/** Nest token of a page a service renders of its document itself (the gateway's, with its event types); else renderServiceApiPage's. */
export const SERVICE_API_PAGE = Symbol('SERVICE_API_PAGE');

/** `GET /openapi.json` (the service's OpenAPI 3.1 document) and `GET /docs` (the same as a page). No credential needed. */
@Controller()
export class ApiDescriptionController {
  private readonly page: string;

  constructor(
    @Inject(SERVICE_API_DOCUMENT) private readonly document: ServiceApiDocument,
    @Optional() @Inject(SERVICE_API_PAGE) page?: string,
  ) {
    this.page = page ?? renderServiceApiPage(document);
  }

  @Get('openapi.json')
  openapi(): ServiceApiDocument {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  // The page carries its own style and nothing else: no script runs, nothing is fetched.
  @Header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
  docs(): string {
    return this.page;
  }
}
