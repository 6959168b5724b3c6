import { createHash } from 'node:crypto';
import { InvalidSchemaError, PRIMITIVE_TYPES, SchemaInput, declaredFullName, namespaceOf, qualify, toJson } from './avro-schema';

type Json = Record<string, unknown>;
const PRIMITIVES = new Set<string>(PRIMITIVE_TYPES);
/** The attributes Parsing Canonical Form keeps, in the order it writes them. */
const PCF_KEYS = ['name', 'type', 'fields', 'symbols', 'items', 'values', 'size'];

/**
 * Avro's Parsing Canonical Form: full names, no namespace, primitives in their simple form, only
 * the attributes that matter for parsing (name, type, fields, symbols, items, values, size), in that
 * order, no whitespace. Two schemas with the same form write the same bytes.
 */
export function canonicalForm(schema: SchemaInput): string {
  return JSON.stringify(transform(toJson(schema), undefined, false));
}

/**
 * Parsing Canonical Form that also keeps what changes how data is read or described: field and enum
 * defaults, aliases (as full names), logical types with their parameters, order, doc and custom
 * properties (keys sorted). The registry uses it for identity, since plain canonical form would treat
 * a schema that only adds a default or changes a decimal's scale as the same schema.
 */
export function normalizedForm(schema: SchemaInput): string {
  return JSON.stringify(transform(toJson(schema), undefined, true));
}

/** Hex SHA-256 of a schema's text (use on `normalizedForm` or `canonicalForm`). */
export function sha256Fingerprint(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function transform(node: unknown, namespace: string | undefined, keepAll: boolean): unknown {
  if (typeof node === 'string') return PRIMITIVES.has(node) ? node : qualify(node, namespace);
  if (Array.isArray(node)) return node.map((b) => transform(b, namespace, keepAll));
  if (!node || typeof node !== 'object') throw new InvalidSchemaError(`not a schema: ${JSON.stringify(node)}`);
  const def = node as Json;
  const type = def.type;
  if (typeof type === 'string' && PRIMITIVES.has(type)) {
    const extra = keepAll ? extras(def, ['type']) : {};
    return Object.keys(extra).length ? { type, ...extra } : type;
  }
  switch (type) {
    case 'record':
    case 'error': {
      const name = declaredFullName(def, namespace);
      const ns = namespaceOf(name);
      const fields = ((def.fields as Json[]) ?? []).map((f) => ({
        name: f.name,
        type: transform(f.type, ns, keepAll),
        ...(keepAll ? extras(f, ['name', 'type']) : {}),
      }));
      return { name, type, fields, ...(keepAll ? namedExtras(def, ns) : {}) };
    }
    case 'enum': {
      const name = declaredFullName(def, namespace);
      return { name, type, symbols: def.symbols, ...(keepAll ? namedExtras(def, namespaceOf(name)) : {}) };
    }
    case 'fixed': {
      const name = declaredFullName(def, namespace);
      return { name, type, size: def.size, ...(keepAll ? namedExtras(def, namespaceOf(name)) : {}) };
    }
    case 'array':
      return { type, items: transform(def.items, namespace, keepAll), ...(keepAll ? extras(def, ['type', 'items']) : {}) };
    case 'map':
      return { type, values: transform(def.values, namespace, keepAll), ...(keepAll ? extras(def, ['type', 'values']) : {}) };
    default:
      // A reference or union wrapped in an object says no more than the reference or union itself.
      return transform(type, namespace, keepAll);
  }
}

function namedExtras(def: Json, ns: string | undefined): Json {
  const out = extras(def, ['namespace']);
  if (Array.isArray(def.aliases)) out.aliases = (def.aliases as string[]).map((a) => qualify(a, ns)).sort();
  return out;
}

/** Every attribute Parsing Canonical Form drops, keys sorted, values with sorted keys. */
function extras(def: Json, skip: string[]): Json {
  const out: Json = {};
  for (const key of Object.keys(def).sort()) {
    if (PCF_KEYS.includes(key) || skip.includes(key)) continue;
    out[key] = sortKeys(def[key]);
  }
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Json)[key]);
    return out;
  }
  return value;
}
