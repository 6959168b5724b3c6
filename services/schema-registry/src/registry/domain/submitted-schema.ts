import * as avro from 'avsc';
import { avroOptions } from '@tongban/avro';
import { AvroSchema, InvalidSchemaError, normalizedForm, parseSchema, sha256Fingerprint } from '@tongban/avro';
import { registryErrors } from './registry-errors';

/** A schema as a client submitted it, validated and reduced to what identifies it. */
export interface SubmittedSchema {
  /** The schema JSON as submitted, without whitespace: what `GET /schemas/ids/{id}` answers. */
  text: string;
  /** Normalized form: equal for schemas that differ only in layout, attribute order or namespace style. */
  normalized: string;
  fingerprint: string;
  parsed: AvroSchema;
}

/**
 * Reads the body of a register, look-up or compatibility request: `{ schema, schemaType?, references? }`.
 * Only self-contained AVRO schemas are accepted; each is parsed with avsc and tongban's logical types,
 * so a schema the registry accepts is one every tongban reader can build.
 */
export function readSubmittedSchema(body: unknown): SubmittedSchema {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw registryErrors.invalidSchema('the request body must be a JSON object with a "schema" field');
  }
  const { schema, schemaType, references } = body as Record<string, unknown>;
  if (schemaType !== undefined && schemaType !== null && String(schemaType).toUpperCase() !== 'AVRO') {
    throw registryErrors.invalidSchema(`schema type ${JSON.stringify(schemaType)} is not supported; this registry stores AVRO schemas only`);
  }
  if (Array.isArray(references) && references.length > 0) {
    throw registryErrors.invalidSchema('schema references are not supported; register a self-contained schema');
  }
  if (typeof schema !== 'string' || schema.trim() === '') {
    throw registryErrors.invalidSchema('"schema" must be a non-empty string holding the schema JSON');
  }
  let json: unknown;
  try {
    json = JSON.parse(schema);
  } catch (e) {
    throw registryErrors.invalidSchema(`not valid JSON (${(e as Error).message})`);
  }
  try {
    avro.Type.forSchema(json as avro.Schema, avroOptions());
  } catch (e) {
    throw registryErrors.invalidSchema((e as Error).message);
  }
  let parsed: AvroSchema;
  let normalized: string;
  try {
    parsed = parseSchema(json as object);
    normalized = normalizedForm(json as object);
  } catch (e) {
    if (e instanceof InvalidSchemaError) throw registryErrors.invalidSchema(e.message);
    throw e;
  }
  return { text: JSON.stringify(json), normalized, fingerprint: sha256Fingerprint(normalized), parsed };
}
