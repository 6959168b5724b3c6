import { TongbanError } from '@tongban/errors';

/** A schema as JSON text or as parsed JSON. */
export type SchemaInput = string | object;

export const PRIMITIVE_TYPES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'] as const;
export type PrimitiveName = (typeof PRIMITIVE_TYPES)[number];
const PRIMITIVES = new Set<string>(PRIMITIVE_TYPES);

export class InvalidSchemaError extends TongbanError {
  constructor(message: string) {
    super('AVRO.SCHEMA_INVALID', message);
  }
}

interface Logical {
  logicalType?: string;
  precision?: number;
  scale?: number;
}

export interface PrimitiveSchema extends Logical {
  kind: 'primitive';
  type: PrimitiveName;
}
export interface RecordField {
  name: string;
  type: AvroSchema;
  hasDefault: boolean;
  default?: unknown;
  aliases: string[];
}
export interface RecordSchema {
  kind: 'record';
  fullName: string;
  /** Full names the reader also answers to. */
  aliases: string[];
  fields: RecordField[];
}
export interface EnumSchema {
  kind: 'enum';
  fullName: string;
  aliases: string[];
  symbols: string[];
  default?: string;
}
export interface FixedSchema extends Logical {
  kind: 'fixed';
  fullName: string;
  aliases: string[];
  size: number;
}
export interface ArraySchema {
  kind: 'array';
  items: AvroSchema;
}
export interface MapSchema {
  kind: 'map';
  values: AvroSchema;
}
export interface UnionSchema {
  kind: 'union';
  branches: AvroSchema[];
}
export type NamedSchema = RecordSchema | EnumSchema | FixedSchema;
export type AvroSchema = PrimitiveSchema | NamedSchema | ArraySchema | MapSchema | UnionSchema;

type Json = Record<string, unknown>;

export function toJson(input: SchemaInput): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    // A bare primitive name is a schema too ("string"), though not valid JSON without quotes.
    if (PRIMITIVES.has(input.trim())) return input.trim();
    throw new InvalidSchemaError('schema is not valid JSON');
  }
}

/** `name` made full with `namespace` when it has no dot; a null namespace leaves it as is. */
export function qualify(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

export function namespaceOf(fullName: string): string | undefined {
  const dot = fullName.lastIndexOf('.');
  return dot > 0 ? fullName.slice(0, dot) : undefined;
}

/** The full name a named-type definition declares, given the namespace it sits in. */
export function declaredFullName(def: Json, enclosing: string | undefined): string {
  if (typeof def.name !== 'string' || !def.name) throw new InvalidSchemaError(`a ${String(def.type)} needs a name`);
  if (def.name.includes('.')) return def.name;
  const ns = typeof def.namespace === 'string' ? def.namespace || undefined : enclosing;
  return qualify(def.name, ns);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new InvalidSchemaError(`${what} must be a list of strings`);
  }
  return value as string[];
}

function logical(def: Json): Logical {
  const out: Logical = {};
  if (typeof def.logicalType === 'string') out.logicalType = def.logicalType;
  if (out.logicalType === 'decimal') {
    out.precision = typeof def.precision === 'number' ? def.precision : undefined;
    out.scale = typeof def.scale === 'number' ? def.scale : 0;
  }
  return out;
}

/**
 * Parses a schema into a graph in which every named reference points at its definition (recursive
 * types become cycles). Only the facts that schema resolution needs are kept; `canonicalForm` works
 * on the JSON itself.
 */
export function parseSchema(input: SchemaInput): AvroSchema {
  const named = new Map<string, NamedSchema>();

  const parse = (node: unknown, namespace: string | undefined): AvroSchema => {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return { kind: 'primitive', type: node as PrimitiveName };
      const found = named.get(qualify(node, namespace)) ?? named.get(node);
      if (!found) throw new InvalidSchemaError(`unknown type "${node}"`);
      return found;
    }
    if (Array.isArray(node)) {
      const branches = node.map((b) => parse(b, namespace));
      if (branches.some((b) => b.kind === 'union')) throw new InvalidSchemaError('a union cannot directly contain a union');
      return { kind: 'union', branches };
    }
    if (!node || typeof node !== 'object') throw new InvalidSchemaError(`not a schema: ${JSON.stringify(node)}`);
    const def = node as Json;
    const type = def.type;
    if (typeof type === 'string' && PRIMITIVES.has(type)) return { kind: 'primitive', type: type as PrimitiveName, ...logical(def) };
    switch (type) {
      case 'record':
      case 'error': {
        const fullName = declaredFullName(def, namespace);
        const ns = namespaceOf(fullName);
        const record: RecordSchema = {
          kind: 'record',
          fullName,
          aliases: stringList(def.aliases, `${fullName} aliases`).map((a) => qualify(a, ns)),
          fields: [],
        };
        define(record);
        if (!Array.isArray(def.fields)) throw new InvalidSchemaError(`record ${fullName} needs a list of fields`);
        const names = new Set<string>();
        for (const f of def.fields as Json[]) {
          if (!f || typeof f.name !== 'string') throw new InvalidSchemaError(`a field of ${fullName} has no name`);
          if (names.has(f.name)) throw new InvalidSchemaError(`${fullName} has two fields named ${f.name}`);
          names.add(f.name);
          record.fields.push({
            name: f.name,
            type: parse(f.type, ns),
            hasDefault: 'default' in f,
            default: f.default,
            aliases: stringList(f.aliases, `${fullName}.${f.name} aliases`),
          });
        }
        return record;
      }
      case 'enum': {
        const fullName = declaredFullName(def, namespace);
        const symbols = stringList(def.symbols, `enum ${fullName} symbols`);
        const e: EnumSchema = {
          kind: 'enum',
          fullName,
          aliases: stringList(def.aliases, `${fullName} aliases`).map((a) => qualify(a, namespaceOf(fullName))),
          symbols,
        };
        if (typeof def.default === 'string') {
          if (!symbols.includes(def.default)) throw new InvalidSchemaError(`enum ${fullName} default ${def.default} is not one of its symbols`);
          e.default = def.default;
        }
        define(e);
        return e;
      }
      case 'fixed': {
        const fullName = declaredFullName(def, namespace);
        if (typeof def.size !== 'number' || !Number.isInteger(def.size) || def.size < 0) {
          throw new InvalidSchemaError(`fixed ${fullName} needs a whole size`);
        }
        const fixed: FixedSchema = {
          kind: 'fixed',
          fullName,
          aliases: stringList(def.aliases, `${fullName} aliases`).map((a) => qualify(a, namespaceOf(fullName))),
          size: def.size,
          ...logical(def),
        };
        define(fixed);
        return fixed;
      }
      case 'array':
        return { kind: 'array', items: parse(def.items, namespace) };
      case 'map':
        return { kind: 'map', values: parse(def.values, namespace) };
      default:
        // A reference or a union wrapped in an object: {"type": "cn.x.Foo"} or {"type": [...]}.
        if (typeof type === 'string' || Array.isArray(type) || (type && typeof type === 'object')) return parse(type, namespace);
        throw new InvalidSchemaError(`not a schema: ${JSON.stringify(node)}`);
    }
  };

  const define = (schema: NamedSchema) => {
    if (named.has(schema.fullName)) throw new InvalidSchemaError(`${schema.fullName} is defined twice`);
    named.set(schema.fullName, schema);
  };

  const root = parse(toJson(input), undefined);
  PARSED.add(root);
  return root;
}

const PARSED = new WeakSet<object>();

/** True for the result of `parseSchema` (as opposed to a schema's JSON). */
export function isParsedSchema(value: unknown): value is AvroSchema {
  return typeof value === 'object' && value !== null && PARSED.has(value);
}

/** A short human name of a schema for messages: `long`, `cn.x.Foo`, `array<string>`, `union [null, string]`. */
export function describe(schema: AvroSchema): string {
  switch (schema.kind) {
    case 'primitive':
      if (schema.logicalType === 'decimal') return `${schema.type} (decimal(${schema.precision ?? '?'},${schema.scale ?? 0}))`;
      return schema.logicalType ? `${schema.type} (${schema.logicalType})` : schema.type;
    case 'record':
    case 'enum':
    case 'fixed':
      return schema.fullName;
    case 'array':
      return `array<${describe(schema.items)}>`;
    case 'map':
      return `map<${describe(schema.values)}>`;
    case 'union':
      return `union [${schema.branches.map(describe).join(', ')}]`;
  }
}
