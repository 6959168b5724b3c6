import { EnvReader, readInfraConfig } from '@tongban/config';
import type { MysqlConfig } from '@tongban/persistence';
import { COMPATIBILITY_MODES, CompatibilityMode, DEFAULT_COMPATIBILITY, STRICT_RULES, StrictRule, isStrictRule } from '@tongban/avro';

export interface SchemaRegistryConfig {
  port: number;
  host: string;
  database: string;
  mysql: MysqlConfig;
  /** Global compatibility level until one is set with `PUT /config`. */
  defaultCompatibility: CompatibilityMode;
  /** Compatibility checks stricter than Java Avro's (`decimal-scale`, `full-names`); none by default. */
  strictRules?: StrictRule[];
}

/** Reads and validates the registry's environment; throws ConfigError naming every bad variable. */
export function readSchemaRegistryConfig(env = new EnvReader()): SchemaRegistryConfig {
  const infra = readInfraConfig(env, 'schema-registry');
  const database = env.str('TONGBAN_SCHEMA_REGISTRY_DATABASE', 'tongban_registry');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    env.fail(`TONGBAN_SCHEMA_REGISTRY_DATABASE must be 1 to 64 letters, digits or _, got "${database}"`);
  }
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
  };
  env.done();
  return config;
}
