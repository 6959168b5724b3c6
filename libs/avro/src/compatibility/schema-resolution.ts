import { AvroSchema, NamedSchema, PrimitiveName, PrimitiveSchema, RecordSchema, UnionSchema, describe } from './avro-schema';

/** The kinds of incompatibility, named as Avro's and Confluent's checkers name them. */
export type IncompatibilityKind =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH'
  | 'DECIMAL_MISMATCH';

/** One reason why data written with one schema cannot be read with another. */
export interface Incompatibility {
  kind: IncompatibilityKind;
  /** Where in the reader's schema: `/fields/applicant/fields/name`, `/fields/subsidyTypes/items`; `/` for the root. */
  path: string;
  reason: string;
}

/**
 * Checks stricter than Java Avro's `SchemaCompatibility` (what Confluent's registry applies), each
 * switched on by name. Without any, a verdict here is the one Java Avro gives.
 * - `decimal-scale`: a decimal must keep its scale, and plain bytes must not become a decimal. Java
 *   Avro ignores logical types, so it accepts a scale change; a reader that applies its own scale
 *   then reads 12.50 as 1.250.
 * - `full-names`: named types match by full name (or a reader alias). Java Avro since 1.9 matches
 *   them by their short name, so it accepts moving a record to another namespace.
 */
export const STRICT_RULES = ['decimal-scale', 'full-names'] as const;
export type StrictRule = (typeof STRICT_RULES)[number];

export function isStrictRule(value: unknown): value is StrictRule {
  return typeof value === 'string' && (STRICT_RULES as readonly string[]).includes(value);
}

/** Writer primitive → the reader primitives that can read it (Avro's promotions). */
const PROMOTIONS: Record<PrimitiveName, PrimitiveName[]> = {
  null: ['null'],
  boolean: ['boolean'],
  int: ['int', 'long', 'float', 'double'],
  long: ['long', 'float', 'double'],
  float: ['float', 'double'],
  double: ['double'],
  bytes: ['bytes', 'string'],
  string: ['string', 'bytes'],
};

/**
 * Every reason why a reader using `reader` cannot decode data written with `writer`, following the
 * schema-resolution rules of the Avro specification. An empty list means the pair is compatible.
 */
export function resolutionProblems(reader: AvroSchema, writer: AvroSchema, rules: Iterable<StrictRule> = []): Incompatibility[] {
  return new Resolution(new Set(rules)).check(reader, writer, '');
}

class Resolution {
  constructor(private readonly rules: ReadonlySet<StrictRule>) {}

  /** Pairs being checked further up: a recursive type that gets back to one is assumed compatible. */
  private readonly inProgress = new Map<AvroSchema, Set<AvroSchema>>();

  check(reader: AvroSchema, writer: AvroSchema, path: string): Incompatibility[] {
    const seen = this.inProgress.get(reader);
    if (seen?.has(writer)) return [];
    if (seen) seen.add(writer);
    else this.inProgress.set(reader, new Set([writer]));
    try {
      return this.resolve(reader, writer, path);
    } finally {
      this.inProgress.get(reader)!.delete(writer);
    }
  }

  private resolve(reader: AvroSchema, writer: AvroSchema, path: string): Incompatibility[] {
    // A writer union resolves only if every branch it may write resolves.
    if (writer.kind === 'union') return this.writerUnion(reader, writer, path);
    if (reader.kind === 'union') return this.readerUnion(reader, writer, path);

    if (reader.kind === 'primitive' && writer.kind === 'primitive') return this.primitive(reader, writer, path);
    if (reader.kind !== writer.kind) return [mismatch(reader, writer, path)];

    switch (reader.kind) {
      case 'record':
        return this.nameProblems(reader, writer as NamedSchema, path) ?? this.record(reader, writer as RecordSchema, path);
      case 'enum': {
        const w = writer as typeof reader;
        const nameProblem = this.nameProblems(reader, w, path);
        if (nameProblem) return nameProblem;
        if (reader.default !== undefined) return [];
        return w.symbols
          .filter((s) => !reader.symbols.includes(s))
          .map((s) => ({
            kind: 'MISSING_ENUM_SYMBOLS' as const,
            path,
            reason: `writer symbol ${s} missing from reader enum ${reader.fullName} with no default`,
          }));
      }
      case 'fixed': {
        const w = writer as typeof reader;
        const nameProblem = this.nameProblems(reader, w, path);
        if (nameProblem) return nameProblem;
        if (reader.size !== w.size) {
          return [{ kind: 'FIXED_SIZE_MISMATCH', path, reason: `fixed ${reader.fullName} has size ${reader.size} in the reader and ${w.size} in the writer` }];
        }
        return this.decimalProblems(reader, w, path);
      }
      case 'array':
        return this.check(reader.items, (writer as typeof reader).items, `${path}/items`);
      case 'map':
        return this.check(reader.values, (writer as typeof reader).values, `${path}/values`);
    }
    return [mismatch(reader, writer, path)];
  }

  private primitive(reader: PrimitiveSchema, writer: PrimitiveSchema, path: string): Incompatibility[] {
    if (!PROMOTIONS[writer.type].includes(reader.type)) return [mismatch(reader, writer, path)];
    return this.decimalProblems(reader, writer, path);
  }

  private writerUnion(reader: AvroSchema, writer: UnionSchema, path: string): Incompatibility[] {
    const out: Incompatibility[] = [];
    for (const branch of writer.branches) {
      const problems = this.check(reader, branch, path);
      if (problems.length === 0) continue;
      if (reader.kind === 'union') out.push(...problems);
      else if (problems.length === 1 && problems[0].kind === 'TYPE_MISMATCH' && problems[0].path === path) {
        out.push({ kind: 'MISSING_UNION_BRANCH', path, reason: `writer union branch ${describe(branch)} cannot be read as reader type ${describe(reader)}` });
      } else out.push(...problems);
    }
    return out;
  }

  private readerUnion(reader: UnionSchema, writer: AvroSchema, path: string): Incompatibility[] {
    let closest: Incompatibility[] | undefined;
    for (const branch of reader.branches) {
      const problems = this.check(branch, writer, path);
      if (problems.length === 0) return [];
      // Keep the detail of a branch of the same kind and name: it says more than "no branch matches".
      if (!closest && sameKindAndName(branch, writer)) closest = problems;
    }
    return (
      closest ?? [
        {
          kind: 'MISSING_UNION_BRANCH',
          path,
          reason: `writer type ${describe(writer)} matches no branch of reader ${describe(reader)}`,
        },
      ]
    );
  }

  /**
   * Undefined when the names match: the same short name (Java Avro) or, under `full-names`, the same
   * full name; or the writer's full name among the reader's aliases.
   */
  private nameProblems(reader: NamedSchema, writer: NamedSchema, path: string): Incompatibility[] | undefined {
    if (reader.aliases.includes(writer.fullName)) return undefined;
    const strict = this.rules.has('full-names');
    if (strict ? reader.fullName === writer.fullName : shortName(reader.fullName) === shortName(writer.fullName)) return undefined;
    const by = strict ? 'by full name or reader alias' : 'by name or reader alias';
    return [
      { kind: 'NAME_MISMATCH', path, reason: `reader ${reader.kind} ${reader.fullName} does not match writer ${writer.kind} ${writer.fullName} (${by})` },
    ];
  }

  /**
   * Java Avro resolves logical types by their underlying type; only `decimal-scale` looks at
   * decimals, and then only at the scale: a wider or narrower precision reads the same bytes.
   */
  private decimalProblems(reader: Logical, writer: Logical, path: string): Incompatibility[] {
    if (!this.rules.has('decimal-scale')) return [];
    const r = reader.logicalType === 'decimal';
    const w = writer.logicalType === 'decimal';
    if (r && w) {
      if ((reader.scale ?? 0) === (writer.scale ?? 0)) return [];
      return [
        {
          kind: 'DECIMAL_MISMATCH',
          path,
          reason: `decimal(${reader.precision},${reader.scale}) in the reader has another scale than decimal(${writer.precision},${writer.scale}) in the writer (rule decimal-scale)`,
        },
      ];
    }
    if (r) {
      return [
        {
          kind: 'DECIMAL_MISMATCH',
          path,
          reason: `reader decimal(${reader.precision},${reader.scale}) cannot read plain bytes without a writer scale (rule decimal-scale)`,
        },
      ];
    }
    return [];
  }

  private record(reader: RecordSchema, writer: RecordSchema, path: string): Incompatibility[] {
    const out: Incompatibility[] = [];
    for (const field of reader.fields) {
      const fieldPath = `${path}/fields/${field.name}`;
      const written = writer.fields.find((w) => w.name === field.name) ?? writer.fields.find((w) => field.aliases.includes(w.name));
      if (written) out.push(...this.check(field.type, written.type, fieldPath));
      else if (!field.hasDefault) {
        out.push({ kind: 'READER_FIELD_MISSING_DEFAULT_VALUE', path: fieldPath, reason: 'reader field has no default and the writer lacks it' });
      }
    }
    return out;
  }
}

function mismatch(reader: AvroSchema, writer: AvroSchema, path: string): Incompatibility {
  return { kind: 'TYPE_MISMATCH', path, reason: `reader type ${describe(reader)} cannot read writer type ${describe(writer)}` };
}

interface Logical {
  logicalType?: string;
  precision?: number;
  scale?: number;
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

function sameKindAndName(a: AvroSchema, b: AvroSchema): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'primitive') return a.type === (b as PrimitiveSchema).type;
  if (a.kind === 'record' || a.kind === 'enum' || a.kind === 'fixed') {
    const bn = b as NamedSchema;
    return a.fullName === bn.fullName || a.aliases.includes(bn.fullName);
  }
  return true;
}
