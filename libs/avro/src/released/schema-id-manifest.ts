import { readFileSync } from 'node:fs';
import * as avro from 'avsc';
import { normalizedForm, sha256Fingerprint } from '../compatibility/canonical-form';
import { avroOptions } from '../schema/logical-types';

/**
 * Schema ids fixed by the released contracts (`contracts/released/schema-ids.json`).
 *
 * Each province runs its own schema registry and the two never talk to each other, yet a record
 * written in one province names its writer's schema by id and is read in the other. So the id of a
 * released schema is not left to a registry's sequence: `npm run contracts:release` assigns it once,
 * here, and every registry imports this file at start, giving each released schema exactly this id.
 * Ids are never reused or changed: a schema retired by a forced break keeps its entry (and its text,
 * since records on topics still name it) with `retired: true`.
 */
export interface SchemaIdEntry {
  /** The global id on the wire: 1 to RELEASED_ID_MAX. */
  id: number;
  /** The subject (record name strategy: the event's full name). */
  subject: string;
  /** SHA-256 of the normalized form, as the registry computes it. */
  fingerprint: string;
  /** No longer a released version of its subject; still resolvable by id. */
  retired?: boolean;
  /** The schema itself, self-contained. */
  schema: object;
}

export interface SchemaIdManifest {
  $comment?: string;
  schemas: SchemaIdEntry[];
}

/** The largest id the release may assign; a registry numbers schemas it registers itself above it. */
export const RELEASED_ID_MAX = 999_999;

export const SCHEMA_ID_MANIFEST_FILE = 'schema-ids.json';

const COMMENT =
  "Schema id of every released schema version, the same in every province's registry (each imports this file at " +
  'start). Written by tools/contracts/release.ts: ids are only ever added, never changed or reused; do not edit.';

export class SchemaIdManifestError extends Error {
  constructor(
    readonly problems: string[],
    where = SCHEMA_ID_MANIFEST_FILE,
  ) {
    super(`${where}: ${problems.join('; ')}`);
    this.name = 'SchemaIdManifestError';
  }
}

export const schemaFingerprint = (schema: object): string => sha256Fingerprint(normalizedForm(schema));

/**
 * Checks a parsed manifest: ids whole numbers in range and unique, one id per schema, fingerprints
 * that match the schemas. Throws SchemaIdManifestError listing every problem.
 */
export function validateSchemaIdManifest(value: unknown, where?: string): SchemaIdManifest {
  const problems: string[] = [];
  const schemas = (value as { schemas?: unknown } | null)?.schemas;
  if (!value || typeof value !== 'object' || !Array.isArray(schemas)) throw new SchemaIdManifestError(['expected an object with a "schemas" array'], where);
  const ids = new Set<number>();
  const fingerprints = new Map<string, number>();
  schemas.forEach((raw: unknown, i) => {
    const e = raw as Partial<SchemaIdEntry> | null;
    const at = `schemas[${i}]`;
    if (!e || typeof e !== 'object') return void problems.push(`${at} is not an object`);
    if (!Number.isInteger(e.id) || (e.id as number) < 1 || (e.id as number) > RELEASED_ID_MAX) {
      return void problems.push(`${at}: id ${JSON.stringify(e.id)} is not a whole number from 1 to ${RELEASED_ID_MAX}`);
    }
    const id = e.id as number;
    if (ids.has(id)) problems.push(`${at}: id ${id} is given twice`);
    ids.add(id);
    if (typeof e.subject !== 'string' || e.subject === '') problems.push(`${at} (id ${id}): no subject`);
    if (e.retired !== undefined && typeof e.retired !== 'boolean') problems.push(`${at} (id ${id}): retired must be true or false`);
    if (!e.schema || typeof e.schema !== 'object') return void problems.push(`${at} (id ${id}): no schema`);
    let actual: string;
    try {
      avro.Type.forSchema(e.schema as avro.Schema, avroOptions());
      actual = schemaFingerprint(e.schema);
    } catch (err) {
      return void problems.push(`${at} (id ${id}): the schema is invalid (${(err as Error).message})`);
    }
    if (e.fingerprint !== actual) problems.push(`${at} (id ${id}): fingerprint ${String(e.fingerprint)} does not match its schema (${actual})`);
    const other = fingerprints.get(actual);
    if (other !== undefined) problems.push(`${at}: the schema of id ${id} is also id ${other}; one schema has one id`);
    fingerprints.set(actual, id);
  });
  if (problems.length) throw new SchemaIdManifestError(problems, where);
  return value as SchemaIdManifest;
}

/** Reads and validates a manifest file. */
export function readSchemaIdManifest(file: string): SchemaIdManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SchemaIdManifestError([`cannot be read (${(e as Error).message})`], file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SchemaIdManifestError([`is not JSON (${(e as Error).message})`], file);
  }
  return validateSchemaIdManifest(parsed, file);
}

/**
 * The manifest after a release: every released version (per subject, oldest first) keeps the id it
 * has, or takes the next free one; a schema that is no longer released stays, retired. A retired
 * schema released again gets its old id back (one schema, one id).
 */
export function assignSchemaIds(previous: SchemaIdManifest | undefined, released: Map<string, object[]>): SchemaIdManifest {
  const byFingerprint = new Map<string, SchemaIdEntry>();
  for (const e of previous?.schemas ?? []) byFingerprint.set(e.fingerprint, { ...e, retired: true });
  let next = Math.max(0, ...(previous?.schemas ?? []).map((e) => e.id)) + 1;
  for (const subject of [...released.keys()].sort()) {
    for (const schema of released.get(subject)!) {
      const fingerprint = schemaFingerprint(schema);
      const known = byFingerprint.get(fingerprint);
      if (known) {
        delete known.retired;
        known.subject = subject;
        continue;
      }
      if (next > RELEASED_ID_MAX) throw new SchemaIdManifestError([`no id left for ${subject}: the release range ends at ${RELEASED_ID_MAX}`]);
      byFingerprint.set(fingerprint, { id: next++, subject, fingerprint, schema });
    }
  }
  const schemas = [...byFingerprint.values()]
    .sort((a, b) => a.id - b.id)
    .map((e) => (e.retired ? e : { id: e.id, subject: e.subject, fingerprint: e.fingerprint, schema: e.schema }));
  return { $comment: COMMENT, schemas };
}

/** The file's text: one entry per line, so a release's diff shows exactly the ids it added or retired. */
export function formatSchemaIdManifest(manifest: SchemaIdManifest): string {
  const entries = manifest.schemas.map((e) => {
    const { id, subject, fingerprint, retired, schema } = e;
    return '    ' + JSON.stringify(retired ? { id, subject, fingerprint, retired, schema } : { id, subject, fingerprint, schema });
  });
  return `{\n  "$comment": ${JSON.stringify(manifest.$comment ?? COMMENT)},\n  "schemas": [\n${entries.join(',\n')}\n  ]\n}\n`;
}

/** The live (not retired) entries of `subject`, oldest first: its released versions. */
export function releasedVersionsOf(manifest: SchemaIdManifest, subject: string): SchemaIdEntry[] {
  return manifest.schemas.filter((e) => e.subject === subject && !e.retired).sort((a, b) => a.id - b.id);
}
