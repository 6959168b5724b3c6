import type { Problem } from '@tongban/errors';

type Json = Record<string, unknown>;

/** Checks a string field marked with `"format"` in the schema; returns a problem text or undefined. */
export type FormatChecker = (value: string) => string | undefined;

const INT32 = 2 ** 31;

/**
 * Longest string accepted where the contract marks no `"maxLength"` (Avro itself has no bound): long
 * enough for any reference or code, short enough that nothing downstream has to cope with megabytes.
 */
export const DEFAULT_STRING_MAX_LENGTH = 500;

/**
 * Validates a JSON value against a self-contained Avro schema and lists every problem with its path:
 * missing and unknown fields, wrong types, enum symbols, dates, timestamps, decimals, and the
 * `"format"` markings of the contracts (ID numbers, division codes, ...), and the `"maxLength"` of
 * string fields (characters; unmarked strings get `defaultMaxLength`). Logical types are checked
 * as tongban's JSON carries them (see logical-types.ts).
 */
export class RecordValidator {
  private readonly named = new Map<string, Json>();

  constructor(
    private readonly formats: Record<string, FormatChecker> = {},
    private readonly defaultMaxLength = DEFAULT_STRING_MAX_LENGTH,
  ) {}

  validate(schema: unknown, value: unknown, path: string): Problem[] {
    const problems: Problem[] = [];
    this.check(schema, value, path, problems);
    return problems;
  }

  /** True when `value` fits `schema` (used to pick a union branch). */
  fits(schema: unknown, value: unknown): boolean {
    const problems: Problem[] = [];
    this.check(schema, value, '', problems, true);
    return problems.length === 0;
  }

  private check(schema: unknown, value: unknown, path: string, out: Problem[], structural = false, format?: string, maxLength?: number): void {
    if (typeof schema === 'string') return this.checkNamedOrPrimitive(schema, value, path, out, structural, format, maxLength);
    if (Array.isArray(schema)) return this.checkUnion(schema, value, path, out, structural, format, maxLength);
    const s = schema as Json;
    if (typeof s.name === 'string' && ['record', 'enum', 'fixed'].includes(s.type as string)) this.named.set(s.name, s);
    if (s.logicalType) return this.checkLogical(s, value, path, out);
    switch (s.type) {
      case 'record':
        return this.checkRecord(s, value, path, out, structural);
      case 'enum': {
        const symbols = s.symbols as string[];
        if (typeof value !== 'string' || !symbols.includes(value)) {
          out.push({ path, problem: `must be one of ${symbols.join(', ')}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}` });
        }
        return;
      }
      case 'array':
        if (!Array.isArray(value)) return void out.push({ path, problem: 'must be an array' });
        value.forEach((item, i) => this.check(s.items, item, `${path}[${i}]`, out, structural));
        return;
      case 'map':
        if (!value || typeof value !== 'object' || Array.isArray(value)) return void out.push({ path, problem: 'must be an object' });
        for (const [k, v] of Object.entries(value)) this.check(s.values, v, `${path}.${k}`, out, structural);
        return;
      case 'fixed':
        if (typeof value !== 'string' || Buffer.byteLength(value, 'latin1') !== s.size) out.push({ path, problem: `must be ${s.size} bytes` });
        return;
      default:
        return this.check(s.type, value, path, out, structural, (s.format as string | undefined) ?? format, (s.maxLength as number | undefined) ?? maxLength);
    }
  }

  private checkNamedOrPrimitive(type: string, value: unknown, path: string, out: Problem[], structural: boolean, format?: string, maxLength?: number): void {
    const named = this.named.get(type);
    if (named) return this.check(named, value, path, out, structural);
    const wrong = (what: string): void => void out.push({ path, problem: value === undefined ? 'is required' : `must be ${what}` });
    switch (type) {
      case 'null':
        if (value !== null) wrong('null');
        return;
      case 'boolean':
        if (typeof value !== 'boolean') wrong('true or false');
        return;
      case 'int':
        if (!Number.isInteger(value) || Math.abs(value as number) >= INT32) wrong('a whole number');
        return;
      case 'long':
        if (!Number.isSafeInteger(value)) wrong('a whole number');
        return;
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) wrong('a number');
        return;
      case 'string':
        if (typeof value !== 'string') return wrong('a string');
        if (value.trim() === '') return void out.push({ path, problem: 'must not be empty' });
        if (!structural && value.length > (maxLength ?? this.defaultMaxLength)) {
          return void out.push({ path, problem: `must be at most ${maxLength ?? this.defaultMaxLength} characters, got ${value.length}` });
        }
        if (format && !structural) {
          const problem = this.formats[format]?.(value);
          if (problem) out.push({ path, problem });
        }
        return;
      case 'bytes':
        if (typeof value !== 'string') wrong('a string');
        return;
      default:
        out.push({ path, problem: `has the unknown type ${type}` });
    }
  }

  private checkRecord(s: Json, value: unknown, path: string, out: Problem[], structural: boolean): void {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      out.push({ path, problem: value === undefined ? 'is required' : 'must be an object' });
      return;
    }
    const fields = s.fields as Json[];
    const known = new Set(fields.map((f) => f.name as string));
    for (const f of fields) {
      const v = (value as Json)[f.name as string];
      const fieldPath = path ? `${path}.${f.name}` : String(f.name);
      if (v === undefined && 'default' in f) continue;
      this.check(f.type, v, fieldPath, out, structural, f.format as string | undefined, f.maxLength as number | undefined);
    }
    for (const k of Object.keys(value)) {
      if (!known.has(k)) out.push({ path: path ? `${path}.${k}` : k, problem: `is not a field of ${String(s.name).split('.').pop()}` });
    }
  }

  private checkUnion(branches: unknown[], value: unknown, path: string, out: Problem[], structural: boolean, format?: string, maxLength?: number): void {
    if (value === undefined) return void out.push({ path, problem: 'is required' });
    if (value === null) {
      if (!branches.includes('null')) out.push({ path, problem: 'must not be null' });
      return;
    }
    const candidates = branches.filter((b) => b !== 'null');
    const fitting = candidates.find((b) => this.fits(b, value));
    if (fitting !== undefined) return this.check(fitting, value, path, out, structural, format, maxLength);
    // No branch fits: report against the only branch when there is one, so the problem is specific.
    if (candidates.length === 1) return this.check(candidates[0], value, path, out, structural, format, maxLength);
    out.push({ path, problem: 'does not match any allowed type' });
  }

  private checkLogical(s: Json, value: unknown, path: string, out: Problem[]): void {
    const problem = (text: string): void => void out.push({ path, problem: value === undefined ? 'is required' : text });
    switch (s.logicalType) {
      case 'date': {
        const ok = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
        if (!ok) problem('must be a date YYYY-MM-DD');
        return;
      }
      case 'timestamp-millis':
      case 'timestamp-micros': {
        const ok = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) && !Number.isNaN(Date.parse(value));
        if (!ok) problem('must be an ISO-8601 timestamp such as 2026-11-02T09:30:00Z');
        return;
      }
      case 'decimal': {
        const scale = Number(s.scale ?? 0);
        const precision = Number(s.precision ?? 10);
        const m = typeof value === 'string' ? /^-?(\d+)(?:\.(\d+))?$/.exec(value) : null;
        if (!m || (m[2] ?? '').length > scale || m[1].replace(/^0+/, '').length + scale > precision) {
          problem(`must be a decimal string with at most ${scale} decimals, e.g. "1234.50"`);
        }
        return;
      }
      case 'uuid':
        if (typeof value !== 'string' || !/^[0-9a-f-]{36}$/i.test(value)) problem('must be a UUID');
        return;
      default:
        return this.check(s.type, value, path, out);
    }
  }
}
