import { ConfigError } from '@tongban/config';
import { JsonLogger, stopOnSignals } from '@tongban/observability';
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
  // SIGTERM or SIGINT: finish what is in flight within TONGBAN_SHUTDOWN_TIMEOUT_MS, then exit regardless.
  stopOnSignals(logger, config.infra.shutdownTimeoutMs, () => node.close());
}

main().catch((e) => {
  process.stderr.write(`region-node failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
