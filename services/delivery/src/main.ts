import { ConfigError } from '@tongban/config';
import { JsonLogger, stopOnSignals } from '@tongban/observability';
import { readDeliveryConfig } from './delivery.config';
import { createDeliveryApp } from './app';

async function main(): Promise<void> {
  const logger = new JsonLogger('delivery');
  let config;
  try {
    config = readDeliveryConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`delivery: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const delivery = await createDeliveryApp(config, logger);
  await delivery.start(config.port);
  // SIGTERM or SIGINT: finish what is in flight within TONGBAN_SHUTDOWN_TIMEOUT_MS, then exit regardless.
  stopOnSignals(logger, config.infra.shutdownTimeoutMs, () => delivery.close());
}

main().catch((e) => {
  process.stderr.write(`delivery failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
