import { DataSource, EntityManager } from 'typeorm';
import type { JsonLogger } from '@tongban/observability';
import { AvroSchema, CompatibilityMode, DEFAULT_COMPATIBILITY, StrictRule, checkCompatibility, isCompatibilityMode, parseSchema } from '@tongban/avro';
import { RegistryApiError, registryErrors } from '../domain/registry-errors';
import { readSubmittedSchema } from '../domain/submitted-schema';
import { VersionRef, checkSubject } from '../domain/version-ref';
import { RegistryRepository, StoredVersion } from '../infrastructure/registry.repository';
import { GLOBAL_CONFIG_SUBJECT } from '../infrastructure/subject-config.entity';
import type { ReleasedSchemas } from './released-import';

/** What `GET /subjects/{subject}/versions/{version}` and a look-up answer. */
export interface SubjectVersionView {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

export interface CompatibilityAnswer {
  is_compatible: boolean;
  messages?: string[];
}

export interface RegistryServiceOptions {
  /** Global level when none was set with `PUT /config`. */
  defaultCompatibility?: CompatibilityMode;
  /** Checks stricter than Java Avro's, by name; none by default, so verdicts are Confluent's. */
  strictRules?: StrictRule[];
  logger?: JsonLogger;
  onRegistered?: (created: boolean) => void;
  onIncompatible?: () => void;
  /** A registration lost a race with another request or replica and starts again. */
  onRetry?: (code: string) => void;
  /** Attempts of a registration that lost a race with another replica (duplicate key, deadlock). */
  maxAttempts?: number;
  /** Largest schema text accepted, in bytes (a schema is stored and parsed whole). */
  maxSchemaBytes?: number;
  /** Most subjects the registry holds; a registration that would open one more is refused. */
  maxSubjects?: number;
  /** The released schemas (imported at start): registered under their fixed ids. */
  released?: ReleasedSchemas;
  /** A schema that is not released: registered under an id of the registry's own (`allow`, the default) or refused (42205). */
  unreleased?: 'allow' | 'refuse';
}

/** MySQL errors that mean "another replica got there first": the registration is tried again from the start. */
const RACE_ERRORS = new Set(['ER_DUP_ENTRY', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

const view = (v: StoredVersion): SubjectVersionView => ({ subject: v.subject, id: v.schemaId, version: v.version, schema: v.schemaText });

/**
 * The use cases of the Confluent Schema Registry API over the MySQL store. Safe with several replicas:
 * ids and versions come from unique keys, and a registration that loses a race is retried.
 */
export class SchemaRegistryService {
  /** Parsed schemas by id, for compatibility checks; a schema never changes once it has an id. */
  private readonly parsed = new Map<number, AvroSchema>();
  private readonly defaultCompatibility: CompatibilityMode;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository = new RegistryRepository(),
    private readonly options: RegistryServiceOptions = {},
  ) {
    this.defaultCompatibility = options.defaultCompatibility ?? DEFAULT_COMPATIBILITY;
  }

  async register(subject: string, body: unknown): Promise<{ id: number }> {
    checkSubject(subject);
    const text = (body as { schema?: unknown } | undefined)?.schema;
    const maxBytes = this.options.maxSchemaBytes ?? 256 * 1024;
    if (typeof text === 'string' && Buffer.byteLength(text) > maxBytes) throw registryErrors.schemaTooLarge(Buffer.byteLength(text), maxBytes);
    const submitted = readSubmittedSchema(body);
    const attempts = this.options.maxAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (m) => {
          const versions = await this.repository.versionsOf(m, subject);
          const live = versions.filter((v) => !v.deleted);
          const same = live.find((v) => v.fingerprint === submitted.fingerprint);
          if (same) {
            this.options.onRegistered?.(false);
            return { id: same.schemaId };
          }
          const releasedId = this.options.released?.idByFingerprint.get(submitted.fingerprint);
          if (releasedId === undefined && this.options.unreleased === 'refuse') throw registryErrors.notReleased(subject);
          if (versions.length === 0 && this.options.maxSubjects !== undefined) {
            // The release's own subjects are not what the limit guards against.
            const held = await this.repository.subjectCount(m, this.options.released?.subjects);
            if (held >= this.options.maxSubjects) throw registryErrors.tooManySubjects(this.options.maxSubjects);
          }
          const mode = await this.modeOf(m, subject);
          const result = checkCompatibility(
            submitted.parsed,
            live.map((v) => this.parse(v.schemaId, v.schemaText)),
            mode,
            {
              labels: live.map((v) => `version ${v.version}`),
              rules: this.options.strictRules,
            },
          );
          if (!result.compatible) {
            this.options.onIncompatible?.();
            throw registryErrors.incompatible(subject, result.messages);
          }
          const id =
            (await this.repository.schemaIdByFingerprint(m, submitted.fingerprint)) ??
            (await this.repository.insertSchema(
              m,
              { schemaText: submitted.text, canonicalText: submitted.normalized, fingerprint: submitted.fingerprint },
              releasedId,
            ));
          const version = Math.max(0, ...versions.map((v) => v.version)) + 1;
          await this.repository.insertVersion(m, subject, version, id);
          this.options.onRegistered?.(true);
          this.options.logger?.event('info', 'schema registered', { subject, version, schemaId: id, compatibility: mode });
          return { id };
        });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (!(e instanceof RegistryApiError) && code && RACE_ERRORS.has(code) && attempt < attempts) {
          this.options.onRetry?.(code);
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20 * attempt));
          continue;
        }
        throw this.storeError(e);
      }
    }
  }

  async lookup(subject: string, body: unknown, includeDeleted: boolean): Promise<SubjectVersionView> {
    const submitted = readSubmittedSchema(body);
    const versions = this.visible(await this.store((m) => this.repository.versionsOf(m, subject)), includeDeleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    const found = versions.filter((v) => v.fingerprint === submitted.fingerprint).pop();
    if (!found) throw registryErrors.schemaNotFound(`Schema under subject '${subject}'`);
    return view(found);
  }

  subjects(includeDeleted: boolean, prefix?: string): Promise<string[]> {
    return this.store((m) => this.repository.subjects(m, includeDeleted, prefix));
  }

  async versions(subject: string, includeDeleted: boolean): Promise<number[]> {
    const versions = this.visible(await this.store((m) => this.repository.versionsOf(m, subject)), includeDeleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  async version(subject: string, ref: VersionRef, includeDeleted: boolean): Promise<SubjectVersionView> {
    const versions = this.visible(await this.store((m) => this.repository.versionsOf(m, subject)), includeDeleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    const found = ref === 'latest' ? versions[versions.length - 1] : versions.find((v) => v.version === ref);
    if (!found) throw registryErrors.versionNotFound(subject, ref);
    return view(found);
  }

  /** Soft delete (the versions stay readable with `deleted=true`) or, after one, permanent delete. */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.store((m) =>
      m.transaction(async (tx) => {
        const versions = await this.repository.versionsOf(tx, subject);
        if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
        const live = versions.filter((v) => !v.deleted).map((v) => v.version);
        if (permanent) {
          if (live.length > 0) throw registryErrors.subjectNotSoftDeleted(subject);
          await this.repository.deleteVersions(
            tx,
            subject,
            versions.map((v) => v.version),
          );
          await this.repository.deleteCompatibility(tx, subject);
          this.options.logger?.event('info', 'subject deleted permanently', { subject });
          return versions.map((v) => v.version);
        }
        if (live.length === 0) throw registryErrors.subjectSoftDeleted(subject);
        await this.repository.markDeleted(tx, subject, live);
        this.options.logger?.event('info', 'subject soft-deleted', { subject, versions: live });
        return live;
      }),
    );
  }

  async deleteVersion(subject: string, ref: VersionRef, permanent: boolean): Promise<number> {
    return this.store((m) =>
      m.transaction(async (tx) => {
        const versions = await this.repository.versionsOf(tx, subject);
        const live = versions.filter((v) => !v.deleted);
        if (versions.length === 0 || (!permanent && live.length === 0)) throw registryErrors.subjectNotFound(subject);
        const pool = permanent ? versions : live;
        const found = ref === 'latest' ? pool[pool.length - 1] : versions.find((v) => v.version === ref);
        if (!found) throw registryErrors.versionNotFound(subject, ref);
        if (permanent) {
          if (!found.deleted) throw registryErrors.versionNotSoftDeleted(subject, found.version);
          await this.repository.deleteVersions(tx, subject, [found.version]);
        } else {
          if (found.deleted) throw registryErrors.versionSoftDeleted(subject, found.version);
          await this.repository.markDeleted(tx, subject, [found.version]);
        }
        this.options.logger?.event('info', permanent ? 'version deleted permanently' : 'version soft-deleted', { subject, version: found.version });
        return found.version;
      }),
    );
  }

  /** Tests a schema against one version, or with `latest` against the versions the subject's mode looks at. */
  async testCompatibility(subject: string, ref: VersionRef, body: unknown, verbose: boolean): Promise<CompatibilityAnswer> {
    const submitted = readSubmittedSchema(body);
    const { live, mode } = await this.store(async (m) => ({
      live: (await this.repository.versionsOf(m, subject)).filter((v) => !v.deleted),
      mode: await this.modeOf(m, subject),
    }));
    let against: StoredVersion[];
    if (ref === 'latest') {
      // Nothing registered yet: any schema may become the first version.
      against = live;
    } else {
      if (live.length === 0) throw registryErrors.subjectNotFound(subject);
      const found = live.find((v) => v.version === ref);
      if (!found) throw registryErrors.versionNotFound(subject, ref);
      against = [found];
    }
    const result = checkCompatibility(
      submitted.parsed,
      against.map((v) => this.parse(v.schemaId, v.schemaText)),
      mode,
      {
        labels: against.map((v) => `version ${v.version}`),
        rules: this.options.strictRules,
      },
    );
    return verbose ? { is_compatible: result.compatible, messages: result.messages } : { is_compatible: result.compatible };
  }

  async schemaById(id: number): Promise<{ schema: string }> {
    const schema = await this.store((m) => this.repository.schemaById(m, id));
    if (!schema) throw registryErrors.schemaNotFound(`Schema ${id}`);
    // Confluent leaves schemaType out for AVRO, the only type stored here.
    return { schema: schema.schemaText };
  }

  async schemaVersions(id: number, includeDeleted: boolean): Promise<Array<{ subject: string; version: number }>> {
    await this.schemaById(id);
    const versions = await this.store((m) => this.repository.versionsOfSchema(m, id));
    return this.visible(versions, includeDeleted).map((v) => ({ subject: v.subject, version: v.version }));
  }

  async schemaSubjects(id: number, includeDeleted: boolean): Promise<string[]> {
    const versions = await this.schemaVersions(id, includeDeleted);
    return [...new Set(versions.map((v) => v.subject))];
  }

  async globalCompatibility(): Promise<CompatibilityMode> {
    return this.store((m) => this.modeOf(m, GLOBAL_CONFIG_SUBJECT));
  }

  async setCompatibility(subject: string | undefined, body: unknown): Promise<{ compatibility: CompatibilityMode }> {
    if (subject !== undefined) checkSubject(subject);
    const raw = (body as { compatibility?: unknown } | undefined)?.compatibility;
    const level = typeof raw === 'string' ? raw.toUpperCase() : raw;
    if (!isCompatibilityMode(level)) throw registryErrors.invalidCompatibility(raw);
    await this.store((m) => this.repository.setCompatibility(m, subject ?? GLOBAL_CONFIG_SUBJECT, level));
    this.options.logger?.event('info', 'compatibility set', { subject: subject ?? '(global)', compatibility: level });
    return { compatibility: level };
  }

  /** The subject's own level; with `defaultToGlobal`, the global one when the subject has none. */
  async subjectCompatibility(subject: string, defaultToGlobal: boolean): Promise<CompatibilityMode> {
    return this.store(async (m) => {
      const own = await this.repository.compatibility(m, subject);
      if (isCompatibilityMode(own)) return own;
      if (defaultToGlobal) return this.modeOf(m, GLOBAL_CONFIG_SUBJECT);
      throw registryErrors.subjectConfigNotFound(subject);
    });
  }

  async deleteSubjectCompatibility(subject: string): Promise<CompatibilityMode> {
    return this.store(async (m) => {
      const own = await this.repository.compatibility(m, subject);
      if (!isCompatibilityMode(own)) {
        const versions = await this.repository.versionsOf(m, subject);
        throw versions.length === 0 ? registryErrors.subjectNotFound(subject) : registryErrors.subjectConfigNotFound(subject);
      }
      await this.repository.deleteCompatibility(m, subject);
      return own;
    });
  }

  private async modeOf(m: EntityManager, subject: string): Promise<CompatibilityMode> {
    const own = subject === GLOBAL_CONFIG_SUBJECT ? undefined : await this.repository.compatibility(m, subject);
    if (isCompatibilityMode(own)) return own;
    const global = await this.repository.compatibility(m, GLOBAL_CONFIG_SUBJECT);
    return isCompatibilityMode(global) ? global : this.defaultCompatibility;
  }

  private visible(versions: StoredVersion[], includeDeleted: boolean): StoredVersion[] {
    return includeDeleted ? versions : versions.filter((v) => !v.deleted);
  }

  private parse(id: number, text: string): AvroSchema {
    let schema = this.parsed.get(id);
    if (!schema) {
      schema = parseSchema(text);
      this.parsed.set(id, schema);
    }
    return schema;
  }

  private async store<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await work(this.dataSource.manager);
    } catch (e) {
      throw this.storeError(e);
    }
  }

  private storeError(e: unknown): unknown {
    if (e instanceof RegistryApiError) return e;
    this.options.logger?.event('error', 'schema store failed', { error: (e as Error)?.message, code: (e as { code?: string })?.code });
    return registryErrors.store(e);
  }
}
