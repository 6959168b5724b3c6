import { join } from 'node:path';
import { DEV_SCHEMA_REGISTRY_PASSWORD_SECRET, DEV_SCHEMA_REGISTRY_USER, EnvReader, contractsDir, localSecret, readInfraConfig } from '@tongban/config';
import type { MysqlConfig } from '@tongban/persistence';
import {
  COMPATIBILITY_MODES,
  CompatibilityMode,
  DEFAULT_COMPATIBILITY,
  RELEASED_ID_MAX,
  SCHEMA_ID_MANIFEST_FILE,
  STRICT_RULES,
  StrictRule,
  isStrictRule,
} from '@tongban/avro';
import { parseRegistryUsers, RegistryUser } from './registry/infrastructure/registry-auth';

export interface SchemaRegistryConfig {
  port: number;
  host: string;
  database: string;
  mysql: MysqlConfig;
  /** Global compatibility level until one is set with `PUT /config`. */
  defaultCompatibility: CompatibilityMode;
  /** Compatibility checks stricter than Java Avro's (`decimal-scale`, `full-names`); none by default. */
  strictRules?: StrictRule[];
  /** Who may call the API (HTTP basic): admins write, readers read. */
  users: RegistryUser[];
  /** Largest schema accepted, in bytes. */
  maxSchemaBytes: number;
  /** Most subjects the registry holds. */
  maxSubjects: number;
  /** Failed authentication attempts per minute from one address before 429. */
  authFailuresPerMinute: number;
  /**
   * The released contracts' schema id manifest, imported at start so that every released schema has
   * the same id in every province's registry. Without it, ids come from the registry's own sequence.
   */
  releasedIds?: string;
  /**
   * A schema that is not in the manifest: `allow` registers it with an id of this registry's own range
   * (from `firstLocalId`), `refuse` answers 422 (42205). Default `allow`.
   */
  unreleasedSchemas?: UnreleasedSchemas;
  /** First id this registry gives a schema the manifest does not hold; above RELEASED_ID_MAX. */
  firstLocalId?: number;
}

export const UNRELEASED_SCHEMA_POLICIES = ['allow', 'refuse'] as const;
export type UnreleasedSchemas = (typeof UNRELEASED_SCHEMA_POLICIES)[number];
/** Ids a registry gives schemas that are not released: above the release range, up to the wire format's limit. */
export const LOCAL_ID_RANGE = { min: RELEASED_ID_MAX + 1, max: 2 ** 31 - 1 } as const;

/**
 * The development profile's users: the services' admin (the password every tongban client of the
 * checkout reads from the local secrets folder) and a reader for partners' tooling.
 */
export function developmentRegistryUsers(): string {
  return [
    `${DEV_SCHEMA_REGISTRY_USER}:${localSecret(DEV_SCHEMA_REGISTRY_PASSWORD_SECRET)}:admin`,
    `partner:${localSecret('schema-registry-reader-password')}:read`,
  ].join(',');
}

/**
 * Where the released schema ids come from and what happens to a schema that is not released. Only the
 * development profile registers unreleased schemas by default or may run without the manifest
 * (`TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS=none`): elsewhere an id the other province's registry cannot
 * know must not reach a topic.
 */
function readReleasedIds(env: EnvReader): Pick<SchemaRegistryConfig, 'releasedIds' | 'unreleasedSchemas' | 'firstLocalId'> {
  const file = env.str('TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS', join(contractsDir(), 'released', SCHEMA_ID_MANIFEST_FILE));
  if (file === 'none' && !env.development) {
    env.fail("TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS=none is for the development profile only: both provinces' registries must import the released schema ids");
  }
  return {
    releasedIds: file === 'none' ? undefined : file,
    unreleasedSchemas: env.oneOf('TONGBAN_SCHEMA_REGISTRY_UNRELEASED', UNRELEASED_SCHEMA_POLICIES, env.development ? 'allow' : 'refuse'),
    firstLocalId: env.int('TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID', LOCAL_ID_RANGE.min, LOCAL_ID_RANGE),
  };
}

/** Reads and validates the registry's environment; throws ConfigError naming every bad variable. */
export function readSchemaRegistryConfig(env = new EnvReader()): SchemaRegistryConfig {
  const infra = readInfraConfig(env, 'schema-registry', { kafka: false, registry: false, redis: false });
  const database = env.str('TONGBAN_SCHEMA_REGISTRY_DATABASE', 'tongban_registry');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    env.fail(`TONGBAN_SCHEMA_REGISTRY_DATABASE must be 1 to 64 letters, digits or _, got "${database}"`);
  }
  const usersSpec = env.secret('TONGBAN_SCHEMA_REGISTRY_USERS', env.development ? developmentRegistryUsers() : '');
  const { users, problems } = parseRegistryUsers(usersSpec);
  for (const p of problems) env.fail(`TONGBAN_SCHEMA_REGISTRY_USERS: ${p}`);
  if (usersSpec && !users.some((u) => u.role === 'admin')) env.fail('TONGBAN_SCHEMA_REGISTRY_USERS must name at least one admin');
  const config: SchemaRegistryConfig = {
    port: env.port('TONGBAN_SCHEMA_REGISTRY_PORT', 8081),
    host: env.str('TONGBAN_SCHEMA_REGISTRY_HOST', '0.0.0.0'),
    database,
    mysql: infra.mysql,
    defaultCompatibility: env.oneOf('TONGBAN_SCHEMA_REGISTRY_COMPATIBILITY', COMPATIBILITY_MODES, DEFAULT_COMPATIBILITY),
    strictRules: env.list('TONGBAN_SCHEMA_REGISTRY_STRICT_RULES', []).filter((rule): rule is StrictRule => {
      if (isStrictRule(rule)) return true;
      env.fail(`TONGBAN_SCHEMA_REGISTRY_STRICT_RULES: expected a comma-separated list of ${STRICT_RULES.join(', ')}, got "${rule}"`);
      return false;
    }),
    users,
    maxSchemaBytes: env.int('TONGBAN_SCHEMA_REGISTRY_MAX_SCHEMA_BYTES', 256 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
    maxSubjects: env.int('TONGBAN_SCHEMA_REGISTRY_MAX_SUBJECTS', 10_000, { min: 1, max: 10_000_000 }),
    authFailuresPerMinute: infra.authFailuresPerMinute,
    ...readReleasedIds(env),
  };
  env.done();
  return config;
}
