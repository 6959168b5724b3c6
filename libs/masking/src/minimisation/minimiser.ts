import type { SchemaCatalogue } from '@tongban/avro';
import { MinimisationPolicyError, MinimisationPolicyFile, RecipientRole, RECIPIENT_ROLES } from './minimisation-policy';

type Json = Record<string, unknown>;
/** `true`: the whole subtree passes; an object: only the listed children. */
type Allowed = true | { [field: string]: Allowed };

export interface Minimised {
  /** The payload (or whole record) with withheld fields nulled, redacted or emptied. */
  value: Json;
  /** Paths that were withheld (only those that held a value). */
  withheld: string[];
}

/** A personal field that reached a recipient, attributed to the person it describes. */
export interface PersonalDisclosure {
  /** Normalised ID number of the person, or null when the event names nobody by ID. */
  idNumber: string | null;
  /** Payload paths of the pii fields disclosed, e.g. `applicant.name`, `certificateNumber`. */
  fields: string[];
}

interface Compiled {
  allowed: Record<RecipientRole, Allowed>;
  named: Map<string, Json>;
  fields: Json[];
}

/**
 * Applies contracts/policy/minimisation.json to records of the contracts' event types, in their JSON
 * form (HTTP payloads, decoded Avro). The policy is checked against the schemas when this is built:
 * an unknown path, or a withheld field that cannot be withheld validly, stops the start.
 */
export class Minimiser {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    readonly catalogue: SchemaCatalogue,
    readonly policy: MinimisationPolicyFile,
  ) {
    const problems: string[] = [];
    for (const name of Object.keys(policy.events)) if (!catalogue.event(name)) problems.push(`events.${name}: no such event type in the contracts`);
    for (const event of catalogue.allEvents()) {
      const named = new Map<string, Json>();
      collectNamed(event.schema, named);
      const fields = (event.schema.fields as Json[]).filter((f) => f.name !== 'envelope');
      const allowed = {} as Record<RecipientRole, Allowed>;
      for (const role of RECIPIENT_ROLES) {
        const paths = policy.events[event.eventType]?.[role] ?? policy.defaults?.[role];
        if (!paths) {
          problems.push(`events.${event.eventType}.${role}: no list of passing fields (and no default for ${role})`);
          continue;
        }
        allowed[role] = compile(paths);
        for (const p of paths)
          if (p !== '*' && !resolves(fields, p.split('.'), named)) problems.push(`events.${event.eventType}.${role}: "${p}" is not a field`);
        checkWithholdable(fields, allowed[role], named, '', `events.${event.eventType}.${role}`, problems);
      }
      this.compiled.set(event.eventType, { allowed, named, fields });
    }
    if (problems.length) throw new MinimisationPolicyError(`minimisation policy:\n  - ${problems.join('\n  - ')}`);
  }

  /** Minimises a payload (record without `envelope`) or a whole record (its envelope passes untouched). */
  minimise(eventType: string, role: RecipientRole, record: Json): Minimised {
    const c = this.require(eventType);
    const withheld: string[] = [];
    const value = applyRecord(c.fields, record, c.allowed[role], c.named, '', this.policy.redaction.string, withheld);
    if ('envelope' in record) value.envelope = record.envelope;
    return { value, withheld };
  }

  /**
   * The personal fields a record discloses, per person: a pii field inside a record that carries an
   * `idNumber` belongs to that person; a pii field outside any such record belongs to the event's
   * first named person (the applicant, the deceased, the first party).
   */
  personalData(eventType: string, record: Json): PersonalDisclosure[] {
    const c = this.require(eventType);
    const byPerson = new Map<string | null, Set<string>>();
    const orphan: string[] = [];
    collectPii(c.fields, record, c.named, '', null, byPerson, orphan, this.policy.redaction.string);
    const first = [...byPerson.keys()].find((k) => k !== null && k !== UNIDENTIFIED) ?? null;
    if (orphan.length) {
      const set = byPerson.get(first) ?? new Set<string>();
      orphan.forEach((p) => set.add(p));
      byPerson.set(first, set);
    }
    return [...byPerson.entries()]
      .filter(([, f]) => f.size > 0)
      .map(([idNumber, f]) => ({ idNumber: idNumber === UNIDENTIFIED ? null : idNumber, fields: [...f].sort() }));
  }

  private require(eventType: string): Compiled {
    const c = this.compiled.get(eventType);
    if (!c) throw new MinimisationPolicyError(`no minimisation policy for event type ${eventType}`);
    return c;
  }
}

const UNIDENTIFIED = '\u0000unidentified';

function compile(paths: string[]): Allowed {
  if (paths.includes('*')) return true;
  const root: { [k: string]: Allowed } = {};
  for (const p of paths) {
    let node = root;
    const parts = p.split('.');
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = true;
      else {
        if (node[part] === true) return;
        node[part] = (node[part] as { [k: string]: Allowed }) ?? {};
        node = node[part] as { [k: string]: Allowed };
      }
    });
  }
  return root;
}

function collectNamed(node: unknown, named: Map<string, Json>): void {
  if (Array.isArray(node)) node.forEach((n) => collectNamed(n, named));
  else if (node && typeof node === 'object') {
    const o = node as Json;
    if (typeof o.name === 'string' && ['record', 'enum', 'fixed'].includes(o.type as string)) named.set(o.name, o);
    if (o.type === 'record') (o.fields as Json[]).forEach((f) => collectNamed(f.type, named));
    else if (o.type === 'array') collectNamed(o.items, named);
    else if (o.type === 'map') collectNamed(o.values, named);
    else if (typeof o.type === 'object') collectNamed(o.type, named);
  }
}

/** The record schema inside a field type (through unions, arrays and references), if any. */
function recordOf(type: unknown, named: Map<string, Json>): Json | undefined {
  if (typeof type === 'string') return named.get(type)?.type === 'record' ? named.get(type) : undefined;
  if (Array.isArray(type)) {
    for (const b of type) {
      const r = recordOf(b, named);
      if (r) return r;
    }
    return undefined;
  }
  if (type && typeof type === 'object') {
    const o = type as Json;
    if (o.type === 'record') return o;
    if (o.type === 'array') return recordOf(o.items, named);
  }
  return undefined;
}

function resolves(fields: Json[], parts: string[], named: Map<string, Json>): boolean {
  const f = fields.find((x) => x.name === parts[0]);
  if (!f) return false;
  if (parts.length === 1) return true;
  const r = recordOf(f.type, named);
  return !!r && resolves(r.fields as Json[], parts.slice(1), named);
}

type Withhold = 'null' | 'redact' | 'empty';

function howToWithhold(type: unknown, named: Map<string, Json>): Withhold | undefined {
  if (Array.isArray(type)) return type.includes('null') ? 'null' : undefined;
  if (type === 'string') return 'redact';
  if (type && typeof type === 'object') {
    const o = type as Json;
    if (o.type === 'array') return 'empty';
    if (o.type === 'string' && !o.logicalType) return 'redact';
  }
  if (typeof type === 'string' && named.get(type)?.type === 'array') return 'empty';
  return undefined;
}

function checkWithholdable(fields: Json[], allowed: Allowed, named: Map<string, Json>, prefix: string, where: string, problems: string[]): void {
  if (allowed === true) return;
  for (const f of fields) {
    const path = `${prefix}${f.name}`;
    const sub = allowed[f.name as string];
    if (sub === true) continue;
    if (sub === undefined) {
      if (!howToWithhold(f.type, named))
        problems.push(`${where}: "${path}" is withheld but is required and not a string or array; let it pass or make it optional in the schema`);
      continue;
    }
    const r = recordOf(f.type, named);
    if (r) checkWithholdable(r.fields as Json[], sub, named, `${path}.`, where, problems);
  }
}

function applyRecord(fields: Json[], value: Json, allowed: Allowed, named: Map<string, Json>, prefix: string, redaction: string, withheld: string[]): Json {
  if (allowed === true) return value;
  const out: Json = {};
  for (const f of fields) {
    const name = f.name as string;
    if (name === 'envelope' && !prefix) continue;
    const path = `${prefix}${name}`;
    const v = value[name];
    const sub = allowed[name];
    if (sub === true || v === undefined) {
      if (v !== undefined) out[name] = v;
      continue;
    }
    if (sub === undefined) {
      const how = howToWithhold(f.type, named);
      out[name] = how === 'null' ? null : how === 'empty' ? [] : redaction;
      if (v !== null && !(Array.isArray(v) && v.length === 0)) withheld.push(path);
      continue;
    }
    const r = recordOf(f.type, named);
    if (v === null || !r) out[name] = v;
    else if (Array.isArray(v)) out[name] = v.map((item) => applyRecord(r.fields as Json[], item as Json, sub, named, `${path}.`, redaction, withheld));
    else out[name] = applyRecord(r.fields as Json[], v as Json, sub, named, `${path}.`, redaction, withheld);
  }
  return out;
}

function collectPii(
  fields: Json[],
  value: Json,
  named: Map<string, Json>,
  prefix: string,
  person: string | null,
  byPerson: Map<string | null, Set<string>>,
  orphan: string[],
  redaction: string,
): void {
  const own = typeof value.idNumber === 'string' && value.idNumber ? value.idNumber.toUpperCase() : null;
  // A person record whose ID was withheld describes someone the recipient cannot identify by ID.
  const holder = own ?? (fields.some((f) => f.name === 'idNumber') && prefix ? UNIDENTIFIED : person);
  if (own && !byPerson.has(own)) byPerson.set(own, new Set());
  for (const f of fields) {
    const name = f.name as string;
    if (name === 'envelope' && !prefix) continue;
    const v = value[name];
    if (v === undefined || v === null || v === '' || v === redaction || (Array.isArray(v) && v.length === 0)) continue;
    const path = `${prefix}${name}`;
    if (f.pii) {
      if (holder === null) orphan.push(path);
      else if (byPerson.has(holder)) byPerson.get(holder)?.add(path);
      else byPerson.set(holder, new Set([path]));
    }
    const r = recordOf(f.type, named);
    if (!r) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item && typeof item === 'object') collectPii(r.fields as Json[], item as Json, named, `${path}.`, holder, byPerson, orphan, redaction);
    }
  }
}
