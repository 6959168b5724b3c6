import type { JsonSchema } from '@tongban/avro';
import type { OpenApiDocument, Operation } from './openapi-document';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const MAX_DEPTH = 5;

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Inline code in descriptions (`like this`) set as code, everything else escaped. */
function prose(text: unknown): string {
  return escapeHtml(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');
}

const anchor = (text: string) => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

interface Row {
  name: string;
  type: string;
  required: boolean;
  description: string;
  depth: number;
}

/**
 * The OpenAPI document as one HTML page: no script, no external style or font, so it reads the same
 * offline, in a browser with scripts off, or printed. Routes first, then every event type with its
 * payload fields and its example.
 */
export class DocsPage {
  constructor(private readonly doc: OpenApiDocument) {}

  render(): string {
    const operations = this.operations();
    const eventTypes = this.eventTypes();
    const tags = (this.doc.tags as Array<{ name: string; description: string }> | undefined) ?? [];
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(this.doc.info.title)} · API</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<nav class="side" aria-label="Contents">
  <p class="brand">tongban <span>gateway API</span></p>
  ${tags
    .map(
      (t) =>
        `<h2>${escapeHtml(t.name)}</h2><ul>${operations
          .filter((o) => o.op.tags.includes(t.name))
          .map((o) => `<li><a href="#${o.id}"><span class="m m-${o.method}">${o.method.toUpperCase()}</span> ${escapeHtml(o.path)}</a></li>`)
          .join('')}</ul>`,
    )
    .join('\n  ')}
  <h2>event types (${eventTypes.length})</h2>
  <ul class="events">${eventTypes.map((e) => `<li><a href="#event-${e.name}">${escapeHtml(e.name)}</a></li>`).join('')}</ul>
</nav>
<main>
  <header>
    <h1>${escapeHtml(this.doc.info.title)}</h1>
    <p class="meta">OpenAPI ${escapeHtml(this.doc.openapi)} · version ${escapeHtml(this.doc.info.version)} · machine-readable: <a href="/openapi.json">/openapi.json</a></p>
    <p>${prose(this.doc.info.description)}</p>
    ${this.authentication()}
  </header>
  ${tags
    .map(
      (t) => `<section class="tag"><h2 id="tag-${anchor(t.name)}">${escapeHtml(t.name)}</h2><p class="lead">${prose(t.description)}</p>
  ${operations
    .filter((o) => o.op.tags.includes(t.name))
    .map((o) => this.operation(o.id, o.method, o.path, o.op))
    .join('\n')}</section>`,
    )
    .join('\n')}
  <section class="tag"><h2 id="events">Event types</h2>
  <p class="lead">The bodies <code>POST /v1/events</code> accepts, derived from the Avro contracts (<code>contracts/avro</code>). Every body has the
  fields below; <code>payload</code> is what each type adds. Examples are <code>contracts/examples/&lt;EventType&gt;.json</code>.</p>
  ${this.envelope()}
  ${eventTypes.map((e) => this.eventType(e.name, e.schema)).join('\n')}
  </section>
  <section class="tag"><h2 id="errors">Errors</h2>
  <p class="lead">Every error has the same shape, an RFC 9457 problem (<code>application/problem+json</code>); a bad input is always a 4xx naming each problem.</p>
  ${this.schemaTable(this.resolve({ $ref: '#/components/schemas/Error' }))}
  ${this.errorList()}
  </section>
</main>
</body>
</html>
`;
  }

  private operations(): Array<{ id: string; method: string; path: string; op: Operation }> {
    return Object.entries(this.doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ id: `op-${item[m].operationId}`, method: m, path, op: item[m] })),
    );
  }

  private eventTypes(): Array<{ name: string; schema: JsonSchema }> {
    const request = this.doc.components.schemas.EventRequest as { oneOf?: Array<{ $ref: string }> };
    return (request?.oneOf ?? []).map((r) => {
      const schema = this.resolve(r);
      return { name: String((schema.properties as Record<string, { const?: string }>).eventType.const), schema };
    });
  }

  private authentication(): string {
    const schemes = Object.entries(this.doc.components.securitySchemes) as Array<[string, { scheme?: string; description?: string }]>;
    return `<div class="auth"><h3>Authentication</h3><dl>${schemes
      .map(([name, s]) => `<dt><code>${escapeHtml(name)}</code> · ${escapeHtml(s.scheme ?? '')}</dt><dd>${prose(s.description)}</dd>`)
      .join('')}</dl></div>`;
  }

  private operation(id: string, method: string, path: string, op: Operation): string {
    const security = op.security?.length ? op.security.map((s) => Object.keys(s).join(', ')).join(' or ') : 'none';
    const params = op.parameters ?? [];
    const body = op.requestBody?.content?.['application/json'];
    const bodyHtml = !body
      ? ''
      : `<h4>Request body${op.requestBody?.required ? '' : ' (optional)'}</h4>${op.requestBody?.description ? `<p>${prose(op.requestBody.description)}</p>` : ''}${
          body.schema.$ref === '#/components/schemas/EventRequest'
            ? `<p>One of the <a href="#events">${this.eventTypes().length} event types</a>, chosen by <code>eventType</code>.</p>`
            : (body.schema.items as JsonSchema | undefined)?.$ref === '#/components/schemas/EventBatchItem'
              ? `<p>An array of ${escapeHtml(String(body.schema.minItems ?? 1))}–${escapeHtml(String(body.schema.maxItems ?? ''))} items, each one of the <a href="#events">${this.eventTypes().length} event types</a> (chosen by <code>eventType</code>) with an optional <code>idempotencyKey</code>.</p>`
              : this.schemaTable(this.resolve(body.schema))
        }`;
    const responses = Object.entries(op.responses).map(([status, r]) => {
      const resolved = this.resolveResponse(r);
      const content = resolved.content as Record<string, { schema?: JsonSchema }> | undefined;
      const schema = (content?.['application/json'] ?? content?.['application/problem+json'])?.schema;
      const shape = schema ? this.typeOf(schema) : Object.keys((resolved.content as object | undefined) ?? {}).join(', ');
      return `<tr><td><span class="status s${status[0]}">${escapeHtml(status)}</span></td><td>${prose(resolved.description)}</td><td class="type">${shape}</td></tr>`;
    });
    return `<article class="op" id="${id}">
  <h3><span class="m m-${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code></h3>
  <p class="summary">${prose(op.summary)}</p>
  ${op.description ? `<p>${prose(op.description)}</p>` : ''}
  <p class="security">Authentication: <strong>${escapeHtml(security)}</strong></p>
  ${
    params.length
      ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>${params
          .map(
            (p) =>
              `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td class="in">${p.in}</td><td class="type">${this.typeOf(p.schema)}</td><td>${prose(p.description)}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : ''
  }
  ${bodyHtml}
  <h4>Responses</h4><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead><tbody>${responses.join('')}</tbody></table>
</article>`;
  }

  private envelope(): string {
    const first = this.eventTypes()[0];
    if (!first) return '';
    const props = { ...(first.schema.properties as Record<string, JsonSchema>) };
    props.eventType = { type: 'string', description: 'The event type: one of those below.' };
    props.payload = { type: 'object', description: 'The fields of the event type, listed with each type below.' };
    return `<article class="op envelope"><h3>Fields of every event</h3>${this.schemaTable({ ...first.schema, properties: props })}</article>`;
  }

  private eventType(name: string, schema: JsonSchema): string {
    const payload = this.resolve((schema.properties as Record<string, JsonSchema>).payload);
    const example = (this.doc.paths['/v1/events']?.post?.requestBody?.content['application/json']?.examples ?? {})[name];
    return `<article class="op event" id="event-${escapeHtml(name)}">
  <h3>${escapeHtml(name)}</h3>
  <p>${prose(schema.description)}</p>
  <h4>payload</h4>
  ${this.schemaTable(payload)}
  ${example ? `<details><summary>Example body</summary><pre>${escapeHtml(JSON.stringify(example.value, null, 2))}</pre></details>` : '<p class="muted">No example in contracts/examples.</p>'}
</article>`;
  }

  private errorList(): string {
    type Example = { code: string; status: number };
    const responses = this.doc.components.responses as Record<string, { description: string; content: Record<string, { example: Example }> }>;
    const exampleOf = (r: (typeof responses)[string]) => Object.values(r.content)[0].example;
    const byCode = new Map<string, (typeof responses)[string]>();
    for (const r of Object.values(responses)) if (!byCode.has(exampleOf(r).code)) byCode.set(exampleOf(r).code, r);
    return `<table><thead><tr><th>code</th><th>status</th><th>meaning</th></tr></thead><tbody>${[...byCode.values()]
      .map((r) => `<tr><td><code>${escapeHtml(exampleOf(r).code)}</code></td><td>${exampleOf(r).status}</td><td>${prose(r.description)}</td></tr>`)
      .join('')}</tbody></table>`;
  }

  /** A table of an object's fields, nested objects flattened into dotted names (`member.idNumber`). */
  schemaTable(schema: JsonSchema): string {
    const rows: Row[] = [];
    this.rows(schema, '', 0, rows, new Set());
    if (rows.length === 0) return `<p class="type">${this.typeOf(schema)}</p>`;
    return `<table class="fields"><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>${rows
      .map(
        (r) =>
          `<tr><td class="d${Math.min(r.depth, 4)}"><code>${escapeHtml(r.name)}</code>${r.required ? ' <span class="req">required</span>' : ''}</td><td class="type">${r.type}</td><td>${prose(r.description)}</td></tr>`,
      )
      .join('')}</tbody></table>`;
  }

  private rows(schema: JsonSchema, prefix: string, depth: number, out: Row[], seen: Set<string>): void {
    const s = this.objectOf(schema);
    if (!s || depth > MAX_DEPTH) return;
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, raw] of Object.entries((s.properties as Record<string, JsonSchema>) ?? {})) {
      const described = (raw.description as string | undefined) ?? (this.resolve(raw).description as string | undefined) ?? '';
      out.push({ name: `${prefix}${name}`, type: this.typeOf(raw), required: required.has(name), description: described, depth });
      const ref = this.refIn(raw);
      if (ref && seen.has(ref)) continue;
      const nextSeen = ref ? new Set([...seen, ref]) : seen;
      const inner = this.arrayItems(raw);
      if (inner) this.rows(inner, `${prefix}${name}[].`, depth + 1, out, nextSeen);
      else this.rows(raw, `${prefix}${name}.`, depth + 1, out, nextSeen);
    }
  }

  /** The object schema behind a field (through `$ref`, a nullable `anyOf`, or `allOf`), when it has properties. */
  private objectOf(schema: JsonSchema): JsonSchema | undefined {
    const s = this.resolve(schema);
    if (s.properties) return s;
    const branches = ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined)?.filter((b) => b.type !== 'null');
    if (branches?.length === 1) return this.objectOf(branches[0]);
    return undefined;
  }

  private arrayItems(schema: JsonSchema): JsonSchema | undefined {
    const s = this.resolve(schema);
    if (s.type === 'array') return s.items as JsonSchema;
    const branches = (s.anyOf as JsonSchema[] | undefined)?.filter((b) => b.type !== 'null');
    if (branches?.length === 1) return this.arrayItems(branches[0]);
    return undefined;
  }

  private refIn(schema: JsonSchema): string | undefined {
    if (typeof schema.$ref === 'string') return schema.$ref;
    const branches = (schema.anyOf as JsonSchema[] | undefined)?.filter((b) => b.type !== 'null');
    if (branches?.length === 1) return this.refIn(branches[0]);
    if (schema.type === 'array') return this.refIn(schema.items as JsonSchema);
    return undefined;
  }

  /** A short, readable type: `string (date)`, `one of MARRIAGE, DIVORCE`, `PersonRef or null`, `array of MemberCheckResult`. */
  typeOf(schema: JsonSchema): string {
    if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.split('/').pop() as string;
      const target = this.resolve(schema);
      if (target.enum) return this.enumOf(target.enum as unknown[]);
      if (target.properties || target.oneOf) return `object <span class="muted">${escapeHtml(name)}</span>`;
      return this.typeOf({ ...target, description: undefined });
    }
    const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
    // `null` last: "string or null" reads as a field that may be left empty.
    if (branches) return [...branches.filter((b) => b.type !== 'null'), ...branches.filter((b) => b.type === 'null')].map((b) => this.typeOf(b)).join(' or ');
    if (schema.allOf) return (schema.allOf as JsonSchema[]).map((b) => this.typeOf(b)).join(' and ');
    if (schema.enum) return this.enumOf(schema.enum as unknown[]);
    if (schema.type === 'array') return `array of ${this.typeOf(schema.items as JsonSchema)}`;
    const type = String(schema.type ?? 'any');
    const notes = [schema.format, schema.maxLength !== undefined && schema.maxLength !== 500 ? `≤ ${schema.maxLength} chars` : undefined]
      .filter((n) => n !== undefined)
      .map((n) => escapeHtml(n));
    return `${escapeHtml(type)}${notes.length ? ` <span class="muted">(${notes.join(', ')})</span>` : ''}`;
  }

  private enumOf(values: unknown[]): string {
    return `one of <span class="enum">${values.map((v) => `<code>${escapeHtml(v)}</code>`).join(' ')}</span>`;
  }

  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; i < 10 && typeof s.$ref === 'string' && s.$ref.startsWith('#/components/schemas/'); i++) {
      s = this.doc.components.schemas[s.$ref.slice('#/components/schemas/'.length)] ?? {};
    }
    return s;
  }

  private resolveResponse(r: unknown): Record<string, unknown> {
    const ref = (r as { $ref?: string }).$ref;
    if (ref?.startsWith('#/components/responses/'))
      return this.doc.components.responses[ref.slice('#/components/responses/'.length)] as Record<string, unknown>;
    return r as Record<string, unknown>;
  }
}

const STYLE = `
:root { --ink: #1d2433; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --accent: #b42318; --get: #1570ef; --post: #079455; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; color: var(--ink); background: #fff; display: flex; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
a { color: var(--get); text-decoration: none; } a:hover { text-decoration: underline; }
nav.side { position: sticky; top: 0; height: 100vh; overflow-y: auto; width: 320px; flex: none; background: var(--bg); border-right: 1px solid var(--line); padding: 20px 16px; font-size: 13px; }
nav.side .brand { font-weight: 700; font-size: 17px; margin: 0 0 12px; color: var(--accent); } nav.side .brand span { color: var(--ink); font-weight: 500; }
nav.side h2 { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 18px 0 6px; }
nav.side ul { list-style: none; margin: 0; padding: 0; } nav.side li { margin: 3px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
nav.side a { color: var(--ink); } nav.side .m { font-size: 10px; min-width: 38px; }
main { flex: 1; min-width: 0; max-width: 1080px; padding: 28px 40px 80px; }
header h1 { margin: 0 0 4px; font-size: 28px; } .meta { color: var(--muted); margin-top: 0; }
.auth { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px; } .auth h3 { margin: 10px 0 4px; font-size: 15px; }
.auth dt { font-weight: 600; margin-top: 6px; } .auth dd { margin: 0 0 8px; }
section.tag > h2 { font-size: 22px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; margin-top: 40px; text-transform: capitalize; }
.lead { color: var(--muted); }
article.op { border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 18px 0; }
article.op h3 { margin: 0; font-size: 17px; display: flex; align-items: center; gap: 10px; }
article.op h4 { margin: 16px 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.path { font-size: 16px; } .summary { font-weight: 600; margin: 6px 0; } .security { font-size: 13px; color: var(--muted); }
.m { display: inline-block; min-width: 48px; text-align: center; border-radius: 4px; padding: 1px 6px; color: #fff; font: 700 12px/1.6 ui-monospace, Menlo, monospace; }
.m-get { background: var(--get); } .m-post { background: var(--post); } .m-put, .m-patch { background: #dc6803; } .m-delete { background: var(--accent); }
table { width: 100%; border-collapse: collapse; font-size: 13.5px; margin: 4px 0 8px; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); padding: 5px 8px; }
td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; overflow-wrap: anywhere; }
td:first-child, td.in { white-space: nowrap; } td.type { color: #344054; min-width: 120px; }
.enum { display: inline-flex; flex-wrap: wrap; gap: 3px; vertical-align: top; } .enum code { background: #f2f4f7; border: 1px solid var(--line); border-radius: 3px; padding: 0 4px; font-size: 11.5px; }
td.d1 { padding-left: 24px; } td.d2 { padding-left: 40px; } td.d3 { padding-left: 56px; } td.d4 { padding-left: 72px; }
.req { font-size: 10.5px; color: var(--accent); font-weight: 600; margin-left: 2px; }
.status { font: 700 12px ui-monospace, Menlo, monospace; padding: 1px 6px; border-radius: 4px; background: #eef4ff; }
.s2 { background: #dcfae6; color: #067647; } .s4 { background: #fef0c7; color: #93370d; } .s5 { background: #fee4e2; color: #912018; }
.muted { color: var(--muted); }
details { margin-top: 10px; } summary { cursor: pointer; color: var(--get); font-size: 13.5px; }
pre { background: #0f1728; color: #e4e7ec; padding: 12px 14px; border-radius: 6px; overflow-x: auto; font-size: 12.5px; }
@media (max-width: 900px) { body { display: block; } nav.side { position: static; width: auto; height: auto; } main { padding: 20px; } }
@media print { nav.side { display: none; } }
`;
