import { runService } from '@tongban/observability';
import { readSchemaRegistryConfig } from './schema-registry.config';
import { createSchemaRegistryApp } from './app';

void runService({
  name: 'schema-registry',
  readConfig: readSchemaRegistryConfig,
  create: async (config, logger) => {
    const registry = await createSchemaRegistryApp(config, logger);
    const url = await registry.listen();
    return { close: () => registry.close(), facts: { port: config.port, url, database: config.database } };
  },
});
