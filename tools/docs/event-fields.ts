import type { EventSchema, JsonSchema } from '@tongban/avro';
import type { MinimisationPolicyFile, RecipientRole } from '@tongban/masking';

type Avro = Record<string, unknown>;

/** What a recipient gets of a field under contracts/policy/minimisation.json. */
export type Passing = 'passes' | 'withheld' | 'partly';

/** One field of an event's payload, nested fields flattened to dotted paths as the policy writes them. */
export interface FieldRow {
  /** `applicant.name`: the path as contracts/policy/minimisation.json names it. */
  path: string;
  depth: number;
  /** The Avro type, readable: `string`, `int · date`, `array<record SubsidyGrant>`. */
  avroType: string;
  /** How the JSON form (HTTP body, webhook) carries it, from the JSON Schema of the contracts. */
  jsonType: string;
  /** Whether a writer must set it (an Avro field without a default). */
  required: boolean;
  /** The `"format"` marking, if any. */
  format?: string;
  /** The `"pii"` marking, if any. */
  pii?: string;
  doc?: string;
  /** Per recipient role: whether the field reaches it. */
  passing: Record<RecipientRole, Passing>;
}

/** An enum an event uses, listed once per page. */
export interface EnumInfo {
  name: string;
  symbols: string[];
  doc?: string;
}

const shortName = (full: string) => full.slice(full.lastIndexOf('.') + 1);

/** Every named type defined inside a self-contained (inlined) schema, by full name. */
function namedTypes(schema: Avro): Map<string, Avro> {
  const named = new Map<string, Avro>();
  const visit = (node: unknown, namespace: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, namespace));
    if (!node || typeof node !== 'object') return;
    const o = node as Avro;
    if ((o.type === 'record' || o.type === 'enum' || o.type === 'fixed') && typeof o.name === 'string') {
      const full = o.name.includes('.') ? o.name : `${(o.namespace as string | undefined) ?? namespace}.${o.name}`;
      named.set(full, o);
      if (o.type === 'record') (o.fields as Avro[]).forEach((f) => visit(f.type, full.slice(0, full.lastIndexOf('.'))));
      return;
    }
    if (o.type === 'array') visit(o.items, namespace);
    else if (o.type === 'map') visit(o.values, namespace);
    else if (typeof o.type === 'object') visit(o.type, namespace);
  };
  visit(schema, '');
  return named;
}

/**
 * Whether the field at `path` reaches a recipient whose passing list is `allowed`: a listed path passes
 * its whole subtree, a field above a listed path passes in part, anything else is withheld.
 */
export function passingOf(path: string, allowed: readonly string[]): Passing {
  if (allowed.includes('*')) return 'passes';
  if (allowed.some((p) => path === p || path.startsWith(`${p}.`))) return 'passes';
  if (allowed.some((p) => p.startsWith(`${path}.`))) return 'partly';
  return 'withheld';
}

/** The passing lists of an event type per role, its own or the policy's defaults. */
export function passingLists(policy: MinimisationPolicyFile, eventType: string): Record<RecipientRole, readonly string[]> {
  const own = policy.events[eventType] ?? {};
  const list = (role: RecipientRole) => own[role] ?? policy.defaults?.[role] ?? [];
  return { addressee: list('addressee'), origin: list('origin'), webhook: list('webhook') };
}

/**
 * The fields of an event, flattened, with their types, markings and what each recipient role gets of
 * them. `json` holds the JSON Schemas of the contracts (AvroJsonSchemas), where the JSON column comes from.
 */
export class EventFields {
  readonly rows: FieldRow[] = [];
  readonly enums: EnumInfo[] = [];
  private readonly named: Map<string, Avro>;

  private constructor(
    event: EventSchema,
    private readonly json: Record<string, JsonSchema>,
  ) {
    this.named = namedTypes(event.schema as Avro);
  }

  /** The payload fields of an event (everything but the envelope); `payloadRef` is its payload's `$ref` in `json`. */
  static payload(event: EventSchema, policy: MinimisationPolicyFile, json: Record<string, JsonSchema>, payloadRef: JsonSchema): EventFields {
    const self = new EventFields(event, json);
    const fields = (event.schema.fields as Avro[]).filter((f) => f.name !== 'envelope');
    self.walk(fields, '', 0, self.deref(payloadRef), passingLists(policy, event.eventType), new Set([event.fullName]));
    self.enums.sort((a, b) => (a.name < b.name ? -1 : 1));
    return self;
  }

  /** The envelope's fields (the same in every event, and never minimised); `envelopeRef` is its `$ref` in `json`. */
  static envelope(event: EventSchema, json: Record<string, JsonSchema>, envelopeRef: JsonSchema): EventFields {
    const self = new EventFields(event, json);
    const envelope = self.recordIn((event.schema.fields as Avro[])[0].type);
    if (!envelope) throw new Error(`${event.eventType}: no envelope record`);
    self.walk(envelope.schema.fields as Avro[], '', 0, self.deref(envelopeRef), { addressee: ['*'], origin: ['*'], webhook: ['*'] }, new Set([envelope.full]));
    return self;
  }

  private walk(
    fields: Avro[],
    prefix: string,
    depth: number,
    jsonRecord: JsonSchema | undefined,
    lists: Record<RecipientRole, readonly string[]>,
    seen: Set<string>,
  ): void {
    const properties = (jsonRecord?.properties ?? {}) as Record<string, JsonSchema>;
    for (const f of fields) {
      const name = String(f.name);
      const path = `${prefix}${name}`;
      const jsonField = properties[name];
      this.rows.push({
        path,
        depth,
        avroType: this.avroText(f.type),
        jsonType: jsonField ? this.jsonText(jsonField) : '',
        required: !('default' in f),
        ...(typeof f.format === 'string' ? { format: f.format } : {}),
        ...(typeof f.pii === 'string' ? { pii: f.pii } : {}),
        ...(typeof f.doc === 'string' ? { doc: f.doc } : {}),
        passing: {
          addressee: passingOf(path, lists.addressee),
          origin: passingOf(path, lists.origin),
          webhook: passingOf(path, lists.webhook),
        },
      });
      this.noteEnums(f.type);
      const record = this.recordIn(f.type);
      if (record && !seen.has(record.full)) {
        const nested = new Set(seen).add(record.full);
        this.walk(record.schema.fields as Avro[], `${path}.`, depth + 1, this.innerObject(jsonField), lists, nested);
      }
    }
  }

  private resolve(type: unknown): { full: string; schema: Avro } | undefined {
    if (typeof type === 'string') {
      const schema = this.named.get(type);
      return schema ? { full: type, schema } : undefined;
    }
    if (type && typeof type === 'object' && typeof (type as Avro).name === 'string') {
      const name = String((type as Avro).name);
      const full = [...this.named.entries()].find(([, s]) => s === type)?.[0] ?? name;
      return { full, schema: type as Avro };
    }
    return undefined;
  }

  /** The record inside a field type, through unions and arrays. */
  private recordIn(type: unknown): { full: string; schema: Avro } | undefined {
    if (Array.isArray(type)) return type.map((b) => this.recordIn(b)).find(Boolean);
    if (type && typeof type === 'object' && (type as Avro).type === 'array') return this.recordIn((type as Avro).items);
    const named = this.resolve(type);
    return named?.schema.type === 'record' ? named : undefined;
  }

  private noteEnums(type: unknown): void {
    if (Array.isArray(type)) return type.forEach((b) => this.noteEnums(b));
    if (type && typeof type === 'object' && (type as Avro).type === 'array') return this.noteEnums((type as Avro).items);
    const named = this.resolve(type);
    if (named?.schema.type !== 'enum') return;
    const name = shortName(named.full);
    if (this.enums.some((e) => e.name === name)) return;
    this.enums.push({ name, symbols: named.schema.symbols as string[], ...(typeof named.schema.doc === 'string' ? { doc: named.schema.doc } : {}) });
  }

  avroText(type: unknown): string {
    if (Array.isArray(type)) {
      const branches = type.filter((b) => b !== 'null').map((b) => this.avroText(b));
      return branches.join(' | ') || 'null';
    }
    if (typeof type === 'string') {
      const named = this.named.get(type);
      return named ? `${named.type} ${shortName(type)}` : type;
    }
    const o = type as Avro;
    if ((o.type === 'record' || o.type === 'enum' || o.type === 'fixed') && typeof o.name === 'string') return `${o.type} ${shortName(o.name)}`;
    if (o.type === 'array') return `array<${this.avroText(o.items)}>`;
    if (o.type === 'map') return `map<${this.avroText(o.values)}>`;
    if (o.logicalType === 'decimal') return `${String(o.type)} · decimal(${String(o.precision)},${String(o.scale ?? 0)})`;
    if (o.logicalType) return `${String(o.type)} · ${String(o.logicalType)}`;
    return this.avroText(o.type);
  }

  private deref(schema: JsonSchema | undefined): JsonSchema | undefined {
    const ref = schema?.$ref;
    if (typeof ref !== 'string') return schema;
    return this.json[ref.slice(ref.lastIndexOf('/') + 1)];
  }

  /** The object schema a record field's JSON Schema leads to (through anyOf, items and $ref). */
  private innerObject(schema: JsonSchema | undefined): JsonSchema | undefined {
    if (!schema) return undefined;
    const target = this.deref(schema);
    if (!target) return undefined;
    if (target.type === 'object') return target;
    if (Array.isArray(target.anyOf)) return (target.anyOf as JsonSchema[]).map((b) => this.innerObject(b)).find(Boolean);
    if (target.items) return this.innerObject(target.items as JsonSchema);
    return undefined;
  }

  /** A JSON Schema in a few words: `string (date)`, `array of object`, `integer`. */
  jsonText(schema: JsonSchema): string {
    const target = this.deref(schema);
    if (!target) return '';
    if (Array.isArray(target.anyOf)) {
      const branches = (target.anyOf as JsonSchema[]).map((b) => this.jsonText(b));
      const nonNull = branches.filter((b) => b !== 'null');
      return [...nonNull, ...(nonNull.length < branches.length ? ['null'] : [])].join(' or ');
    }
    if (typeof target.format === 'string') return `string (${target.format})`;
    if (Array.isArray(target.enum)) return 'string (enum)';
    if (target.type === 'array') return `array of ${this.jsonText(target.items as JsonSchema)}`;
    if (target.type === 'string') {
      if (typeof target.pattern === 'string' && target.pattern.startsWith('^-?[0-9]+')) return 'string (decimal)';
      return 'string';
    }
    return String(target.type ?? '');
  }
}
