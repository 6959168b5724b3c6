import { JsonLogger, stopOnSignals } from '@tongban/observability';
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
  // SIGTERM or SIGINT: finish what is in flight within TONGBAN_SHUTDOWN_TIMEOUT_MS, then exit regardless.
  stopOnSignals(logger, config.infra.shutdownTimeoutMs, () => gateway.close());
}

main().catch((e) => {
  process.stderr.write(`gateway failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
