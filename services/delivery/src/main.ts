import { ConfigError } from '@tongban/config';
import { JsonLogger } from '@tongban/observability';
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
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.event('info', 'delivery stopping', { signal });
      delivery.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((e) => {
  process.stderr.write(`delivery failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
