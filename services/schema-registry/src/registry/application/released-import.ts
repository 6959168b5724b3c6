import { DataSource, EntityManager } from 'typeorm';
import type { JsonLogger } from '@tongban/observability';
import { SchemaIdManifest, SchemaIdEntry } from '@tongban/avro';
import { readSubmittedSchema } from '../domain/submitted-schema';
import { RegistryRepository } from '../infrastructure/registry.repository';

/** The released schemas a registry knows from the manifest: the fixed id of each, and the subjects. */
export interface ReleasedSchemas {
  /** Fixed id by fingerprint (normalized form), retired schemas included. */
  idByFingerprint: Map<string, number>;
  /** Subjects with a released version; they do not count against the subject limit. */
  subjects: string[];
}

export function releasedSchemasOf(manifest: SchemaIdManifest): ReleasedSchemas {
  return {
    idByFingerprint: new Map(manifest.schemas.map((e) => [e.fingerprint, e.id])),
    subjects: [...new Set(manifest.schemas.filter((e) => !e.retired).map((e) => e.subject))].sort(),
  };
}

/**
 * The database holds ids the manifest gives to other schemas (a registry that numbered schemas itself
 * before it imported the manifest). Nothing is changed: records on topics may name those ids.
 */
export class ReleasedIdConflictError extends Error {
  constructor(
    readonly conflicts: string[],
    database: string,
  ) {
    super(
      `the released schema ids cannot be imported into database ${database}: ${conflicts.join('; ')}. ` +
        'Records may already name these ids, so the registry changes none of them: start this registry on a new database ' +
        '(in development, drop it), or move the conflicting schemas out of the way by hand.',
    );
    this.name = 'ReleasedIdConflictError';
  }
}

export interface ImportResult {
  schemasAdded: number;
  versionsAdded: number;
}

const RACE_ERRORS = new Set(['ER_DUP_ENTRY', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Imports the manifest, as Confluent's IMPORT mode does with explicit ids: every released schema is
 * stored under its fixed id, and every released version that its subject lacks is added after the
 * subject's versions, without a compatibility check (the release checked it). Idempotent: a schema or
 * version already there is left alone, so every start of every replica may run it. The registry's own
 * sequence is moved to `firstLocalId` first, so that ids it numbers itself stay clear of the release.
 */
export async function importReleasedSchemas(
  dataSource: DataSource,
  manifest: SchemaIdManifest,
  o: { firstLocalId: number; repository?: RegistryRepository; logger?: JsonLogger; maxAttempts?: number },
): Promise<ImportResult> {
  const repository = o.repository ?? new RegistryRepository();
  // DDL commits on its own in MySQL, so it runs before, not inside, the import's transaction.
  await repository.startSchemaIdsAt(dataSource.manager, o.firstLocalId);
  const attempts = o.maxAttempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await dataSource.transaction((m) => importInto(m, repository, manifest, String(dataSource.options.database)));
      o.logger?.event('info', 'released schema ids imported', { ...result, released: manifest.schemas.length });
      return result;
    } catch (e) {
      // Another replica imports at the same moment: start again, and find its rows.
      const code = (e as { code?: string }).code;
      if (code && RACE_ERRORS.has(code) && attempt < attempts) {
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
        continue;
      }
      throw e;
    }
  }
}

async function importInto(m: EntityManager, repository: RegistryRepository, manifest: SchemaIdManifest, database: string): Promise<ImportResult> {
  const conflicts: string[] = [];
  let schemasAdded = 0;
  let versionsAdded = 0;
  const entries = [...manifest.schemas].sort((a, b) => a.id - b.id);
  for (const entry of entries) {
    const submitted = readSubmittedSchema({ schema: JSON.stringify(entry.schema) });
    const holder = await repository.schemaById(m, entry.id);
    const heldAs = await repository.schemaIdByFingerprint(m, submitted.fingerprint);
    if (holder && holder.fingerprint !== submitted.fingerprint) {
      conflicts.push(`id ${entry.id} (released for ${entry.subject}) holds another schema here`);
    } else if (heldAs !== undefined && heldAs !== entry.id) {
      conflicts.push(`the schema released as id ${entry.id} (${entry.subject}) is id ${heldAs} here`);
    } else if (!holder) {
      await repository.insertSchema(m, { schemaText: submitted.text, canonicalText: submitted.normalized, fingerprint: submitted.fingerprint }, entry.id);
      schemasAdded++;
    }
  }
  if (conflicts.length) throw new ReleasedIdConflictError(conflicts, database);
  for (const entry of entries.filter((e) => !e.retired)) {
    if (await addVersion(m, repository, entry)) versionsAdded++;
  }
  return { schemasAdded, versionsAdded };
}

/** Adds the released version to its subject unless the subject holds that schema (live or soft-deleted). */
async function addVersion(m: EntityManager, repository: RegistryRepository, entry: SchemaIdEntry): Promise<boolean> {
  const versions = await repository.versionsOf(m, entry.subject);
  if (versions.some((v) => v.schemaId === entry.id)) return false;
  await repository.insertVersion(m, entry.subject, Math.max(0, ...versions.map((v) => v.version)) + 1, entry.id);
  return true;
}
