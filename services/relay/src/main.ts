import { ConfigError } from '@tongban/config';
import { JsonLogger } from '@tongban/observability';
import { readRelayConfig } from './relay.config';
import { createRelayApp } from './app';

async function main(): Promise<void> {
  let config;
  try {
    config = readRelayConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`relay: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = new JsonLogger('relay');
  const relay = await createRelayApp(config, logger);
  await relay.app.listen(config.port, '127.0.0.1');
  logger.event('info', 'relay started', { databases: config.databases, port: config.port });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.event('info', 'relay stopping: finishing the batch in flight', { signal });
      relay.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((e) => {
  process.stderr.write(`relay failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
