type Schema = Record<string, unknown> | boolean;

/**
 * A JSON Schema (2020-12) checker for the keywords the gateway's OpenAPI document uses: `$ref` into
 * the document, type, const, enum, properties, required, additionalProperties, items, anyOf, oneOf,
 * allOf, pattern, minLength, maxLength, minimum, maximum, minItems, maxItems and the formats date, date-time and uuid.
 * It stands apart from the gateway's own Avro validator, so that the test checks the document, not
 * the code that wrote it. Any other keyword makes it throw, so nothing is silently taken as valid.
 */
export class JsonSchemaChecker {
  private static readonly KNOWN = new Set([
    '$ref',
    'type',
    'const',
    'enum',
    'properties',
    'required',
    'additionalProperties',
    'items',
    'anyOf',
    'oneOf',
    'allOf',
    'pattern',
    'minLength',
    'maxLength',
    'minimum',
    'maximum',
    'minItems',
    'maxItems',
    'format',
    // annotations
    'title',
    'description',
    'default',
    'examples',
    'discriminator',
    'example',
    'deprecated',
  ]);

  constructor(private readonly document: Record<string, unknown>) {}

  /** Every problem of `value` against `schema`, each with its path; empty when valid. */
  problems(schema: Schema, value: unknown, path = ''): string[] {
    const out: string[] = [];
    this.check(schema, value, path, out);
    return out;
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`only local $ref are supported, got ${ref}`);
    let node: unknown = this.document;
    for (const part of ref.slice(2).split('/')) {
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (node === undefined) throw new Error(`$ref ${ref} points nowhere`);
    return node as Schema;
  }

  private check(schema: Schema, value: unknown, path: string, out: string[]): void {
    if (schema === true) return;
    if (schema === false) return void out.push(`${path}: not allowed`);
    for (const k of Object.keys(schema)) if (!JsonSchemaChecker.KNOWN.has(k) && !k.startsWith('x-')) throw new Error(`unsupported keyword ${k} at ${path}`);
    const s = schema as Record<string, unknown>;
    if (typeof s.$ref === 'string') this.check(this.resolve(s.$ref), value, path, out);
    if (s.type !== undefined && !typeMatches(s.type as string | string[], value))
      return void out.push(`${path}: must be ${String(s.type)}, got ${JSON.stringify(value)}`);
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) out.push(`${path}: must be ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) out.push(`${path}: must be one of ${s.enum.join(', ')}`);
    if (typeof value === 'string') {
      const length = [...value].length;
      if (typeof s.minLength === 'number' && length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
      if (typeof s.maxLength === 'number' && length > s.maxLength) out.push(`${path}: longer than ${s.maxLength}`);
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) out.push(`${path}: does not match ${s.pattern}`);
      if (typeof s.format === 'string') {
        const problem = formatProblem(s.format, value);
        if (problem) out.push(`${path}: ${problem}`);
      }
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) out.push(`${path}: below ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) out.push(`${path}: above ${s.maximum}`);
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in obj)) out.push(`${path}.${r}: is required`);
      for (const [k, v] of Object.entries(obj)) {
        if (k in props) this.check(props[k], v, `${path}.${k}`, out);
        else if (s.additionalProperties !== undefined) this.check(s.additionalProperties as Schema, v, `${path}.${k}`, out);
      }
    }
    if (Array.isArray(value) && typeof s.minItems === 'number' && value.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
    if (Array.isArray(value) && typeof s.maxItems === 'number' && value.length > s.maxItems) out.push(`${path}: more than ${s.maxItems} items`);
    if (Array.isArray(value) && s.items !== undefined) value.forEach((v, i) => this.check(s.items as Schema, v, `${path}[${i}]`, out));
    if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) this.check(sub, value, path, out);
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => this.problems(sub, value, path).length === 0)) {
      out.push(`${path}: matches none of anyOf (${(s.anyOf as Schema[]).map((sub) => this.problems(sub, value, path).join('; ')).join(' | ')})`);
    }
    if (Array.isArray(s.oneOf)) {
      const matching = (s.oneOf as Schema[]).filter((sub) => this.problems(sub, value, path).length === 0).length;
      if (matching !== 1) out.push(`${path}: matches ${matching} of oneOf, not exactly one`);
    }
  }
}

function typeMatches(type: string | string[], value: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case 'null':
        return value === null;
      case 'boolean':
        return typeof value === 'boolean';
      case 'integer':
        return Number.isInteger(value);
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'string':
        return typeof value === 'string';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return !!value && typeof value === 'object' && !Array.isArray(value);
      default:
        throw new Error(`unknown type ${t}`);
    }
  });
}

function formatProblem(format: string, value: string): string | undefined {
  switch (format) {
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value) ? undefined : 'is not a date';
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'is not an RFC 3339 date-time';
    case 'uuid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? undefined : 'is not a UUID';
    default:
      return undefined; // the contracts' own formats (id-number, division-code, ...) are annotations; their patterns check the shape
  }
}

/**
 * What is wrong with a JSON answer of `METHOD route` (the document's path, `/v1/dlq/{id}`) under `status`, checked
 * against the schema the document gives that answer (a shared response's `$ref` followed). It throws when the
 * document does not describe that answer at all, so a route missing from it is no silent pass.
 */
export function answerProblems(document: Record<string, unknown>, method: string, route: string, status: number, body: unknown): string[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const doc = document as Record<string, any>;
  let response = doc.paths?.[route]?.[method.toLowerCase()]?.responses?.[String(status)];
  if (typeof response?.$ref === 'string') response = doc.components?.responses?.[response.$ref.split('/').pop()];
  const content = response?.content as Record<string, { schema: Schema }> | undefined;
  const media = content?.['application/json'] ?? content?.['application/problem+json'];
  if (!media) throw new Error(`the document gives ${method.toUpperCase()} ${route} no JSON answer under ${status}`);
  return new JsonSchemaChecker(doc).problems(media.schema, body);
}
