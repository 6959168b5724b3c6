import { ConfigError } from '@tongban/config';
import { JsonLogger } from '@tongban/observability';
import { readSchemaRegistryConfig } from './schema-registry.config';
import { createSchemaRegistryApp } from './app';

async function main(): Promise<void> {
  const logger = new JsonLogger('schema-registry');
  let config;
  try {
    config = readSchemaRegistryConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`schema-registry: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const registry = await createSchemaRegistryApp(config, logger);
  // On SIGTERM or SIGINT Nest stops taking requests, closes the database pool, then lets the process end.
  registry.app.enableShutdownHooks();
  const url = await registry.listen();
  logger.event('info', 'schema registry listening', { port: config.port, url, database: config.database });
}

main().catch((e) => {
  process.stderr.write(`schema-registry failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
