import { ConfigError } from '@tongban/config';
import { JsonLogger } from '@tongban/observability';
import { readRegionNodeConfig } from './region-node.config';
import { createRegionNodeApp } from './app';

async function main(): Promise<void> {
  let config;
  try {
    config = readRegionNodeConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`region-node: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = new JsonLogger('region-node', config.region);
  const node = await createRegionNodeApp(config, logger);
  await node.start();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.event('info', 'region node stopping: finishing the batch in flight', { signal });
      node.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((e) => {
  process.stderr.write(`region-node failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
