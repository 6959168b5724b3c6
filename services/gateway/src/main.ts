import { JsonLogger } from '@tongban/observability';
import { ConfigError } from '@tongban/config';
import { readGatewayConfig } from './gateway.config';
import { createGatewayApp } from './app';

async function main(): Promise<void> {
  const logger = new JsonLogger('gateway');
  let config;
  try {
    config = readGatewayConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`gateway: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const gateway = await createGatewayApp(config, logger);
  await gateway.app.listen(config.port, '0.0.0.0');
  logger.event('info', 'gateway listening', { port: config.port });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.event('info', 'gateway stopping', { signal });
      gateway.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((e) => {
  process.stderr.write(`gateway failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
