type Json = Record<string, unknown>;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Called for every leaf value under a field marked `"pii"`, with its path; returns the value to keep. */
export type PiiVisitor = (kind: string, value: unknown, path: string) => unknown;

/**
 * Walks a decoded value beside its self-contained Avro schema (as the SchemaCatalogue inlines it)
 * through records, unions, arrays and maps, and returns a copy where every leaf under a field marked
 * `"pii"` is replaced by what `visit` returns. Fields the schema does not know are copied as they are.
 */
export function transformPii(schema: unknown, value: unknown, visit: PiiVisitor): unknown {
  const walker = new Walker(visit);
  walker.learn(schema);
  return walker.walk(schema, value, '', undefined);
}

class Walker {
  private readonly named = new Map<string, Json>();

  constructor(private readonly visit: PiiVisitor) {}

  /** Registers every named type the schema defines, wherever it is, so a later reference resolves. */
  learn(schema: unknown): void {
    if (Array.isArray(schema)) return schema.forEach((b) => this.learn(b));
    if (!schema || typeof schema !== 'object') return;
    const s = schema as Json;
    if (typeof s.name === 'string' && ['record', 'enum', 'fixed'].includes(s.type as string)) this.named.set(s.name, s);
    if (s.type === 'record') for (const f of s.fields as Json[]) this.learn(f.type);
    else if (s.type === 'array') this.learn(s.items);
    else if (s.type === 'map') this.learn(s.values);
    else if (typeof s.type === 'object') this.learn(s.type);
  }

  walk(schema: unknown, value: unknown, path: string, kind: string | undefined): unknown {
    if (value === undefined) return value;
    if (typeof schema === 'string') {
      const named = this.named.get(schema);
      if (named) return this.walk(named, value, path, kind);
      return this.leaf(value, path, kind);
    }
    if (Array.isArray(schema)) return this.union(schema, value, path, kind);
    if (!schema || typeof schema !== 'object') return this.leaf(value, path, kind);
    const s = schema as Json;
    if (typeof s.name === 'string' && ['record', 'enum', 'fixed'].includes(s.type as string)) this.named.set(s.name, s);
    switch (s.type) {
      case 'record':
        return this.record(s, value, path, kind);
      case 'array':
        return Array.isArray(value) ? value.map((item, i) => this.walk(s.items, item, `${path}[${i}]`, kind)) : this.leaf(value, path, kind);
      case 'map':
        if (!value || typeof value !== 'object' || Array.isArray(value)) return this.leaf(value, path, kind);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.walk(s.values, v, `${path}.${k}`, kind)]));
      default:
        if (s.logicalType || s.type === 'enum' || s.type === 'fixed') return this.leaf(value, path, kind);
        return this.walk(s.type, value, path, kind);
    }
  }

  private record(s: Json, value: unknown, path: string, kind: string | undefined): unknown {
    if (!value || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) return this.leaf(value, path, kind);
    const out: Json = {};
    const fields = new Map((s.fields as Json[]).map((f) => [f.name as string, f]));
    for (const [name, v] of Object.entries(value as Json)) {
      const field = fields.get(name);
      const fieldPath = path ? `${path}.${name}` : name;
      // A field the schema does not describe is copied; it cannot carry a marking.
      out[name] = field ? this.walk(field.type, v, fieldPath, (field.pii as string | undefined) ?? kind) : v;
    }
    return out;
  }

  private union(branches: unknown[], value: unknown, path: string, kind: string | undefined): unknown {
    if (value === null) return null;
    const candidates = branches.filter((b) => b !== 'null');
    if (candidates.length === 1) return this.walk(candidates[0], value, path, kind);
    // A wrapped union value (`{ "cn.tongban.x.v1.Type": {...} }` or `{ "string": "…" }`) names its branch.
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1) {
        const branch = candidates.find((b) => branchName(b, this.named) === keys[0]);
        if (branch !== undefined) return { [keys[0]]: this.walk(branch, (value as Json)[keys[0]], path, kind) };
      }
    }
    const branch = candidates.find((b) => this.shapeFits(b, value));
    return branch === undefined ? this.leaf(value, path, kind) : this.walk(branch, value, path, kind);
  }

  private shapeFits(schema: unknown, value: unknown): boolean {
    const s = typeof schema === 'string' ? (this.named.get(schema) ?? schema) : schema;
    const type = typeof s === 'string' ? s : ((s as Json).type as unknown);
    if (type === 'record' || type === 'map') return !!value && typeof value === 'object' && !Array.isArray(value);
    if (type === 'array') return Array.isArray(value);
    if (type === 'boolean') return typeof value === 'boolean';
    if (type === 'int' || type === 'long' || type === 'float' || type === 'double') return typeof value === 'number';
    return typeof value === 'string' || Buffer.isBuffer(value);
  }

  private leaf(value: unknown, path: string, kind: string | undefined): unknown {
    if (kind === undefined || value === null || value === undefined) return value;
    if (Array.isArray(value)) return value.map((v, i) => this.leaf(v, `${path}[${i}]`, kind));
    if (typeof value === 'object' && !Buffer.isBuffer(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.leaf(v, `${path}.${k}`, kind)]));
    }
    return this.visit(kind, value, path);
  }
}

/** The key avsc uses for a wrapped union value of this branch: a named type's full name, or the type. */
function branchName(schema: unknown, named: Map<string, Json>): string | undefined {
  if (typeof schema === 'string') return PRIMITIVES.has(schema) || named.has(schema) ? schema : undefined;
  const s = schema as Json;
  if (typeof s.name === 'string') return s.name;
  if (typeof s.type === 'string') return s.type;
  return undefined;
}
