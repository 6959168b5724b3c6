import { defineService } from '@tongban/observability';
import { readSchemaRegistryConfig } from './schema-registry.config';
import { createSchemaRegistryApp } from './app';

/** The schema-registry as `main.ts` starts it (loaded once tracing has started). */
export const schemaRegistryService = defineService({
  name: 'schema-registry',
  readConfig: readSchemaRegistryConfig,
  create: async (config, logger) => {
    const registry = await createSchemaRegistryApp(config, logger);
    const url = await registry.listen();
    return { close: () => registry.close(), facts: { port: config.port, url, database: config.database } };
  },
});
