import * as avro from 'avsc';

/**
 * Logical types as tongban's JSON and TypeScript see them: dates as `YYYY-MM-DD`, timestamps as
 * ISO-8601 strings, money as decimal strings (`"1234.50"`), never floating point.
 */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

function sameLogical(type: avro.Type, name: string): boolean {
  return (type as unknown as { _logicalTypeName?: string })._logicalTypeName === name;
}

export class DateType extends avro.types.LogicalType {
  protected override _fromValue(days: number): string {
    return new Date(days * DAY_MS).toISOString().slice(0, 10);
  }
  protected override _toValue(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    const m = DATE.exec(value);
    if (!m) return undefined;
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== value) return undefined;
    return ms / DAY_MS;
  }
  protected override _resolve(type: avro.Type) {
    // A writer of the same logical type has already turned the int into a date string.
    if (sameLogical(type, 'date')) return (v: string) => v;
    if (avro.Type.isType(type, 'int')) return (v: number) => this._fromValue(v);
    return undefined;
  }
}

export class TimestampMillisType extends avro.types.LogicalType {
  protected override _fromValue(ms: number): string {
    return new Date(ms).toISOString();
  }
  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  protected override _resolve(type: avro.Type) {
    if (sameLogical(type, 'timestamp-millis')) return (v: string) => v;
    if (avro.Type.isType(type, 'long', 'int')) return (v: number) => this._fromValue(v);
    return undefined;
  }
}

/** Money and other exact quantities: bytes holding the two's-complement unscaled value. */
export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;

  constructor(schema: avro.Schema & { precision?: number; scale?: number }, opts?: avro.ForSchemaOptions) {
    super(schema, opts);
    this.precision = schema.precision ?? 10;
    this.scale = schema.scale ?? 0;
  }

  protected override _fromValue(buf: Buffer): string {
    let n = 0n;
    for (const byte of buf) n = (n << 8n) | BigInt(byte);
    if (buf.length > 0 && buf[0] & 0x80) n -= 1n << BigInt(buf.length * 8);
    const negative = n < 0n;
    const digits = (negative ? -n : n).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const frac = this.scale > 0 ? `.${digits.slice(digits.length - this.scale)}` : '';
    return `${negative ? '-' : ''}${whole}${frac}`;
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined;
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
    if (!m || (m[3] ?? '').length > this.scale) return undefined;
    const digits = (m[2] + (m[3] ?? '').padEnd(this.scale, '0')).replace(/^0+(?=\d)/, '');
    if (digits.length > this.precision) return undefined;
    let n = BigInt(digits) * (m[1] ? -1n : 1n);
    const bytes: number[] = [];
    // Two's complement, big-endian, shortest form that keeps the sign bit right.
    do {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (!((n === 0n && (bytes[0] & 0x80) === 0) || (n === -1n && (bytes[0] & 0x80) !== 0)));
    return Buffer.from(bytes);
  }

  protected override _resolve(type: avro.Type) {
    // The writer's decimal has already become its exact string under the writer's own scale: keep
    // the value, padded to this scale where it is shorter (a wider precision is as readable).
    if (type instanceof DecimalType) return (v: string) => padScale(v, this.scale);
    // Plain bytes carry no scale of their own: read them under this one, as Java Avro does.
    if (avro.Type.isType(type, 'bytes')) return (v: Buffer) => this._fromValue(v);
    return undefined;
  }

  protected override _export(schema: avro.Schema): void {
    Object.assign(schema as object, { precision: this.precision, scale: this.scale });
  }
}

/** `12.5` under scale 2 → `12.50`; digits beyond the scale are kept, never dropped. */
export function padScale(value: string, scale: number): string {
  const dot = value.indexOf('.');
  const fraction = dot < 0 ? 0 : value.length - dot - 1;
  if (fraction >= scale) return value;
  return `${dot < 0 ? `${value}.` : value}${'0'.repeat(scale - fraction)}`;
}

export class UuidType extends avro.types.LogicalType {
  protected override _fromValue(value: string): string {
    return value;
  }
  protected override _toValue(value: unknown): string | undefined {
    return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? value : undefined;
  }
  protected override _resolve(type: avro.Type) {
    if (sameLogical(type, 'uuid') || avro.Type.isType(type, 'string')) return (v: string) => v;
    return undefined;
  }
}

export const LOGICAL_TYPES = {
  date: DateType,
  'timestamp-millis': TimestampMillisType,
  decimal: DecimalType,
  uuid: UuidType,
} as unknown as Record<string, new (schema: avro.Schema, opts?: avro.ForSchemaOptions) => avro.types.LogicalType>;

/** The options every tongban Avro type is built with. */
export function avroOptions(): avro.ForSchemaOptions {
  return { logicalTypes: LOGICAL_TYPES, wrapUnions: 'auto' } as avro.ForSchemaOptions;
}
