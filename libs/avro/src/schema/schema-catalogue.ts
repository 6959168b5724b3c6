import * as avro from 'avsc';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TongbanError } from '@tongban/errors';
import { avroOptions } from './logical-types';

type Json = Record<string, unknown>;

export class SchemaDefinitionError extends TongbanError {
  constructor(message: string) {
    super('AVRO.SCHEMA_DEFINITION_INVALID', message);
  }
}

/** One event type as the contracts define it. */
export interface EventSchema {
  /** Short name used on HTTP and in logs: `SubsidyApplicationSubmitted`. */
  eventType: string;
  /** Avro full name, also the registry subject (record name strategy). */
  fullName: string;
  /** `subsidy`, `marriage`, `funeral`, `economiccheck` (from the namespace `cn.tongban.<workflow>.v<major>`). */
  workflow: string;
  major: number;
  /** Self-contained schema: every named type it uses is defined inline once. */
  schema: Json;
  type: avro.Type;
  file: string;
}

/**
 * A record tongban's own services exchange (the ops services of the two provinces, say): no envelope, not a
 * case event, so never in the gateway's catalogue, its examples or the minimisation policy. Its schema is
 * released and holds a fixed id like an event's.
 */
export interface ServiceRecordSchema {
  /** Short record name: `AuditChainHeads`. */
  name: string;
  /** Avro full name, also the registry subject. */
  fullName: string;
  /** The `<area>` of its namespace `cn.tongban.<area>.v<major>`. */
  area: string;
  major: number;
  schema: Json;
  type: avro.Type;
  file: string;
}

/** Namespaces `cn.tongban.<area>.v<n>` whose top-level records are service records, not case events. */
export const SERVICE_RECORD_AREAS: readonly string[] = ['audit'];

const NAMESPACE = /^cn\.tongban\.([a-z]+)\.v(\d+)$/;
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function walkAvsc(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walkAvsc(path));
    else if (name.endsWith('.avsc')) out.push(path);
  }
  return out;
}

function fullNameOf(schema: Json, enclosingNamespace?: string): string {
  const name = String(schema.name);
  if (name.includes('.')) return name;
  const ns = (schema.namespace as string | undefined) ?? enclosingNamespace;
  return ns ? `${ns}.${name}` : name;
}

/**
 * All Avro schemas of `contracts/avro`, one named type per file. Events are the records whose first
 * field is `envelope`; they may refer to shared named types (the envelope, a person, an address) by
 * full name, and the catalogue inlines them so that each event has one self-contained schema to
 * register and to put on the wire.
 */
export class SchemaCatalogue {
  readonly named = new Map<string, { schema: Json; file: string }>();
  private readonly events = new Map<string, EventSchema>();
  private readonly byFullName = new Map<string, EventSchema>();
  private readonly records = new Map<string, ServiceRecordSchema>();

  constructor(readonly root: string) {
    for (const file of walkAvsc(root)) {
      let schema: Json;
      try {
        schema = JSON.parse(readFileSync(file, 'utf8')) as Json;
      } catch (e) {
        throw new SchemaDefinitionError(`${relative(root, file)} is not valid JSON: ${(e as Error).message}`);
      }
      const fullName = fullNameOf(schema);
      if (this.named.has(fullName)) {
        throw new SchemaDefinitionError(`${fullName} is defined twice (${relative(root, file)})`);
      }
      this.named.set(fullName, { schema, file });
    }
    for (const [fullName, { schema, file }] of this.named) {
      const fields = schema.fields as Json[] | undefined;
      const serviceArea = NAMESPACE.exec(fullName.slice(0, fullName.lastIndexOf('.')));
      if (schema.type === 'record' && serviceArea && SERVICE_RECORD_AREAS.includes(serviceArea[1])) {
        if (fields?.[0]?.name === 'envelope')
          throw new SchemaDefinitionError(`${fullName}: records of cn.tongban.${serviceArea[1]} are service records and carry no envelope`);
        this.records.set(fullName, {
          name: String(schema.name),
          fullName,
          area: serviceArea[1],
          major: Number(serviceArea[2]),
          schema: this.inline(fullName),
          type: this.typeOf(fullName, file),
          file: relative(root, file),
        });
        continue;
      }
      if (schema.type !== 'record' || !fields?.length || fields[0].name !== 'envelope') continue;
      const ns = NAMESPACE.exec(fullName.slice(0, fullName.lastIndexOf('.')));
      if (!ns) throw new SchemaDefinitionError(`${fullName}: event namespaces are cn.tongban.<workflow>.v<major>`);
      const inlined = this.inline(fullName);
      let type: avro.Type;
      try {
        type = avro.Type.forSchema(inlined as avro.Schema, avroOptions());
      } catch (e) {
        throw new SchemaDefinitionError(`${relative(root, file)}: ${(e as Error).message}`);
      }
      const eventType = String(schema.name);
      if (this.events.has(eventType)) throw new SchemaDefinitionError(`event type ${eventType} is defined twice`);
      const event: EventSchema = {
        eventType,
        fullName,
        workflow: ns[1],
        major: Number(ns[2]),
        schema: inlined,
        type,
        file: relative(root, file),
      };
      this.events.set(eventType, event);
      this.byFullName.set(fullName, event);
    }
  }

  eventTypes(): string[] {
    return [...this.events.keys()].sort();
  }

  event(eventType: string): EventSchema | undefined {
    return this.events.get(eventType);
  }

  eventByFullName(fullName: string): EventSchema | undefined {
    return this.byFullName.get(fullName);
  }

  allEvents(): EventSchema[] {
    return [...this.events.values()];
  }

  /** The service record named `fullName` (see SERVICE_RECORD_AREAS), if the contracts define one. */
  serviceRecord(fullName: string): ServiceRecordSchema | undefined {
    return this.records.get(fullName);
  }

  serviceRecords(): ServiceRecordSchema[] {
    return [...this.records.values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
  }

  /** Everything released with a fixed schema id: every event and every service record, by full name. */
  releasable(): Array<{ fullName: string; schema: Json }> {
    return [...this.allEvents(), ...this.serviceRecords()].sort((a, b) => a.fullName.localeCompare(b.fullName));
  }

  private typeOf(fullName: string, file: string): avro.Type {
    try {
      return avro.Type.forSchema(this.inline(fullName) as avro.Schema, avroOptions());
    } catch (e) {
      throw new SchemaDefinitionError(`${relative(this.root, file)}: ${(e as Error).message}`);
    }
  }

  /** The schema of `fullName` with every referenced named type defined at its first use. */
  inline(fullName: string): Json {
    const seen = new Set<string>();
    const entry = this.named.get(fullName);
    if (!entry) throw new SchemaDefinitionError(`no schema named ${fullName}`);
    return this.expand(entry.schema, undefined, seen) as Json;
  }

  private expand(node: unknown, namespace: string | undefined, seen: Set<string>): unknown {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return node;
      const full = node.includes('.') ? node : namespace ? `${namespace}.${node}` : node;
      const target = this.named.get(full) ?? this.named.get(node);
      if (!target) throw new SchemaDefinitionError(`unknown type "${node}"`);
      const targetName = fullNameOf(target.schema);
      if (seen.has(targetName)) return targetName;
      return this.expand(target.schema, undefined, seen);
    }
    if (Array.isArray(node)) return node.map((branch) => this.expand(branch, namespace, seen));
    if (node && typeof node === 'object') {
      const obj = { ...(node as Json) };
      if (['record', 'enum', 'fixed'].includes(obj.type as string) && obj.name) {
        const full = fullNameOf(obj, namespace);
        seen.add(full);
        // Write names in full so an inlined type keeps its own namespace wherever it lands.
        obj.name = full;
        delete obj.namespace;
        const ns = full.slice(0, full.lastIndexOf('.')) || undefined;
        if (obj.type === 'record') {
          obj.fields = (obj.fields as Json[]).map((f) => ({ ...f, type: this.expand(f.type, ns, seen) }));
        }
        return obj;
      }
      if (obj.type === 'array') return { ...obj, items: this.expand(obj.items, namespace, seen) };
      if (obj.type === 'map') return { ...obj, values: this.expand(obj.values, namespace, seen) };
      if (typeof obj.type === 'string' || Array.isArray(obj.type)) {
        // A primitive with attributes (logical types), or a named reference wrapped in an object.
        if (typeof obj.type === 'string' && PRIMITIVES.has(obj.type)) return obj;
        return this.expand(obj.type, namespace, seen);
      }
    }
    return node;
  }
}
