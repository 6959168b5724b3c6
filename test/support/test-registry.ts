import { DEV_SCHEMA_REGISTRY_PASSWORD_SECRET, DEV_SCHEMA_REGISTRY_USER, EnvReader, localSecret } from '@tongban/config';
import { dropDatabase } from '@tongban/persistence';
import { createSchemaRegistryApp } from '../../services/schema-registry/src/app';
import { readSchemaRegistryConfig } from '../../services/schema-registry/src/schema-registry.config';
import { JsonLogger } from '@tongban/observability';

/** The registry credentials every service of a development-profile stack sends (its admin user). */
export function developmentRegistryAuth(): { username: string; password: string } {
  return { username: DEV_SCHEMA_REGISTRY_USER, password: localSecret(DEV_SCHEMA_REGISTRY_PASSWORD_SECRET) };
}

/** The real schema registry in this process on a free port, with a database of its own. */
export async function startTestRegistry(database: string, env: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const config = readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_DATABASE: database, ...env }));
  const registry = await createSchemaRegistryApp(config, new JsonLogger('schema-registry', undefined, 'error'));
  const url = await registry.listen(0, '127.0.0.1');
  return {
    url,
    async close() {
      await registry.close();
      await dropDatabase(config.mysql, database);
    },
  };
}
