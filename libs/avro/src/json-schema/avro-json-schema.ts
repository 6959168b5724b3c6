import type { SchemaCatalogue } from '../schema/schema-catalogue';
import { DEFAULT_STRING_MAX_LENGTH } from '../validation/record-validator';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = Record<string, unknown>;

type Avro = Record<string, unknown>;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * What the `"format"` markings of the contracts mean in JSON Schema. The gateway checks more than a
 * pattern can say (an ID number's check character, a division code that exists): the pattern is
 * the shape, the description says the rest.
 */
const FORMATS: Record<string, JsonSchema> = {
  'id-number': {
    pattern: '^[0-9]{17}[0-9Xx]$',
    description: 'Resident ID number (GB 11643-1999): 17 digits and a check character; the check character and birth date are verified.',
  },
  'division-code': { pattern: '^[0-9]{6}$', description: 'GB/T 2260 division code of Sichuan (51xxxx) or Chongqing (50xxxx); the code must exist.' },
  'disability-certificate': {
    pattern: '^[0-9]{17}[0-9Xx][1-7][1-4]$',
    description: 'Disability certificate number: the holder’s ID number, category digit and grade digit.',
  },
  uscc: {
    pattern: '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$',
    description: 'Unified social credit code (GB 32100-2015), 18 characters; the check character is verified.',
  },
  phone: { pattern: '^1[3-9][0-9]{9}$', description: '11-digit mainland mobile number.' },
  'year-month': { pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'A month, YYYY-MM.' },
};

export interface AvroJsonSchemaOptions {
  /** Where the named types are referred to: `#/components/schemas/` (OpenAPI, AsyncAPI) unless given. */
  refPrefix?: string;
  /**
   * The ids a `"format": "office-id"` string may take (libs/regions' SERVICE_OFFICES); this lib does not
   * depend on regions, so the caller passes them. Without them an office id is only described.
   */
  officeIds?: readonly string[];
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/**
 * Turns the Avro contracts into JSON Schema as tongban's JSON carries them (see
 * libs/avro/src/schema/logical-types.ts): dates `YYYY-MM-DD`, timestamps ISO-8601 strings, money
 * decimal strings. Every named type (record, enum) becomes one entry of `schemas`, named by its
 * short Avro name (its full name when two namespaces use the same short name), referred to by `$ref`.
 */
export class AvroJsonSchemas {
  /** JSON Schemas by component name. */
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly componentOf = new Map<string, string>();
  private readonly refPrefix: string;
  private readonly formats: Record<string, JsonSchema>;

  constructor(
    private readonly catalogue: SchemaCatalogue,
    options: AvroJsonSchemaOptions = {},
  ) {
    this.refPrefix = options.refPrefix ?? '#/components/schemas/';
    const office = options.officeIds
      ? { enum: [...options.officeIds], description: 'A cross-region service office.' }
      : { pattern: '\\S', description: 'A cross-region service office id, e.g. CQ-HTZ.' };
    this.formats = { ...FORMATS, 'office-id': office };
    const counts = new Map<string, number>();
    for (const full of catalogue.named.keys()) counts.set(shortName(full), (counts.get(shortName(full)) ?? 0) + 1);
    for (const full of catalogue.named.keys()) this.componentOf.set(full, counts.get(shortName(full)) === 1 ? shortName(full) : full);
  }

  /** The component name of an Avro named type. */
  nameOf(fullName: string): string {
    const name = this.componentOf.get(fullName);
    if (!name) throw new Error(`no Avro type named ${fullName}`);
    return name;
  }

  /**
   * The schema of an event's `payload` on `POST /v1/events`: the event record without its envelope
   * (the gateway writes the envelope). Registered as `<EventType>Payload`; answers its `$ref`.
   */
  payloadOf(eventType: string): JsonSchema {
    const event = this.catalogue.event(eventType);
    if (!event) throw new Error(`unknown event type ${eventType}`);
    const name = `${eventType}Payload`;
    if (!this.schemas[name]) {
      const record = this.catalogue.named.get(event.fullName)!.schema;
      const namespace = event.fullName.slice(0, event.fullName.lastIndexOf('.'));
      const fields = (record.fields as Avro[]).slice(1);
      this.schemas[name] = {
        ...this.recordBody({ ...record, fields }, namespace),
        title: `${eventType} payload`,
      };
    }
    return { $ref: `${this.refPrefix}${name}` };
  }

  /** The schema of a named Avro type (a shared record such as the envelope, an enum) by full name; answers its `$ref`. */
  schemaOf(fullName: string): JsonSchema {
    if (!this.catalogue.named.has(fullName)) throw new Error(`no Avro type named ${fullName}`);
    return { $ref: `${this.refPrefix}${this.define(fullName, fullName.slice(0, fullName.lastIndexOf('.')))}` };
  }

  private recordBody(record: Avro, namespace: string): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const f of record.fields as Avro[]) {
      const name = String(f.name);
      const schema = this.convert(f.type, namespace, { format: f.format as string | undefined, maxLength: f.maxLength as number | undefined });
      properties[name] = withDoc(schema, f.doc as string | undefined, 'default' in f ? f.default : undefined);
      if (!('default' in f)) required.push(name);
    }
    return {
      type: 'object',
      ...(record.doc ? { description: record.doc } : {}),
      properties,
      ...(required.length ? { required } : {}),
      additionalProperties: false,
    };
  }

  /** One Avro type (name, primitive, union or inline definition) as JSON Schema. */
  private convert(type: unknown, namespace: string, marks: { format?: string; maxLength?: number } = {}): JsonSchema {
    if (typeof type === 'string') {
      if (PRIMITIVES.has(type)) return primitive(type, marks, this.formats);
      return { $ref: `${this.refPrefix}${this.define(type, namespace)}` };
    }
    if (Array.isArray(type)) {
      const branches = type.map((b) => this.convert(b, namespace, marks));
      return branches.length === 1 ? branches[0] : { anyOf: branches };
    }
    const t = type as Avro;
    if ((t.type === 'record' || t.type === 'enum' || t.type === 'fixed') && t.name) {
      return { $ref: `${this.refPrefix}${this.define(t, namespace)}` };
    }
    if (t.type === 'array') return { type: 'array', items: this.convert(t.items, namespace) };
    if (t.type === 'map') return { type: 'object', additionalProperties: this.convert(t.values, namespace) };
    if (t.logicalType) return logical(t, this.formats);
    return this.convert(t.type, namespace, {
      format: (t.format as string | undefined) ?? marks.format,
      maxLength: (t.maxLength as number | undefined) ?? marks.maxLength,
    });
  }

  /** Registers a named type (by reference or inline definition) once; answers its component name. */
  private define(type: string | Avro, namespace: string): string {
    let full: string;
    let schema: Avro;
    if (typeof type === 'string') {
      full = type.includes('.') ? type : `${namespace}.${type}`;
      const found = this.catalogue.named.get(full) ?? this.catalogue.named.get(type);
      if (!found) throw new Error(`unknown Avro type ${type}`);
      schema = found.schema;
      full = fullNameOf(schema, namespace);
    } else {
      schema = type;
      full = fullNameOf(schema, namespace);
    }
    const name = this.componentOf.get(full) ?? shortName(full);
    if (this.schemas[name]) return name;
    const ns = full.slice(0, full.lastIndexOf('.'));
    this.schemas[name] = {}; // a recursive type finds its own name
    if (schema.type === 'record') this.schemas[name] = { title: shortName(full), ...this.recordBody(schema, ns) };
    else if (schema.type === 'enum') {
      this.schemas[name] = { title: shortName(full), type: 'string', enum: schema.symbols, ...(schema.doc ? { description: schema.doc } : {}) };
    } else this.schemas[name] = { title: shortName(full), type: 'string', description: `${schema.size} bytes` };
    return name;
  }
}

function fullNameOf(schema: Avro, namespace: string): string {
  const name = String(schema.name);
  if (name.includes('.')) return name;
  return `${(schema.namespace as string | undefined) ?? namespace}.${name}`;
}

function primitive(type: string, marks: { format?: string; maxLength?: number }, formats: Record<string, JsonSchema>): JsonSchema {
  switch (type) {
    case 'null':
      return { type: 'null' };
    case 'boolean':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer', minimum: -(2 ** 31) + 1, maximum: 2 ** 31 - 1 };
    case 'long':
      return { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
    case 'float':
    case 'double':
      return { type: 'number' };
    case 'bytes':
      return { type: 'string' };
    default: {
      // The gateway refuses an empty or blank string, and one longer than the contract allows.
      const format = marks.format ? formats[marks.format] : undefined;
      return {
        type: 'string',
        minLength: 1,
        maxLength: marks.maxLength ?? DEFAULT_STRING_MAX_LENGTH,
        ...(marks.format ? { format: marks.format } : {}),
        ...(format ?? { pattern: '\\S' }),
      };
    }
  }
}

function logical(t: Avro, formats: Record<string, JsonSchema>): JsonSchema {
  switch (t.logicalType) {
    case 'date':
      return { type: 'string', format: 'date', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' };
    case 'timestamp-millis':
    case 'timestamp-micros':
      return { type: 'string', format: 'date-time', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}' };
    case 'decimal': {
      const scale = Number(t.scale ?? 0);
      const precision = Number(t.precision ?? 10);
      return {
        type: 'string',
        pattern: scale > 0 ? `^-?[0-9]+(\\.[0-9]{1,${scale}})?$` : '^-?[0-9]+$',
        description: `Decimal as a string, at most ${precision} digits of which ${scale} after the point, e.g. "1234.50".`,
      };
    }
    case 'uuid':
      return { type: 'string', format: 'uuid', pattern: '^[0-9a-fA-F-]{36}$' };
    default:
      return primitive(String(t.type), { format: t.format as string | undefined, maxLength: t.maxLength as number | undefined }, formats);
  }
}

/** A field's schema with its doc (in place of what its type or format says) and default; in 3.1 these may stand beside a `$ref`. */
function withDoc(schema: JsonSchema, doc: string | undefined, dflt: unknown): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (doc) out.description = doc;
  if (dflt !== undefined) out.default = dflt;
  return out;
}
