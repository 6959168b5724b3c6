import { AvroSchema, SchemaInput, isParsedSchema, parseSchema } from './avro-schema';
import { Incompatibility, StrictRule, resolutionProblems } from './schema-resolution';

export const COMPATIBILITY_MODES = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'BACKWARD';

export function isCompatibilityMode(value: unknown): value is CompatibilityMode {
  return typeof value === 'string' && (COMPATIBILITY_MODES as readonly string[]).includes(value);
}

/** An incompatibility between the new schema and one existing schema, seen from one side. */
export interface CompatibilityProblem extends Incompatibility {
  /** `backward`: the new schema reads the old one's data; `forward`: the old schema reads the new one's. */
  direction: 'backward' | 'forward';
  /** Label of the existing schema involved (its version, or `#n` counted from the oldest). */
  against: string;
  /** `<path>: <reason> (<who reads whom>)`. */
  message: string;
}

export interface CompatibilityResult {
  compatible: boolean;
  problems: CompatibilityProblem[];
  messages: string[];
}

export interface CompatibilityOptions {
  /** Labels of the existing schemas for messages, e.g. registry versions; oldest first like the schemas. */
  labels?: string[];
  /** Checks stricter than Java Avro's, by name (none by default: the verdicts are Java Avro's). */
  rules?: StrictRule[];
}

/**
 * Whether `newSchema` may follow `existingSchemas` (oldest first) under `mode`:
 * BACKWARD — the new schema reads data of the latest existing one; FORWARD — the latest existing one
 * reads data of the new schema; FULL — both; *_TRANSITIVE — the same against every existing schema;
 * NONE — always. Throws InvalidSchemaError when a schema does not parse.
 */
export function checkCompatibility(
  newSchema: SchemaInput | AvroSchema,
  existingSchemas: Array<SchemaInput | AvroSchema>,
  mode: CompatibilityMode = DEFAULT_COMPATIBILITY,
  options: CompatibilityOptions = {},
): CompatibilityResult {
  if (mode === 'NONE' || existingSchemas.length === 0) return { compatible: true, problems: [], messages: [] };
  const next = asSchema(newSchema);
  const transitive = mode.endsWith('_TRANSITIVE');
  const backward = mode.startsWith('BACKWARD') || mode.startsWith('FULL');
  const forward = mode.startsWith('FORWARD') || mode.startsWith('FULL');
  const indexes = transitive ? existingSchemas.map((_, i) => i) : [existingSchemas.length - 1];

  const problems: CompatibilityProblem[] = [];
  for (const i of indexes.reverse()) {
    const old = asSchema(existingSchemas[i]);
    const label = options.labels?.[i] ?? (existingSchemas.length === 1 ? 'the old schema' : `old schema #${i + 1}`);
    if (backward) {
      for (const p of resolutionProblems(next, old, options.rules)) {
        problems.push({ ...p, direction: 'backward', against: label, message: `${p.path || '/'}: ${p.reason} (new schema reading data written by ${label})` });
      }
    }
    if (forward) {
      for (const p of resolutionProblems(old, next, options.rules)) {
        problems.push({
          ...p,
          direction: 'forward',
          against: label,
          message: `${p.path || '/'}: ${p.reason} (${label} reading data written by the new schema)`,
        });
      }
    }
  }
  const messages = [...new Set(problems.map((p) => p.message))];
  return { compatible: problems.length === 0, problems, messages };
}

function asSchema(input: SchemaInput | AvroSchema): AvroSchema {
  return isParsedSchema(input) ? input : parseSchema(input as SchemaInput);
}
