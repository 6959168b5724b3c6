import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { isDeepStrictEqual } from 'node:util';
import { errorCodeEntry } from '@tongban/errors';
import { PROBLEM_CONTENT_TYPE, problemType, STATUS_OF_KIND } from './problem-details';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * Checks of a service's OpenAPI document, for the specs of the gateway, ops and delivery and for the tests that
 * fetch the documents: each returns what it found wrong (an empty list when nothing), so one `toEqual([])`
 * names every fault at once.
 */

/** A parsed OpenAPI document, read loosely: the checks look at any object and say what is missing. */
export type OpenApiJson = Json;

/** Every operation of a document with its path and (lower-case) method, in the document's order. */
export function openApiOperations(doc: object): Array<{ path: string; method: string; op: OpenApiJson }> {
  const paths = ((doc as OpenApiJson).paths ?? {}) as Record<string, Record<string, OpenApiJson>>;
  return Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
}

/** `METHOD /path` of every operation a document describes. */
export function describedRoutes(doc: object): string[] {
  return openApiOperations(doc)
    .map(({ path, method }) => `${method.toUpperCase()} ${path}`)
    .sort();
}

const METHOD_NAMES: Partial<Record<RequestMethod, string>> = {
  [RequestMethod.GET]: 'GET',
  [RequestMethod.POST]: 'POST',
  [RequestMethod.PUT]: 'PUT',
  [RequestMethod.DELETE]: 'DELETE',
  [RequestMethod.PATCH]: 'PATCH',
};

/** Nest's and Express's `:param` as OpenAPI's `{param}`; an escaped `\:` (as in `v1/dlq\:search`) is a plain colon. */
const openApiPath = (path: string) => path.replace(/(?<!\\):([A-Za-z_]\w*)/g, '{$1}').replace(/\\:/g, ':');

function joinPath(prefix: string, path: string): string {
  return openApiPath(
    `/${[prefix, path]
      .map((p) => p.replace(/^\/+|\/+$/g, ''))
      .filter(Boolean)
      .join('/')}`,
  );
}

/** `METHOD /path` of every route the controllers declare, read from Nest's decorator metadata, in OpenAPI's path syntax. */
export function declaredRoutes(controllers: Array<abstract new (...args: never[]) => unknown>): string[] {
  const routes: string[] = [];
  for (const controller of controllers) {
    const prefixes = [(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined) ?? ''].flat();
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (paths === undefined || method === undefined) continue;
      for (const prefix of prefixes) for (const path of [paths].flat()) routes.push(`${METHOD_NAMES[method] ?? String(method)} ${joinPath(prefix, path)}`);
    }
  }
  return routes.sort();
}

/** `METHOD /path` of every route a running app registered on its Express instance, in OpenAPI's path syntax. */
export function registeredRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string | string[]; methods: Record<string, boolean> } }> } };
  return express.router.stack
    .flatMap((layer) => (layer.route ? [layer.route] : []))
    .flatMap((route) => {
      const methods = Object.keys(route.methods).filter((m) => m !== '_all');
      return [route.path].flat().flatMap((p) => methods.map((m) => `${m.toUpperCase()} ${openApiPath(p)}`));
    })
    .sort();
}

/**
 * What is wrong with a document's error answers: every shared response (`components.responses`) must be an RFC 9457
 * problem alone, of the `Error` schema, its example of a registered code with that code's status and `type` and
 * every field `Error` requires; and every operation must list such a response under the status it answers with.
 */
export function problemResponseFaults(doc: object): string[] {
  const { components = {} } = doc as OpenApiJson;
  const required: string[] = components.schemas?.Error?.required ?? [];
  const faults: string[] = [];
  const statusOf = new Map<string, number>();
  for (const [name, response] of Object.entries((components.responses ?? {}) as Record<string, OpenApiJson>)) {
    const types = Object.keys(response.content ?? {});
    if (types.length !== 1 || types[0] !== PROBLEM_CONTENT_TYPE) {
      faults.push(`${name}: answers ${types.join(', ') || 'no body'}, not ${PROBLEM_CONTENT_TYPE} alone`);
      continue;
    }
    const { schema, example } = response.content[PROBLEM_CONTENT_TYPE] as OpenApiJson;
    if (!isDeepStrictEqual(schema, { $ref: '#/components/schemas/Error' })) faults.push(`${name}: its schema is not #/components/schemas/Error`);
    const code: unknown = example?.code;
    const entry = typeof code === 'string' ? errorCodeEntry(code) : undefined;
    if (!entry) {
      faults.push(`${name}: the code of its example, ${String(code)}, is not registered`);
      continue;
    }
    const status = STATUS_OF_KIND[entry.kind];
    if (example.status !== status) faults.push(`${name}: its example says status ${example.status}, ${code} is answered ${status}`);
    if (example.type !== problemType(code as string)) faults.push(`${name}: its example's type is ${example.type}, not ${problemType(code as string)}`);
    const missing = required.filter((field) => !(field in example));
    if (missing.length > 0) faults.push(`${name}: its example lacks ${missing.join(', ')}`);
    statusOf.set(name, example.status);
  }
  for (const { path, method, op } of openApiOperations(doc)) {
    for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, OpenApiJson>)) {
      const name = typeof response.$ref === 'string' ? response.$ref.split('/').pop()! : undefined;
      const answered = name === undefined ? undefined : statusOf.get(name);
      if (answered !== undefined && answered !== Number(status))
        faults.push(`${method.toUpperCase()} ${path}: ${name} listed under ${status}, it is answered ${answered}`);
    }
  }
  return faults;
}

/** Every `#/components/schemas/…` and `#/components/responses/…` a document points at without defining it. */
export function undefinedRefs(doc: object): string[] {
  const components = ((doc as OpenApiJson).components ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)];
  return refs.filter(([, kind, name]) => !components[kind]?.[name]).map(([, kind, name]) => `${kind}/${name}`);
}

/**
 * Every object schema a 2xx JSON answer of a document leaves without members: `METHOD /path status` and the member's
 * path inside the answer (`.items[].payload`; `$ref`, `allOf`, `anyOf` and `oneOf` followed). An object counts as
 * described when it lists `properties` or gives `additionalProperties` a schema of its own (a map of like values).
 */
export function memberlessAnswerSchemas(doc: object): string[] {
  const found: string[] = [];
  const resolve = (ref: string): OpenApiJson | undefined =>
    ref
      .slice(2)
      .split('/')
      .reduce<OpenApiJson | undefined>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc as OpenApiJson);
  const walk = (schema: unknown, where: string, seen: ReadonlySet<string>): void => {
    if (!schema || typeof schema !== 'object') return;
    const s = schema as OpenApiJson;
    if (typeof s.$ref === 'string') {
      if (!seen.has(s.$ref)) walk(resolve(s.$ref), where, new Set([...seen, s.$ref]));
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[key])) for (const sub of s[key]) walk(sub, where, seen);
    const types: unknown[] = Array.isArray(s.type) ? s.type : [s.type];
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    const mapped = !!s.additionalProperties && typeof s.additionalProperties === 'object';
    if (types.includes('object') && Object.keys(properties).length === 0 && !mapped && !s.allOf && !s.anyOf && !s.oneOf) found.push(where);
    for (const [name, sub] of Object.entries(properties)) walk(sub, `${where}.${name}`, seen);
    if (mapped) walk(s.additionalProperties, `${where}.*`, seen);
    if (s.items) walk(s.items, `${where}[]`, seen);
  };
  for (const { path, method, op } of openApiOperations(doc)) {
    for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, OpenApiJson>)) {
      if (!/^2\d\d$/.test(status)) continue;
      const answer = typeof response.$ref === 'string' ? resolve(response.$ref) : response;
      for (const [type, media] of Object.entries((answer?.content ?? {}) as Record<string, OpenApiJson>)) {
        if (/json/.test(type)) walk(media.schema, `${method.toUpperCase()} ${path} ${status}`, new Set());
      }
    }
  }
  return [...new Set(found)];
}
